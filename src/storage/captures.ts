import type { Db } from './db/db.js';
import { json } from './read/windows.js';

// The capture behind a session and the rows extraction reads (migration 9): where the file is,
// whether Flowlens owns that copy, the size and time it had when analysed, its packet index, and
// the flow, alert or window a selection names. Every value is a parameter.

/** The capture file a session was analysed from, as recorded by its ingest. */
export interface CaptureRef {
  /** Absolute path. */
  path: string;
  /** True for a copy Flowlens keeps (an upload, `analyze --keep`); false for the user's own file. */
  kept: boolean;
  size: number;
  mtimeMs: number;
}

/** Records the capture and its packet index, inside the transaction that completes the session. */
export async function recordCapture(
  tx: Db,
  sessionId: string,
  ref: CaptureRef,
  index: Uint8Array | null,
): Promise<void> {
  await tx.query(
    `UPDATE pcap_sessions SET capture_path = $2, capture_kept = $3, file_size = $4, capture_mtime_ms = $5,
       capture_freed_at = NULL
     WHERE session_id = $1`,
    [sessionId, ref.path, ref.kept, ref.size, ref.mtimeMs],
  );
  if (index !== null)
    await tx.query('INSERT INTO packet_indexes (session_id, index_bytes) VALUES ($1, $2)', [
      sessionId,
      index,
    ]);
}

/** What extraction needs to know of a session before reading its capture. */
export interface CaptureSource {
  session_id: string;
  name: string;
  status: 'queued' | 'processing' | 'completed' | 'failed';
  capture_path: string | null;
  capture_kept: boolean;
  file_size: number | null;
  capture_mtime_ms: number | null;
  capture_freed_at: string | null;
  sha256: string | null;
  has_index: boolean;
}

export async function getCaptureSource(db: Db, sessionId: string): Promise<CaptureSource | null> {
  const rows = await db.query<CaptureSource & { capture_freed_at: Date | string | null }>(
    `SELECT session_id, name, status, capture_path, capture_kept, file_size::float8 AS file_size, capture_mtime_ms,
            capture_freed_at, sha256,
            EXISTS (SELECT 1 FROM packet_indexes i WHERE i.session_id = s.session_id) AS has_index
       FROM pcap_sessions s WHERE session_id = $1`,
    [sessionId],
  );
  if (rows.length === 0) return null;
  const r = rows[0];
  return {
    ...r,
    capture_freed_at: r.capture_freed_at === null ? null : new Date(r.capture_freed_at).toISOString(),
  };
}

/** The serialised packet index of a session (`serializePacketIndex`), or null. */
export async function getPacketIndexBytes(db: Db, sessionId: string): Promise<Uint8Array | null> {
  const rows = await db.query<{ b: Uint8Array }>(
    'SELECT index_bytes AS b FROM packet_indexes WHERE session_id = $1',
    [sessionId],
  );
  return rows.length === 0 ? null : rows[0].b;
}

/** A capture copy Flowlens keeps, oldest analysis first. */
export interface KeptCapture {
  session_id: string;
  path: string;
  size: number;
  created_at: string;
}

/** Every kept copy not yet freed, oldest first (the order retention frees them in). */
export async function keptCaptures(db: Db): Promise<KeptCapture[]> {
  const rows = await db.query<Omit<KeptCapture, 'created_at'> & { created_at: Date | string }>(
    `SELECT session_id, capture_path AS path, coalesce(file_size, 0)::float8 AS size, created_at
       FROM pcap_sessions
      WHERE capture_kept AND capture_path IS NOT NULL AND capture_freed_at IS NULL
      ORDER BY created_at, session_id`,
  );
  return rows.map((r) => ({ ...r, created_at: new Date(r.created_at).toISOString() }));
}

/** Marks a session's kept copy freed: its packets are no longer kept. */
export async function markCaptureFreed(db: Db, sessionId: string): Promise<void> {
  await db.query(
    'UPDATE pcap_sessions SET capture_freed_at = now() WHERE session_id = $1 AND capture_freed_at IS NULL',
    [sessionId],
  );
}

/** A stored flow as a flow selection needs it, or null when the session has no flow with that id. */
export interface FlowSelectRow {
  flow_id: number;
  protocol: string;
  src_ip: string;
  dst_ip: string;
  src_port: number;
  dst_port: number;
  first_ts: number;
  last_ts: number;
  packets: number;
  bytes: number;
}

const FLOW_SELECT = `flow_id::float8 AS flow_id, protocol, src_ip, dst_ip, src_port, dst_port,
       start_timestamp AS first_ts, end_timestamp AS last_ts, packet_count::float8 AS packets,
       total_bytes::float8 AS bytes`;

export async function getFlowForSelection(
  db: Db,
  sessionId: string,
  flowId: number,
): Promise<FlowSelectRow | null> {
  const rows = await db.query<FlowSelectRow>(
    `SELECT ${FLOW_SELECT} FROM flows WHERE session_id = $1 AND flow_id = $2`,
    [sessionId, flowId],
  );
  return rows[0] ?? null;
}

/** The flows the Protocols page's filters list (at most `limit`), as flow selections need them. */
export async function getFlowsForSelection(
  db: Db,
  sessionId: string,
  filter: {
    ip: string | null;
    port: number | null;
    protocol: string | null;
    windowFrom: number | null;
    windowTo: number | null;
  },
  limit: number,
): Promise<FlowSelectRow[]> {
  return db.query<FlowSelectRow>(
    `SELECT ${FLOW_SELECT} FROM flows
      WHERE session_id = $1
        AND ($2::text IS NULL OR src_ip = $2 OR dst_ip = $2)
        AND ($3::int IS NULL OR src_port = $3 OR dst_port = $3)
        AND ($4::text IS NULL OR protocol = $4 OR ($4 = 'other' AND protocol > 'ICMPv6' AND protocol < 'TCP'))
        AND ($5::int IS NULL OR window_id >= $5)
        AND ($6::int IS NULL OR window_id <= $6)
      ORDER BY flow_id LIMIT $7`,
    [sessionId, filter.ip, filter.port, filter.protocol, filter.windowFrom, filter.windowTo, limit],
  );
}

/** One alert as an alert selection needs it. */
export interface AlertSelectRow {
  id: number;
  alert_type: string | null;
  details: Record<string, unknown> | null;
  event_ts: number | null;
  window_start: number | null;
  window_end: number | null;
}

export async function getAlertForSelection(
  db: Db,
  sessionId: string,
  id: number,
): Promise<AlertSelectRow | null> {
  const rows = await db.query<AlertSelectRow>(
    `SELECT id::float8 AS id, alert_type, details, event_ts, window_start, window_end
       FROM insights WHERE session_id = $1 AND id = $2 AND insight_type = 'alert'`,
    [sessionId, id],
  );
  if (rows.length === 0) return null;
  const r = rows[0];
  return { ...r, details: json(r.details) as Record<string, unknown> | null };
}

/** One window's start and end. */
export async function getWindowSpan(
  db: Db,
  sessionId: string,
  windowId: number,
): Promise<{ start_ts: number; end_ts: number } | null> {
  const rows = await db.query<{ start_ts: number; end_ts: number }>(
    'SELECT start_ts, end_ts FROM traffic_windows WHERE session_id = $1 AND window_id = $2',
    [sessionId, windowId],
  );
  return rows[0] ?? null;
}
