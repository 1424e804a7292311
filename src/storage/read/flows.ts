import type { Db } from '../db/db.js';
import { indexSessionFlows } from '../sessions.js';

export const FLOW_SORTS = [
  'total_bytes',
  'packet_count',
  'duration_seconds',
  'start_timestamp',
  'retransmissions',
] as const;
export type FlowSort = (typeof FLOW_SORTS)[number];
export const FLOW_PROTOCOLS = ['tcp', 'udp', 'icmp', 'icmpv6', 'other'] as const;
export type FlowProtocol = (typeof FLOW_PROTOCOLS)[number];

export interface FlowQuery {
  sort: FlowSort;
  order: 'asc' | 'desc';
  ip: string | null;
  port: number | null;
  protocol: FlowProtocol | null;
  /** Flows that started at or after this capture time (s)… */
  startFrom: number | null;
  /** …and before this one. */
  startBefore: number | null;
  limit: number;
  offset: number;
  /**
   * A search expression's condition over `flows f` with its parameters ($1…), as
   * src/search's compile gives it (`where`): the Protocols page's filter box. Null: none.
   */
  filter?: { sql: string; params: unknown[] } | null;
  /**
   * Keyset paging: the rows after this one in the sort order (its sort value and flow id, from
   * the previous page's last row), found through the sort's index however deep; offset is then 0.
   */
  after?: { value: number; id: number } | null;
}

export interface FlowPage {
  /** Flows that match, exact up to COUNT_CAP (counting a million matches would take too long). */
  total: number;
  totalExact: boolean;
  flows: FlowRow[];
}

/** Most matching flows counted one by one; beyond it `total` says "at least". */
export const COUNT_CAP = 100_000;

// Stored protocol names (analysis' `protocolName`); `other` is every IP protocol besides these,
// stored as "IP-47" and so on, which sort between "ICMPv6" and "TCP" (in the C collation and in
// the locales', which compare letters before punctuation): a range the protocol index serves.
const PROTOCOL_NAMES: Record<Exclude<FlowProtocol, 'other'>, string> = {
  tcp: 'TCP',
  udp: 'UDP',
  icmp: 'ICMP',
  icmpv6: 'ICMPv6',
};

// Every filter is a parameter that is NULL when unused, so the SQL text is constant; both servers
// plan an unnamed statement with its actual values, so the unused conditions fold away.
const WHERE = `
 WHERE session_id = $1
   AND ($2::text IS NULL OR src_ip = $2 OR dst_ip = $2)
   AND ($3::int IS NULL OR src_port = $3 OR dst_port = $3)
   AND ($4::text IS NULL OR protocol = $4 OR ($4 = 'other' AND protocol > 'ICMPv6' AND protocol < 'TCP'))
   AND ($5::float8 IS NULL OR start_timestamp >= $5)
   AND ($6::float8 IS NULL OR start_timestamp < $6)`;

const COLUMNS = `flow_id::float8 AS flow_id, window_id, src_ip, dst_ip, src_port, dst_port, protocol,
       packet_count::float8 AS packet_count, total_bytes::float8 AS total_bytes, duration_seconds,
       start_timestamp, end_timestamp, src_packets::float8 AS src_packets, dst_packets::float8 AS dst_packets,
       src_bytes::float8 AS src_bytes, dst_bytes::float8 AS dst_bytes, conn_state, retransmissions,
       dns_query, dns_rcode, tls_sni, http_method, http_host, history, orig_bytes::float8 AS orig_bytes,
       resp_bytes::float8 AS resp_bytes, community_id`;

/** Each sort column's stored type: a cursor's value is cast to it, so the column's index serves it. */
const SORT_TYPES: Record<FlowSort, string> = {
  total_bytes: 'bigint',
  packet_count: 'bigint',
  duration_seconds: 'float8',
  start_timestamp: 'float8',
  retransmissions: 'integer',
};

// One constant statement per sort column and order (ties broken by flow id, so pages are stable).
// $9 and $10 are the keyset cursor (NULL for offset paging): a row comparison on (sort, flow id),
// which the (sort, flow id) index answers from where the previous page ended.
const PAGE_SQL = new Map<string, string>();
for (const sort of FLOW_SORTS) {
  for (const order of ['asc', 'desc'] as const) {
    const t = SORT_TYPES[sort];
    PAGE_SQL.set(
      `${sort} ${order}`,
      // Qualified: the bare names would mean the float8 output columns, which no index serves.
      `SELECT ${COLUMNS} FROM flows ${WHERE}
         AND ($9::${t} IS NULL OR (flows.${sort}, flows.flow_id) ${order === 'asc' ? '>' : '<'} ($9::${t}, $10::bigint))
       ORDER BY flows.${sort} ${order}, flows.flow_id ${order} LIMIT $7 OFFSET $8`,
    );
  }
}
const COUNT_SQL = `SELECT count(*)::float8 AS n FROM (SELECT 1 FROM flows ${WHERE} LIMIT $7) matching`;
const TOTAL_SQL = `SELECT (summary_json->'flows'->>'count')::float8 AS n FROM pcap_sessions WHERE session_id = $1`;

/**
 * A statement of this file with a search condition added: the flows aliased `f` as the condition
 * names them, this file's parameters numbered after the condition's. The text depends only on the
 * condition's shape; its values stay parameters.
 */
function withFilter(sql: string, filter: { sql: string; params: unknown[] }): string {
  const shift = filter.params.length;
  return sql
    .replace(/\$(\d+)/g, (_m, n: string) => `$${Number(n) + shift}`)
    .replace(' FROM flows \n WHERE ', ` FROM flows f\n WHERE (${filter.sql}) AND `)
    .replace(/flows\.(\w+)/g, 'f.$1');
}

/** One page of a session's flows, sorted and filtered, with the number of flows that match. */
export async function getFlows(db: Db, sessionId: string, q: FlowQuery): Promise<FlowPage> {
  const protocol = q.protocol === null ? null : q.protocol === 'other' ? 'other' : PROTOCOL_NAMES[q.protocol];
  const filter = q.filter ?? null;
  const filters = [...(filter?.params ?? []), sessionId, q.ip, q.port, protocol, q.startFrom, q.startBefore];
  let sql = PAGE_SQL.get(`${q.sort} ${q.order}`);
  if (sql === undefined) throw new Error(`unknown flow sort ${q.sort} ${q.order}`);
  if (filter !== null) sql = withFilter(sql, filter);
  const unfiltered = filter === null && filters.slice(1).every((f) => f === null);
  const [flows, count] = await Promise.all([
    db.query<FlowRow>(sql, [...filters, q.limit, q.offset, q.after?.value ?? null, q.after?.id ?? null]),
    // Without filters the summary knows the number; with them, count up to the cap.
    unfiltered
      ? db.query<{ n: number }>(TOTAL_SQL, [sessionId])
      : db.query<{ n: number }>(filter === null ? COUNT_SQL : withFilter(COUNT_SQL, filter), [
          ...filters,
          COUNT_CAP + 1,
        ]),
  ]);
  const n = Number(count[0]?.n ?? 0);
  if (unfiltered) return { total: n, totalExact: true, flows };
  return { total: Math.min(n, COUNT_CAP), totalExact: n <= COUNT_CAP, flows };
}

export interface FlowRow {
  flow_id: number;
  window_id: number;
  src_ip: string;
  dst_ip: string;
  src_port: number;
  dst_port: number;
  protocol: string;
  packet_count: number;
  total_bytes: number;
  duration_seconds: number;
  start_timestamp: number;
  end_timestamp: number;
  src_packets: number;
  dst_packets: number;
  src_bytes: number;
  dst_bytes: number;
  conn_state: string;
  retransmissions: number;
  dns_query: string | null;
  dns_rcode: number | null;
  tls_sni: string | null;
  http_method: string | null;
  http_host: string | null;
  /** Zeek's history letters (null: a flow stored before Flowlens kept them). */
  history: string | null;
  /** Payload bytes each way by sequence space, as Zeek counts them (TCP; null otherwise). */
  orig_bytes: number | null;
  resp_bytes: number | null;
  community_id: string | null;
}

/**
 * A session's flows in pages (keyset on the flow id, which the session's flow index serves), so an
 * export never holds them all.
 */
export async function* sessionFlows(db: Db, sessionId: string, pageSize = 10_000): AsyncGenerator<FlowRow[]> {
  const state = await db.query<{ indexed: boolean }>(
    'SELECT flows_indexed_at IS NOT NULL AS indexed FROM pcap_sessions WHERE session_id = $1',
    [sessionId],
  );
  // Without its flow-id index every page would sort the whole session again.
  if (state.length === 1 && !state[0].indexed) await indexSessionFlows(db, sessionId);
  let after = -1;
  for (;;) {
    const rows = await db.queryRows<FlowRow>(
      `SELECT flow_id::float8 AS flow_id, window_id, src_ip, dst_ip, src_port, dst_port, protocol,
              packet_count::float8 AS packet_count, total_bytes::float8 AS total_bytes, duration_seconds,
              start_timestamp, end_timestamp, src_packets::float8 AS src_packets, dst_packets::float8 AS dst_packets,
              src_bytes::float8 AS src_bytes, dst_bytes::float8 AS dst_bytes, conn_state, retransmissions,
              dns_query, dns_rcode, tls_sni, http_method, http_host, history, orig_bytes::float8 AS orig_bytes,
              resp_bytes::float8 AS resp_bytes, community_id
         FROM flows WHERE session_id = $1 AND flow_id > $2 ORDER BY flows.flow_id LIMIT $3`,
      [sessionId, after, pageSize],
    );
    if (rows.length === 0) return;
    after = rows[rows.length - 1].flow_id;
    yield rows;
  }
}
