import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { FullSummary } from '../detect/index.js';
import { cleanName } from '../format/text.js';
import { type Db, PRESENCE_LOCK } from './db/db.js';

// The queries of a session's life: created (queued), processing, its flows' own table loaded
// and attached, completed or failed, indexed, read, deleted. One named query per function; every
// value is a parameter. Bigints are cast in SQL so both backends return numbers.

/** A stored session's summary document: what `analyze --json` prints, with its id. */
export type StoredSummary = FullSummary & { session_id: string };

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
  /** Where a `processing` session is analysed (the serve process itself, or a `flowlens worker`). */
  worker: { host: string; pid: number } | null;
  /** The capture behind the session (migration 9): its path, whether Flowlens keeps that copy, … */
  capture_path: string | null;
  capture_kept: boolean;
  capture_mtime_ms: number | null;
  /** … when retention freed the kept copy, and whether the packet index is stored. */
  capture_freed_at: string | null;
  packet_index: boolean;
}

const SESSION_COLUMNS = `session_id, name, file_name, file_size::float8 AS file_size, status, progress,
       packets::float8 AS packets, bytes::float8 AS bytes, first_ts_text AS first_ts, last_ts_text AS last_ts,
       round(((last_ts - first_ts) * 1e6)::numeric)::float8 / 1e6 AS duration_s, window_length, window_count, error, created_at, finished_at,
       CASE WHEN status = 'processing' THEN owner_host END AS worker_host,
       CASE WHEN status = 'processing' THEN owner_pid END AS worker_pid,
       capture_path, capture_kept, capture_mtime_ms, capture_freed_at,
       EXISTS (SELECT 1 FROM packet_indexes i WHERE i.session_id = pcap_sessions.session_id) AS packet_index`;

type RawSessionRow = Omit<SessionRow, 'created_at' | 'finished_at' | 'worker' | 'capture_freed_at'> & {
  created_at: Date | string;
  finished_at: Date | string | null;
  worker_host: string | null;
  worker_pid: number | null;
  capture_freed_at: Date | string | null;
};

function sessionRow(raw: RawSessionRow): SessionRow {
  const { worker_host, worker_pid, ...r } = raw;
  return {
    ...r,
    created_at: new Date(r.created_at).toISOString(),
    finished_at: r.finished_at === null ? null : new Date(r.finished_at).toISOString(),
    worker:
      worker_host !== null && worker_pid !== null ? { host: worker_host, pid: Number(worker_pid) } : null,
    capture_freed_at: r.capture_freed_at === null ? null : new Date(r.capture_freed_at).toISOString(),
  };
}

export interface NewSession {
  name: string;
  fileName: string;
  fileSize: number | null;
  localNets?: readonly string[] | null;
}

/** Records a session as `queued` (an upload waiting for its turn) and returns its id. */
export async function createSession(db: Db, s: NewSession): Promise<string> {
  const sessionId = randomUUID();
  await db.query(
    `INSERT INTO pcap_sessions (session_id, name, file_name, file_size, status, local_networks, owner_host, owner_pid,
                                owner_token)
     VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7, $8)`,
    [
      sessionId,
      // Every way in (upload, `analyze --name`, the demo) stores names cleaned the same way.
      cleanName(s.name).slice(0, 1000) || 'capture',
      cleanName(s.fileName) || 'capture',
      s.fileSize,
      JSON.stringify(s.localNets ?? null),
      hostname(),
      process.pid,
      db.owner,
    ],
  );
  // The session's own flows table (a partition), empty until its load commits.
  await db.query('SELECT flowlens_create_flows($1)', [sessionId]);
  return sessionId;
}

/** Marks a session `processing`, owned by this process (see failAbandonedSessions). */
export async function startSession(db: Db, sessionId: string): Promise<void> {
  await db.query(
    `UPDATE pcap_sessions SET status = 'processing', started_at = now(), owner_host = $2, owner_pid = $3,
                              owner_token = $4, heartbeat_at = now()
      WHERE session_id = $1`,
    [sessionId, hostname(), process.pid, db.owner],
  );
}

/**
 * Takes a queued session for this process (a worker that took its job): false when it is not
 * queued any more (deleted, finished, or another worker has it), so a job delivered twice runs once.
 */
export async function claimSession(db: Db, sessionId: string): Promise<boolean> {
  const rows = await db.query(
    `UPDATE pcap_sessions SET status = 'processing', started_at = now(), owner_host = $2, owner_pid = $3,
                              owner_token = $4, heartbeat_at = now(), progress = 0
      WHERE session_id = $1 AND status = 'queued'
      RETURNING session_id`,
    [sessionId, hostname(), process.pid, db.owner],
  );
  return rows.length === 1;
}

/**
 * Renews this process's lease on a session it processes; false when it has lost it: another
 * process put it back in the queue or took it. A session finished (its commit may hold this
 * update back until just after it) or deleted meanwhile is not lost.
 */
export async function renewSessionLease(db: Db, sessionId: string): Promise<boolean> {
  const [r] = await db.query<{ held: boolean }>(
    `WITH renewed AS (
       UPDATE pcap_sessions SET heartbeat_at = now()
        WHERE session_id = $1 AND status = 'processing' AND owner_token = $2
        RETURNING session_id)
     SELECT EXISTS (SELECT 1 FROM renewed)
         OR NOT EXISTS (SELECT 1 FROM pcap_sessions
                         WHERE session_id = $1 AND (status = 'queued' OR owner_token IS DISTINCT FROM $2)) AS held`,
    [sessionId, db.owner],
  );
  return r?.held === true;
}

/**
 * Processing sessions whose worker is gone: its presence lock is free (the process or its
 * connection ended: seen at once) or it has not renewed its lease for \`leaseSeconds\` (a process
 * that hangs). PostgreSQL only.
 */
export async function sessionsWithLostLease(db: Db, leaseSeconds: number): Promise<LostLease[]> {
  const rows = await db.query<{ session_id: string; owner_token: number | null; stale: boolean }>(
    `SELECT session_id, owner_token,
            heartbeat_at IS NULL OR heartbeat_at < now() - make_interval(secs => $1) AS stale
       FROM pcap_sessions WHERE status = 'processing'`,
    [leaseSeconds],
  );
  const lost: LostLease[] = [];
  for (const r of rows) {
    if (r.owner_token === db.owner) continue;
    if (r.stale || r.owner_token === null || !(await ownerRuns(db, r.owner_token)))
      lost.push({ sessionId: r.session_id, owner: r.owner_token });
  }
  return lost;
}

/** A processing session whose worker is gone, and that worker's presence number. */
export interface LostLease {
  sessionId: string;
  owner: number | null;
}

/**
 * Puts a session whose worker was lost back in the queue, unless it moved on meanwhile: only while
 * the lost worker still owns it (another worker may have put it back and a third taken it since).
 * Nothing of its load counts: on PostgreSQL it was one transaction, which ended with the connection.
 */
export async function requeueSession(db: Db, lost: LostLease): Promise<boolean> {
  const rows = await db.query(
    `UPDATE pcap_sessions SET status = 'queued', progress = 0, owner_token = NULL, heartbeat_at = NULL
      WHERE session_id = $1 AND status = 'processing' AND owner_token IS NOT DISTINCT FROM $2
      RETURNING session_id`,
    [lost.sessionId, lost.owner],
  );
  return rows.length === 1;
}

/**
 * Fails a session still waiting for a worker (its delete came first); false when a worker has
 * it already, which must then be told to stop.
 */
export async function cancelQueuedSession(db: Db, sessionId: string, reason: string): Promise<boolean> {
  const rows = await db.query(
    `UPDATE pcap_sessions SET status = 'failed', error = $2, finished_at = now()
      WHERE session_id = $1 AND status = 'queued'
      RETURNING session_id`,
    [sessionId, reason],
  );
  return rows.length === 1;
}

/** Sessions waiting for or in an ingest, with their stored progress (an API node's start). */
export async function unfinishedSessions(db: Db): Promise<SessionRow[]> {
  const rows = await db.query<RawSessionRow>(
    `SELECT ${SESSION_COLUMNS} FROM pcap_sessions WHERE status IN ('queued', 'processing')`,
  );
  return rows.map(sessionRow);
}

/** What the load knows of a session besides its summary. */
export interface LoadFacts {
  sha256: string | null;
  analysisSeconds: number;
  loadSeconds: number;
}

/** Marks a session `completed` with its summary, inside the transaction that loaded its rows. */
export async function completeSession(
  tx: Db,
  sessionId: string,
  summary: StoredSummary,
  facts: LoadFacts,
): Promise<void> {
  const f = summary.file;
  await tx.query(
    `UPDATE pcap_sessions SET status = 'completed', progress = 1, sha256 = $2, format = $3, link_types = $4,
       packets = $5, bytes = $6, captured_bytes = $7, first_ts = $8, last_ts = $9, first_ts_text = $10,
       last_ts_text = $11, window_length = $12, window_count = $13, local_networks = $14, summary_json = $15,
       finished_at = now(), analysis_seconds = $16, load_seconds = $17, error = NULL
     WHERE session_id = $1`,
    [
      sessionId,
      facts.sha256,
      f.format,
      JSON.stringify(f.link_types),
      f.packets,
      f.bytes,
      f.captured_bytes,
      f.first_ts === null ? null : Number(f.first_ts),
      f.last_ts === null ? null : Number(f.last_ts),
      f.first_ts,
      f.last_ts,
      summary.windows.length_s,
      summary.windows.count,
      JSON.stringify(summary.direction.local_networks),
      JSON.stringify(summary),
      facts.analysisSeconds,
      facts.loadSeconds,
    ],
  );
}

/**
 * Settings for the load's transaction. The session row is locked against deletion for the whole
 * load (what each row's foreign-key check would do); with that, where the database allows it
 * (PGlite, or a superuser on a server), the per-row foreign-key triggers are skipped: every child
 * row carries this session's id, which exists and stays, so they could only agree. `SET LOCAL`
 * ends with the transaction.
 */
export async function holdSessionForLoad(tx: Db, sessionId: string): Promise<void> {
  await tx.query('SELECT 1 FROM pcap_sessions WHERE session_id = $1 FOR KEY SHARE', [sessionId]);
  let superuser = tx.kind === 'pglite';
  if (!superuser) {
    const rows = await tx.query<{ s: boolean }>(
      'SELECT rolsuper AS s FROM pg_roles WHERE rolname = current_user',
    );
    superuser = rows[0]?.s === true;
  }
  if (superuser) await tx.exec('SET LOCAL session_replication_role = replica');
}

/** The session's own flows table, quoted (migration 3's flowlens_flow_table). */
export async function sessionFlowTable(db: Db, sessionId: string): Promise<string> {
  const [{ t }] = await db.query<{ t: string }>('SELECT flowlens_flow_table($1) AS t', [sessionId]);
  return t;
}

/** A new block of flow ids for one ingest: a flow's id is block * 2^32 + its flow id (migration 5). */
export async function nextFlowIdBlock(db: Db): Promise<number> {
  const [{ b }] = await db.query<{ b: number }>("SELECT nextval('flows_id_block_seq')::int AS b");
  return b;
}

/** Makes the loaded flows table the session's partition of `flows` (its foreign key checked in one query). */
export async function attachSessionFlows(tx: Db, sessionId: string): Promise<void> {
  await tx.query('SELECT flowlens_attach_flows($1)', [sessionId]);
}

/** Drops the session's flows table (a failed or deleted session's flows). */
export async function dropSessionFlows(db: Db, sessionId: string): Promise<void> {
  await db.query('SELECT flowlens_drop_flows($1)', [sessionId]);
}

/**
 * Sets each loaded flow's window id from its start time: for when the windows the flows were
 * written with turned out other than the analysis' own.
 */
export async function rewindowFlows(
  tx: Db,
  flowTable: string,
  sessionId: string,
  w: { t0: number; lengthS: number; count: number },
): Promise<void> {
  await tx.query(
    `UPDATE ${flowTable} SET window_id = LEAST(GREATEST(floor((start_timestamp - $2) / $3)::int, 0), GREATEST($4 - 1, 0))
      WHERE session_id = $1`,
    [sessionId, w.t0, w.lengthS, w.count],
  );
}

/** A completed session's stored feature rows, one per window (a model is fitted on them). */
export async function baselineFeatures(
  db: Db,
  sessionId: string,
): Promise<{ values: Record<string, number | null> }[]> {
  const status = await db.query<{ status: string }>(
    'SELECT status FROM pcap_sessions WHERE session_id = $1',
    [sessionId],
  );
  if (status.length === 0) throw new Error(`baseline session ${sessionId} not found`);
  if (status[0].status !== 'completed')
    throw new Error(`baseline session ${sessionId} is ${status[0].status}, not completed`);
  const rows = await db.query<{ features_json: { values: Record<string, number | null> } | string | null }>(
    'SELECT features_json FROM traffic_windows WHERE session_id = $1 ORDER BY window_id',
    [sessionId],
  );
  return rows
    .map((r) => (typeof r.features_json === 'string' ? JSON.parse(r.features_json) : r.features_json))
    .filter((r): r is { values: Record<string, number | null> } => r !== null && typeof r === 'object');
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
    await dropSessionFlows(tx, sessionId);
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
  // The search's networks (migration 12): ranges of the inet form.
  'src_inet',
  'dst_inet',
];

/** Completed sessions whose flows are not indexed yet (loaded by another process, or interrupted). */
export async function sessionsToIndex(db: Db): Promise<string[]> {
  const rows = await db.query<{ session_id: string }>(
    `SELECT session_id FROM pcap_sessions WHERE status = 'completed' AND flows_indexed_at IS NULL
      ORDER BY created_at DESC`,
  );
  return rows.map((r) => r.session_id);
}

/** Row counts of every child table of a session (for checks and `show`). */
export async function childRowCounts(db: Db, sessionId: string): Promise<Record<string, number>> {
  const rows = await db.query<{ t: string; n: number }>(
    `SELECT 'traffic_windows' AS t, count(*)::int AS n FROM traffic_windows WHERE session_id = $1
     UNION ALL SELECT 'flows', count(*)::int FROM flows WHERE session_id = $1
     UNION ALL SELECT 'top_ips', count(*)::int FROM top_ips WHERE session_id = $1
     UNION ALL SELECT 'port_stats', count(*)::int FROM port_stats WHERE session_id = $1
     UNION ALL SELECT 'anomaly_results', count(*)::int FROM anomaly_results WHERE session_id = $1
     UNION ALL SELECT 'insights', count(*)::int FROM insights WHERE session_id = $1
     UNION ALL SELECT 'dns_log', count(*)::int FROM dns_log WHERE session_id = $1
     UNION ALL SELECT 'http_log', count(*)::int FROM http_log WHERE session_id = $1
     UNION ALL SELECT 'tls_log', count(*)::int FROM tls_log WHERE session_id = $1
     UNION ALL SELECT 'host_geo', count(*)::int FROM host_geo WHERE session_id = $1`,
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
      await dropSessionFlows(db, r.session_id);
      n++;
    }
  }
  return n;
}
