import type { Db } from '../db/db.js';

/** The three protocol logs (migration 10). */
export const LOG_KINDS = ['dns', 'http', 'tls'] as const;
export type LogKind = (typeof LOG_KINDS)[number];

/** Columns each log can be sorted by (ties broken by time, then flow id: pages are stable). */
export const LOG_SORTS = {
  dns: ['ts', 'query', 'qtype_name', 'rcode_name', 'rtt', 'flow_id'],
  http: ['ts', 'method', 'host', 'uri', 'status_code', 'user_agent', 'response_body_len', 'rtt', 'flow_id'],
  tls: ['ts', 'version', 'cipher', 'server_name', 'ja3', 'ja4', 'flow_id'],
} as const satisfies Record<LogKind, readonly string[]>;
export type LogSort = (typeof LOG_SORTS)[LogKind][number];

export interface LogQuery {
  sort: string;
  order: 'asc' | 'desc';
  /** Only this flow's transactions. */
  flow: number | null;
  /** Text that the log's main columns contain (case-insensitive). */
  search: string | null;
  limit: number;
  offset: number;
}

export interface LogPage {
  /** Rows that match, exact up to LOG_COUNT_CAP. */
  total: number;
  totalExact: boolean;
  rows: Record<string, unknown>[];
}

export const LOG_COUNT_CAP = 100_000;

// What each log shows (bigints cast: PGlite returns numbers, pg strings) and which columns the
// search looks in. A row's addresses and ports are its flow's: src is the flow's originator.
const SELECT: Record<LogKind, string> = {
  dns: `l.flow_id::float8 AS flow_id, l.ts, l.transport, l.trans_id, l.query, l.qclass, l.qtype, l.qtype_name,
        l.rcode, l.rcode_name, l.aa, l.tc, l.rd, l.ra, l.answers, l.ttls, l.rtt, l.query_seen, l.answered, l.malformed`,
  http: `l.flow_id::float8 AS flow_id, l.ts, l.method, l.host, l.uri, l.version, l.user_agent, l.referrer,
         l.request_content_type, l.request_body_len::float8 AS request_body_len, l.status_code, l.status_msg,
         l.info_code, l.response_content_type, l.response_body_len::float8 AS response_body_len, l.rtt, l.flags`,
  tls: `l.flow_id::float8 AS flow_id, l.ts, l.version, l.version_num, l.record_version, l.cipher, l.cipher_id,
        l.server_name, l.alpn, l.next_protocol, l.ja3, l.ja3s, l.ja4, l.client_hello, l.server_hello, l.subject,
        l.issuer, l.not_valid_before, l.not_valid_after, l.san_dns, l.cert_sha256`,
};
const SEARCHED: Record<LogKind, string[]> = {
  dns: ['query', 'qtype_name', 'rcode_name', 'answers::text'],
  http: ['method', 'host', 'uri', 'user_agent', 'status_code::text'],
  tls: ['server_name', 'version', 'cipher', 'ja3', 'ja3s', 'ja4', 'subject'],
};
const TABLE: Record<LogKind, string> = { dns: 'dns_log', http: 'http_log', tls: 'tls_log' };

// Every filter is a parameter, NULL when unused, so the SQL text is constant per log, sort and
// order. The search is a substring, its LIKE wildcards escaped by the caller (`likePattern`).
function where(kind: LogKind): string {
  const search = SEARCHED[kind].map((c) => `l.${c} ILIKE $3`).join(' OR ');
  return `WHERE l.session_id = $1 AND ($2::bigint IS NULL OR l.flow_id = $2) AND ($3::text IS NULL OR ${search})`;
}

const PAGE_SQL = new Map<string, string>();
const COUNT_SQL = new Map<LogKind, string>();
for (const kind of LOG_KINDS) {
  const table = TABLE[kind];
  for (const sort of LOG_SORTS[kind]) {
    for (const order of ['asc', 'desc'] as const) {
      PAGE_SQL.set(
        `${kind} ${sort} ${order}`,
        `SELECT ${SELECT[kind]}, f.src_ip, f.src_port, f.dst_ip, f.dst_port, f.protocol
           FROM ${table} l
           LEFT JOIN flows f ON f.session_id = l.session_id AND f.flow_id = l.flow_id
           ${where(kind)}
          ORDER BY l.${sort} ${order} NULLS LAST, l.ts ${order}, l.flow_id ${order}
          LIMIT $4 OFFSET $5`,
      );
    }
  }
  COUNT_SQL.set(
    kind,
    `SELECT count(*)::float8 AS n FROM (SELECT 1 FROM ${table} l ${where(kind)} LIMIT $4) m`,
  );
}

/** `text` as a LIKE pattern that matches it anywhere (its own % _ and \ taken literally). */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** One page of a session's DNS, HTTP or TLS log, sorted and filtered, with the count that match. */
export async function getLogs(db: Db, sessionId: string, kind: LogKind, q: LogQuery): Promise<LogPage> {
  const sql = PAGE_SQL.get(`${kind} ${q.sort} ${q.order}`);
  if (sql === undefined) throw new Error(`unknown ${kind} log sort ${q.sort} ${q.order}`);
  const filters = [sessionId, q.flow, q.search === null ? null : likePattern(q.search)];
  const [rows, count] = await Promise.all([
    db.query<Record<string, unknown>>(sql, [...filters, q.limit, q.offset]),
    db.query<{ n: number }>(COUNT_SQL.get(kind)!, [...filters, LOG_COUNT_CAP + 1]),
  ]);
  const n = Number(count[0]?.n ?? 0);
  return { total: Math.min(n, LOG_COUNT_CAP), totalExact: n <= LOG_COUNT_CAP, rows };
}

/** A session's log in pages of `pageSize`, in time order (for the exports). */
export async function* sessionLogs(
  db: Db,
  sessionId: string,
  kind: LogKind,
  pageSize = 10_000,
): AsyncGenerator<Record<string, unknown>[]> {
  for (let offset = 0; ; offset += pageSize) {
    const page = await getLogs(db, sessionId, kind, {
      sort: 'ts',
      order: 'asc',
      flow: null,
      search: null,
      limit: pageSize,
      offset,
    });
    if (page.rows.length === 0) return;
    yield page.rows;
    if (page.rows.length < pageSize) return;
  }
}
