import type { Db } from '../db.js';
import type { FlowRow } from '../queries.js';

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
  windowFrom: number | null;
  windowTo: number | null;
  limit: number;
  offset: number;
}

export interface FlowPage {
  total: number;
  flows: FlowRow[];
}

// Stored protocol names (analysis' `protocolName`); `other` is every IP protocol besides these.
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
   AND ($4::text IS NULL OR protocol = $4 OR ($4 = 'other' AND protocol NOT IN ('TCP', 'UDP', 'ICMP', 'ICMPv6')))
   AND ($5::int IS NULL OR window_id >= $5)
   AND ($6::int IS NULL OR window_id <= $6)`;

const COLUMNS = `flow_id::float8 AS flow_id, window_id, src_ip, dst_ip, src_port, dst_port, protocol,
       packet_count::float8 AS packet_count, total_bytes::float8 AS total_bytes, duration_seconds,
       start_timestamp, end_timestamp, src_packets::float8 AS src_packets, dst_packets::float8 AS dst_packets,
       src_bytes::float8 AS src_bytes, dst_bytes::float8 AS dst_bytes, conn_state, retransmissions,
       dns_query, dns_rcode, tls_sni, http_method, http_host`;

// One constant statement per sort column and order (ties broken by flow id, so pages are stable).
const PAGE_SQL = new Map<string, string>();
for (const sort of FLOW_SORTS) {
  for (const order of ['asc', 'desc'] as const) {
    PAGE_SQL.set(
      `${sort} ${order}`,
      `SELECT ${COLUMNS} FROM flows ${WHERE} ORDER BY ${sort} ${order}, flow_id ${order} LIMIT $7 OFFSET $8`,
    );
  }
}
const COUNT_SQL = `SELECT count(*)::float8 AS n FROM flows ${WHERE}`;

/** One page of a session's flows, sorted and filtered, with the number of flows that match. */
export async function getFlows(db: Db, sessionId: string, q: FlowQuery): Promise<FlowPage> {
  const protocol = q.protocol === null ? null : q.protocol === 'other' ? 'other' : PROTOCOL_NAMES[q.protocol];
  const filters = [sessionId, q.ip, q.port, protocol, q.windowFrom, q.windowTo];
  const sql = PAGE_SQL.get(`${q.sort} ${q.order}`);
  if (sql === undefined) throw new Error(`unknown flow sort ${q.sort} ${q.order}`);
  const [flows, count] = await Promise.all([
    db.query<FlowRow>(sql, [...filters, q.limit, q.offset]),
    db.query<{ n: number }>(COUNT_SQL, filters),
  ]);
  return { total: Number(count[0].n), flows };
}
