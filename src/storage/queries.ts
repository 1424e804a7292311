import { type Db, PRESENCE_LOCK } from './db.js';
import type { StoredSummary } from './ingest.js';

// One named query per function; every value is a parameter. Bigints are cast in SQL so both
// backends return numbers.

export interface SessionRow {
  session_id: string;
  name: string;
  file_name: string;
  file_size: number | null;
  status: 'queued' | 'processing' | 'completed' | 'failed';
  progress: number;
  packets: number | null;
  bytes: number | null;
  first_ts: string | null;
  last_ts: string | null;
  duration_s: number | null;
  window_length: number | null;
  window_count: number | null;
  error: string | null;
  created_at: string;
  finished_at: string | null;
}

const SESSION_COLUMNS = `session_id, name, file_name, file_size::float8 AS file_size, status, progress,
       packets::float8 AS packets, bytes::float8 AS bytes, first_ts_text AS first_ts, last_ts_text AS last_ts,
       round(((last_ts - first_ts) * 1e6)::numeric)::float8 / 1e6 AS duration_s, window_length, window_count, error, created_at, finished_at`;

type RawSessionRow = Omit<SessionRow, 'created_at' | 'finished_at'> & {
  created_at: Date | string;
  finished_at: Date | string | null;
};

function sessionRow(r: RawSessionRow): SessionRow {
  return {
    ...r,
    created_at: new Date(r.created_at).toISOString(),
    finished_at: r.finished_at === null ? null : new Date(r.finished_at).toISOString(),
  };
}

export async function listSessions(db: Db): Promise<SessionRow[]> {
  const rows = await db.query<RawSessionRow>(
    `SELECT ${SESSION_COLUMNS} FROM pcap_sessions ORDER BY created_at DESC, session_id`,
  );
  return rows.map(sessionRow);
}

/**
 * A stored session's summary document, as `analyze --json` printed it; `withoutAnomalies` leaves
 * out the per-window anomalies (most of a long session's summary). Dropped here rather than in
 * SQL: parsing the text is quicker in V8 than turning it into jsonb in PGlite.
 */
export async function getSessionSummary(
  db: Db,
  sessionId: string,
  options: { withoutAnomalies?: boolean } = {},
): Promise<StoredSummary | null> {
  const rows = await db.query<{ summary_json: StoredSummary | string | null }>(
    'SELECT summary_json FROM pcap_sessions WHERE session_id = $1',
    [sessionId],
  );
  if (rows.length === 0 || rows[0].summary_json === null) return null;
  const v = rows[0].summary_json;
  const s = typeof v === 'string' ? (JSON.parse(v) as StoredSummary) : v;
  if (options.withoutAnomalies) delete (s as { anomalies?: unknown }).anomalies;
  return s;
}

/**
 * One part of a stored summary (`tcp`, `direction` …), taken out in SQL so that a small answer
 * does not carry the whole document (whose per-window anomalies grow with the windows).
 */
export async function getSummaryPart<T>(db: Db, sessionId: string, part: string): Promise<T | null> {
  const rows = await db.query<{ v: T | string | null }>(
    'SELECT summary_json -> $2 AS v FROM pcap_sessions WHERE session_id = $1',
    [sessionId, part],
  );
  if (rows.length === 0 || rows[0].v === null) return null;
  const v = rows[0].v;
  return typeof v === 'string' ? (JSON.parse(v) as T) : v;
}

export async function getSession(db: Db, sessionId: string): Promise<SessionRow | null> {
  const rows = await db.query<RawSessionRow>(
    `SELECT ${SESSION_COLUMNS} FROM pcap_sessions WHERE session_id = $1`,
    [sessionId],
  );
  return rows.length === 0 ? null : sessionRow(rows[0]);
}

/** The local networks a session was analysed with (what its direction figures used). */
export async function sessionLocalNets(db: Db, sessionId: string): Promise<string[] | null> {
  const rows = await db.query<{ nets: string[] | string | null }>(
    'SELECT local_networks AS nets FROM pcap_sessions WHERE session_id = $1',
    [sessionId],
  );
  const nets = rows[0]?.nets ?? null;
  // pg parses jsonb; a JSON null or a string (PGlite may hand the text) means the same.
  const list = typeof nets === 'string' ? JSON.parse(nets) : nets;
  return Array.isArray(list) ? list : null;
}

/**
 * Deletes a session; its windows, rankings, anomalies and insights go with it (cascade), its flows
 * table is dropped whole.
 */
export async function deleteSession(db: Db, sessionId: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT flowlens_drop_flows($1)', [sessionId]);
    const rows = await tx.query<{ session_id: string }>(
      'DELETE FROM pcap_sessions WHERE session_id = $1 RETURNING session_id',
      [sessionId],
    );
    return rows.length > 0;
  });
}

/**
 * Builds the indexes of a completed session's flows (sorts and filters of the flows endpoint, the
 * export's paging). Done after the load commits, so an ingest is not held up by it; idempotent.
 */
export async function indexSessionFlows(db: Db, sessionId: string): Promise<void> {
  for (const kind of FLOW_INDEXES) await db.query('SELECT flowlens_index_flows($1, $2)', [sessionId, kind]);
  await db.query('SELECT flowlens_analyze_flows($1)', [sessionId]);
  await db.query('UPDATE pcap_sessions SET flows_indexed_at = now() WHERE session_id = $1', [sessionId]);
}

/** The flow indexes of a session (migration 3's flowlens_index_flows), the default view's first. */
const FLOW_INDEXES = [
  'bytes',
  'src',
  'dst',
  'proto',
  'dport',
  'sport',
  'packets',
  'duration',
  'start',
  'retrans',
  'flow',
];

/** Completed sessions whose flows are not indexed yet (loaded by another process, or interrupted). */
export async function sessionsToIndex(db: Db): Promise<string[]> {
  const rows = await db.query<{ session_id: string }>(
    `SELECT session_id FROM pcap_sessions WHERE status = 'completed' AND flows_indexed_at IS NULL
      ORDER BY created_at DESC`,
  );
  return rows.map((r) => r.session_id);
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
    const rows = await db.query<FlowRow>(
      `SELECT flow_id::float8 AS flow_id, window_id, src_ip, dst_ip, src_port, dst_port, protocol,
              packet_count::float8 AS packet_count, total_bytes::float8 AS total_bytes, duration_seconds,
              start_timestamp, end_timestamp, src_packets::float8 AS src_packets, dst_packets::float8 AS dst_packets,
              src_bytes::float8 AS src_bytes, dst_bytes::float8 AS dst_bytes, conn_state, retransmissions,
              dns_query, dns_rcode, tls_sni, http_method, http_host
         FROM flows WHERE session_id = $1 AND flow_id > $2 ORDER BY flows.flow_id LIMIT $3`,
      [sessionId, after, pageSize],
    );
    if (rows.length === 0) return;
    after = rows[rows.length - 1].flow_id;
    yield rows;
  }
}

/** Row counts of every child table of a session (for checks and `show`). */
export async function childRowCounts(db: Db, sessionId: string): Promise<Record<string, number>> {
  const rows = await db.query<{ t: string; n: number }>(
    `SELECT 'traffic_windows' AS t, count(*)::int AS n FROM traffic_windows WHERE session_id = $1
     UNION ALL SELECT 'flows', count(*)::int FROM flows WHERE session_id = $1
     UNION ALL SELECT 'top_ips', count(*)::int FROM top_ips WHERE session_id = $1
     UNION ALL SELECT 'port_stats', count(*)::int FROM port_stats WHERE session_id = $1
     UNION ALL SELECT 'anomaly_results', count(*)::int FROM anomaly_results WHERE session_id = $1
     UNION ALL SELECT 'insights', count(*)::int FROM insights WHERE session_id = $1`,
    [sessionId],
  );
  return Object.fromEntries(rows.map((r) => [r.t, Number(r.n)]));
}

/**
 * Marks a session failed unless it already finished. Retries for a while: when the database
 * itself was the trouble (a server restarting), the first attempts fail too, and a session must
 * not stay `processing` for ever.
 */
export async function failSession(db: Db, sessionId: string, reason: string, attempts = 20): Promise<void> {
  const until = Date.now() + 30_000;
  for (let i = 0; ; i++) {
    try {
      await within(
        db.query(
          `UPDATE pcap_sessions SET status = 'failed', error = $2, finished_at = now()
            WHERE session_id = $1 AND status IN ('queued', 'processing')`,
          [sessionId, reason],
        ),
        5_000,
        'marking the session failed',
      );
      return;
    } catch (err) {
      if (i + 1 >= attempts || Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** i, 2000)));
    }
  }
}

/**
 * `p`, or an error after `ms`: a statement that a database in trouble (a full disk) never
 * answers must not keep a session `processing` for ever. The statement itself is not stopped.
 */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer from the database in ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * Whether the process that holds `owner`'s presence lock still runs: the lock is free once its
 * connection is gone. Tried within a transaction, so that it is let go at once whatever happens.
 */
async function ownerRuns(db: Db, owner: number): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [r] = await tx.query<{ free: boolean }>('SELECT pg_try_advisory_xact_lock($1, $2) AS free', [
      PRESENCE_LOCK,
      owner,
    ]);
    return r?.free !== true;
  });
}

/**
 * Sessions left `processing` or `queued` by a process that no longer runs are marked failed, and
 * the flows that PGlite's load had stored batch by batch (see `ingestCapture`) are dropped;
 * nothing else of theirs was ever committed. On PostgreSQL the owner's presence lock tells, from
 * any host; sessions stored before it (no owner number) by their host and pid.
 */
export async function failAbandonedSessions(
  db: Db,
  host: string,
  isAlive: (pid: number) => boolean,
): Promise<number> {
  const rows = await db.query<{
    session_id: string;
    owner_host: string | null;
    owner_pid: number | null;
    owner_token: number | null;
  }>(
    `SELECT session_id, owner_host, owner_pid, owner_token FROM pcap_sessions
      WHERE status IN ('processing', 'queued')`,
  );
  let n = 0;
  for (const r of rows) {
    const mine = r.owner_host === host && r.owner_pid !== null && r.owner_pid !== process.pid;
    const ended =
      db.kind === 'pglite' ||
      (r.owner_token !== null
        ? r.owner_token !== db.owner && !(await ownerRuns(db, r.owner_token))
        : mine && !isAlive(Number(r.owner_pid)));
    if (ended) {
      await db.query(
        `UPDATE pcap_sessions SET status = 'failed', error = 'interrupted: the process analysing it ended', finished_at = now()
          WHERE session_id = $1 AND status IN ('processing', 'queued')`,
        [r.session_id],
      );
      await db.query('SELECT flowlens_drop_flows($1)', [r.session_id]);
      n++;
    }
  }
  return n;
}
