import { LocalNets, parseIpv4, parseIpv6 } from '../analysis/index.js';
import type { FlowRow } from './read/flows.js';

export type ExportFormat = 'csv' | 'json' | 'zeek';

const CSV_COLUMNS: (keyof FlowRow)[] = [
  'flow_id',
  'window_id',
  'start_timestamp',
  'end_timestamp',
  'duration_seconds',
  'protocol',
  'src_ip',
  'src_port',
  'dst_ip',
  'dst_port',
  'packet_count',
  'total_bytes',
  'src_packets',
  'dst_packets',
  'src_bytes',
  'dst_bytes',
  'conn_state',
  'retransmissions',
  'dns_query',
  'dns_rcode',
  'tls_sni',
  'http_method',
  'http_host',
  'history',
  'orig_bytes',
  'resp_bytes',
  'community_id',
];

/** Text a hostile capture chooses (names from DNS, TLS and HTTP), never a number. */
const CAPTURED_TEXT = new Set<keyof FlowRow>(['dns_query', 'tls_sni', 'http_method', 'http_host']);

function csv(v: unknown, column: keyof FlowRow): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  // A spreadsheet runs a cell that starts with = + - @ (or a tab or CR) as a formula: such text
  // from the capture gets a leading apostrophe (OWASP's advice), which spreadsheets hide.
  if (CAPTURED_TEXT.has(column) && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Zeek writes tabs, newlines and backslashes in strings as escapes; empty values as "-". */
function zeek(v: unknown): string {
  if (v === null || v === undefined || v === '') return '-';
  return String(v).replace(/\\/g, '\\x5c').replace(/\t/g, '\\x09').replace(/\n/g, '\\x0a');
}

function zeekService(f: FlowRow): string {
  if (f.dns_query !== null || f.dns_rcode !== null) return 'dns';
  if (f.tls_sni !== null) return 'ssl';
  if (f.http_method !== null) return 'http';
  return '-';
}

/** Zeek's `transport_proto` values: anything but TCP, UDP and ICMP is `unknown_transport`. */
function zeekProto(protocol: string): string {
  const p = protocol.toLowerCase();
  if (p === 'tcp' || p === 'udp' || p === 'icmp') return p;
  return p === 'icmpv6' ? 'icmp' : 'unknown_transport';
}

/** Zeek's local_orig/local_resp: T or F by the session's local networks, memoised by address. */
function localFlag(nets: LocalNets): (ip: string) => string {
  const seen = new Map<string, string>();
  return (ip) => {
    let flag = seen.get(ip);
    if (flag === undefined) {
      const v4 = parseIpv4(ip);
      const words = v4 !== null ? [v4, 0, 0, 0] : parseIpv6(ip);
      flag = words !== null && nets.contains(v4 !== null ? 4 : 6, words) ? 'T' : 'F';
      if (seen.size < 1_000_000) seen.set(ip, flag);
    }
    return flag;
  };
}

/**
 * Turns pages of flows into export text, one chunk per page: CSV with a header, JSON Lines, or a
 * Zeek conn.log (TSV with its #fields/#types header). `header` and `footer` bracket the chunks.
 * `sessionId` makes the conn.log's uids unique across sessions; `localNets`, the session's local
 * networks, give its local_orig and local_resp (unset without them).
 */
export function formatFlows(format: ExportFormat, sessionId: string, localNets: string[] | null = null) {
  const local = localNets ? localFlag(new LocalNets(localNets)) : () => '-';
  // Zeek's connection uids start with C (F is for files); the session's first 8 hex digits, then
  // the flow id, which the dashboard and the other formats show.
  const uidPrefix = `C${sessionId.replace(/-/g, '').slice(0, 8)}f`;
  const now = new Date().toISOString().replace('T', '-').replace(/:/g, '-').slice(0, 19);
  switch (format) {
    case 'csv':
      return {
        header: `${CSV_COLUMNS.join(',')}\n`,
        page: (rows: FlowRow[]) =>
          rows.map((f) => `${CSV_COLUMNS.map((c) => csv(f[c], c)).join(',')}\n`).join(''),
        footer: '',
      };
    case 'json':
      return {
        header: '',
        page: (rows: FlowRow[]) => rows.map((f) => `${JSON.stringify(f)}\n`).join(''),
        footer: '',
      };
    case 'zeek':
      return {
        header: [
          '#separator \\x09',
          '#set_separator\t,',
          '#empty_field\t(empty)',
          '#unset_field\t-',
          '#path\tconn',
          `#open\t${now}`,
          '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\tcommunity_id',
          '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\tstring',
          '',
        ].join('\n'),
        page: (rows: FlowRow[]) =>
          rows
            .map((f) =>
              [
                f.start_timestamp.toFixed(6),
                `${uidPrefix}${f.flow_id}`,
                f.src_ip,
                f.src_port,
                f.dst_ip,
                f.dst_port,
                zeekProto(f.protocol),
                zeekService(f),
                // Zeek leaves the duration unset for a connection of no length (one packet).
                f.duration_seconds > 0 ? f.duration_seconds.toFixed(6) : '-',
                // Payload bytes by sequence space (TCP; unset otherwise); *_ip_bytes carry wire bytes.
                f.orig_bytes,
                f.resp_bytes,
                f.conn_state,
                local(f.src_ip),
                local(f.dst_ip),
                0,
                f.history,
                f.src_packets,
                f.src_bytes,
                f.dst_packets,
                f.dst_bytes,
                '(empty)',
                f.community_id,
              ]
                .map(zeek)
                .join('\t')
                .concat('\n'),
            )
            .join(''),
        footer: `#close\t${now}\n`,
      };
  }
}
