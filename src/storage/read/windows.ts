import { DURATION_KEYS, SIZE_KEYS, type WindowRow } from '../../analysis/index.js';
import { WINDOW_COLUMNS } from '../columns.js';
import type { Db } from '../db/db.js';

/**
 * One stored window: every per-window figure the README defines as the analysis made it (bigints cast so
 * both backends give numbers), its distributions as the summary's JSON objects.
 */
export type WindowRecord = Omit<WindowRow, 'packet_size_distribution' | 'flow_duration_distribution'> & {
  packet_size_distribution: Record<string, number>;
  flow_duration_distribution: Record<string, number>;
  features_json?: unknown;
};

// The bigint columns of traffic_windows (migration 1): pg returns them as strings, so they are cast.
const BIGINT = new Set([
  'packet_count',
  'byte_count',
  'tcp_count',
  'udp_count',
  'icmp_count',
  'other_count',
  'new_flows',
  'tcp_syn_count',
  'tcp_synack_count',
  'tcp_ack_count',
  'tcp_rst_count',
  'tcp_fin_count',
  'tcp_retransmissions',
  'inbound_bytes',
  'outbound_bytes',
  'internal_bytes',
  'external_bytes',
  'inbound_packets',
  'outbound_packets',
  'internal_packets',
  'external_packets',
]);

/** A column's select expression: bigint ones cast so both backends give numbers. */
const EXPRESSION = new Map<string, string>(
  WINDOW_COLUMNS.filter((c) => c !== 'session_id' && c !== 'features_json').map((c) => [
    c,
    BIGINT.has(c) ? `${c}::float8 AS ${c}` : c,
  ]),
);
/** The columns a window answer has (for checking a `fields` list). */
export const WINDOW_FIELDS: ReadonlySet<string> = new Set([...EXPRESSION.keys(), 'features_json']);
const FROM = `
  FROM traffic_windows
 WHERE session_id = $1 AND window_id BETWEEN $2 AND $3`;

// Statements by column list, built from the constant expressions above only (a caller's list is
// checked against WINDOW_FIELDS first), so no caller text reaches the SQL.
const statements = new Map<string, string>();
function statement(columns: string[]): string {
  const key = columns.join(',');
  let sql = statements.get(key);
  if (sql === undefined) {
    // One JSON document made by the database: PGlite hands back each field of a row set one by
    // one (860 windows of 45 figures took 100-200 ms that way, a third of that as one text).
    sql = `SELECT json_agg(w ORDER BY window_id)::text AS rows FROM (SELECT ${columns
      .map((c) => (c === 'features_json' ? c : EXPRESSION.get(c)!))
      .join(', ')}${FROM}) w`;
    statements.set(key, sql);
  }
  return sql;
}
const ALL = [...EXPRESSION.keys()];

/**
 * A session's windows from `from` to `to` (inclusive ids): every figure, or only `fields`
 * (names from WINDOW_FIELDS; window_id and start_ts always). The model's inputs
 * (`features_json`) are most of a window's bytes and come only when asked for.
 */
export async function getWindows(
  db: Db,
  sessionId: string,
  from: number,
  to: number,
  options: { features?: boolean; fields?: string[] } = {},
): Promise<WindowRecord[]> {
  const wanted = options.fields ? ['window_id', 'start_ts', ...options.fields] : ALL;
  for (const f of wanted) if (!WINDOW_FIELDS.has(f)) throw new Error(`no window column '${f}'`);
  const columns = [...new Set(options.features ? [...wanted, 'features_json'] : wanted)];
  const [{ rows: text }] = await db.query<{ rows: string | null }>(statement(columns), [sessionId, from, to]);
  const rows: WindowRecord[] = text === null ? [] : JSON.parse(text);
  const sizes = columns.includes('packet_size_distribution');
  const durations = columns.includes('flow_duration_distribution');
  const features = columns.includes('features_json');
  for (const r of rows) {
    if (sizes) r.packet_size_distribution = inKeyOrder(SIZE_KEYS, json(r.packet_size_distribution));
    if (durations)
      r.flow_duration_distribution = inKeyOrder(DURATION_KEYS, json(r.flow_duration_distribution));
    if (features) r.features_json = json(r.features_json);
  }
  return rows;
}

/** pg parses jsonb; PGlite too, but a value stored as text comes back as text. */
export function json(v: unknown): unknown {
  return typeof v === 'string' ? JSON.parse(v) : v;
}

/** A distribution with the summary's bucket order (jsonb stores object keys sorted by length). */
export function inKeyOrder(keys: readonly string[], v: unknown): Record<string, number> {
  const src = (v ?? {}) as Record<string, number>;
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = src[k] ?? 0;
  return out;
}
