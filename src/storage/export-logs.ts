import type { LogKind } from './read/logs.js';

/**
 * The protocol logs as downloads: Zeek's dns.log, http.log and ssl.log (TSV with Zeek's header
 * lines), or JSON Lines / CSV with Zeek's field names plus `flow_id` (and JA3, JA3S and JA4 on
 * TLS, which Zeek writes with its ja3 and ja4 packages). Addresses and ports are the flow's: the
 * originator is `id.orig_h`, as Zeek has it. A row's `uid` is its flow's conn.log uid (the flow
 * export's: C, the session's first 8 hex digits, f, the flow id), so the logs join to conn.log.
 */

export type LogExportFormat = 'zeek' | 'json' | 'csv';
type Value = string | number | boolean | null | readonly (string | number)[];
type Row = Record<string, unknown>;

interface Column {
  name: string;
  type: string;
  value: (r: Row, depth: number) => Value;
  /** Text the capture chose: neutralised in CSV (a spreadsheet would run it as a formula). */
  captured?: boolean;
}

const str = (k: string) => (r: Row) => (r[k] ?? null) as string | null;
const num = (k: string) => (r: Row) => (r[k] === null || r[k] === undefined ? null : Number(r[k]));
const bool = (k: string) => (r: Row) => (r[k] === null || r[k] === undefined ? null : Boolean(r[k]));
const list = (k: string) => (r: Row) => {
  const v = r[k];
  const a = typeof v === 'string' ? (JSON.parse(v) as unknown) : v;
  return Array.isArray(a) ? (a as (string | number)[]) : null;
};

const ID: Column[] = [
  { name: 'id.orig_h', type: 'addr', value: str('src_ip') },
  { name: 'id.orig_p', type: 'port', value: num('src_port') },
  { name: 'id.resp_h', type: 'addr', value: str('dst_ip') },
  { name: 'id.resp_p', type: 'port', value: num('dst_port') },
];

const COLUMNS: Record<LogKind, Column[]> = {
  dns: [
    ...ID,
    { name: 'proto', type: 'enum', value: str('transport') },
    { name: 'trans_id', type: 'count', value: num('trans_id') },
    { name: 'rtt', type: 'interval', value: num('rtt') },
    { name: 'query', type: 'string', value: str('query'), captured: true },
    { name: 'qclass', type: 'count', value: num('qclass') },
    { name: 'qtype', type: 'count', value: num('qtype') },
    { name: 'qtype_name', type: 'string', value: str('qtype_name') },
    { name: 'rcode', type: 'count', value: num('rcode') },
    { name: 'rcode_name', type: 'string', value: str('rcode_name') },
    { name: 'AA', type: 'bool', value: bool('aa') },
    { name: 'TC', type: 'bool', value: bool('tc') },
    { name: 'RD', type: 'bool', value: bool('rd') },
    { name: 'RA', type: 'bool', value: bool('ra') },
    { name: 'answers', type: 'vector[string]', value: list('answers'), captured: true },
    { name: 'TTLs', type: 'vector[interval]', value: list('ttls') },
  ],
  http: [
    ...ID,
    { name: 'trans_depth', type: 'count', value: (_r, depth) => depth },
    { name: 'method', type: 'string', value: str('method'), captured: true },
    { name: 'host', type: 'string', value: str('host'), captured: true },
    { name: 'uri', type: 'string', value: str('uri'), captured: true },
    { name: 'referrer', type: 'string', value: str('referrer'), captured: true },
    { name: 'version', type: 'string', value: str('version'), captured: true },
    { name: 'user_agent', type: 'string', value: str('user_agent'), captured: true },
    { name: 'request_body_len', type: 'count', value: num('request_body_len') },
    { name: 'response_body_len', type: 'count', value: num('response_body_len') },
    { name: 'status_code', type: 'count', value: num('status_code') },
    { name: 'status_msg', type: 'string', value: str('status_msg'), captured: true },
    { name: 'info_code', type: 'count', value: num('info_code') },
    {
      name: 'orig_mime_types',
      type: 'vector[string]',
      value: (r) => (r.request_content_type ? [String(r.request_content_type)] : null),
      captured: true,
    },
    {
      name: 'resp_mime_types',
      type: 'vector[string]',
      value: (r) => (r.response_content_type ? [String(r.response_content_type)] : null),
      captured: true,
    },
  ],
  tls: [
    ...ID,
    { name: 'version', type: 'string', value: str('version') },
    { name: 'cipher', type: 'string', value: str('cipher') },
    { name: 'server_name', type: 'string', value: str('server_name'), captured: true },
    { name: 'next_protocol', type: 'string', value: str('next_protocol'), captured: true },
    { name: 'subject', type: 'string', value: str('subject'), captured: true },
    { name: 'issuer', type: 'string', value: str('issuer'), captured: true },
    { name: 'ja3', type: 'string', value: str('ja3') },
    { name: 'ja3s', type: 'string', value: str('ja3s') },
    { name: 'ja4', type: 'string', value: str('ja4') },
  ],
};

/** Zeek's file name for each log. */
export const ZEEK_LOG_PATH: Record<LogKind, string> = { dns: 'dns', http: 'http', tls: 'ssl' };

/** Zeek escapes the separator, backslash and every non-printable byte as \xNN. */
function zeekText(s: string, inSet: boolean): string {
  let out = s.replace(/\\/g, '\\x5c');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: non-printable characters are escaped
  out = out.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return inSet ? out.replace(/,/g, '\\x2c') : out;
}

function zeekValue(v: Value, type: string): string {
  if (v === null || v === '') return '-';
  if (Array.isArray(v)) return v.length === 0 ? '(empty)' : v.map((x) => zeekText(String(x), true)).join(',');
  if (typeof v === 'boolean') return v ? 'T' : 'F';
  if (typeof v === 'number') return type === 'time' || type === 'interval' ? v.toFixed(6) : String(v);
  return zeekText(String(v), false);
}

function csvValue(v: Value, captured: boolean): string {
  if (v === null) return '';
  let s = Array.isArray(v) ? v.join(',') : String(v);
  // As the flow export: text from the capture that a spreadsheet would run as a formula gets a
  // leading apostrophe (OWASP's advice).
  if (captured && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Turns pages of a log's rows (as `sessionLogs` gives them, in time order) into export text, one
 * chunk per page, between `header` and `footer`.
 */
export function formatLogs(kind: LogKind, format: LogExportFormat, sessionId: string) {
  const columns = COLUMNS[kind];
  const uidPrefix = `C${sessionId.replace(/-/g, '').slice(0, 8)}f`;
  // HTTP's trans_depth: the request's place on its connection (1 for the first).
  const depths = new Map<number, number>();
  const depth = (r: Row) => {
    if (kind !== 'http') return 0;
    const flow = Number(r.flow_id);
    const d = (depths.get(flow) ?? 0) + 1;
    depths.set(flow, d);
    return d;
  };
  const now = new Date().toISOString().replace('T', '-').replace(/:/g, '-').slice(0, 19);
  const names = ['ts', 'uid', ...columns.map((c) => c.name)];
  switch (format) {
    case 'zeek':
      return {
        header: [
          '#separator \\x09',
          '#set_separator\t,',
          '#empty_field\t(empty)',
          '#unset_field\t-',
          `#path\t${ZEEK_LOG_PATH[kind]}`,
          `#open\t${now}`,
          `#fields\t${names.join('\t')}`,
          `#types\ttime\tstring\t${columns.map((c) => c.type).join('\t')}`,
          '',
        ].join('\n'),
        page: (rows: Row[]) =>
          rows
            .map((r) => {
              const d = depth(r);
              const cells = [Number(r.ts).toFixed(6), `${uidPrefix}${r.flow_id}`];
              for (const c of columns) cells.push(zeekValue(c.value(r, d), c.type));
              return `${cells.join('\t')}\n`;
            })
            .join(''),
        footer: `#close\t${now}\n`,
      };
    case 'json':
      return {
        header: '',
        page: (rows: Row[]) =>
          rows
            .map((r) => {
              const d = depth(r);
              const o: Record<string, unknown> = {
                ts: Number(r.ts),
                uid: `${uidPrefix}${r.flow_id}`,
                flow_id: Number(r.flow_id),
              };
              for (const c of columns) o[c.name] = c.value(r, d);
              return `${JSON.stringify(o)}\n`;
            })
            .join(''),
        footer: '',
      };
    case 'csv':
      return {
        header: `${['ts', 'uid', 'flow_id', ...columns.map((c) => c.name)].join(',')}\n`,
        page: (rows: Row[]) =>
          rows
            .map((r) => {
              const d = depth(r);
              const cells = [String(Number(r.ts)), `${uidPrefix}${r.flow_id}`, String(Number(r.flow_id))];
              for (const c of columns) cells.push(csvValue(c.value(r, d), c.captured === true));
              return `${cells.join(',')}\n`;
            })
            .join(''),
        footer: '',
      };
  }
}
