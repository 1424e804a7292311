import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type AnalyzeOptions, WindowLimitError } from '../analysis/index.js';
import { CaptureFormatError } from '../capture/index.js';
import { type Baseline, baselineFromFeatures } from '../detect/index.js';
import type { Db } from './db.js';
import type { WorkerJob } from './ingest-worker.js';
import {
  ANOMALY_COLUMNS,
  BATCH_ROWS,
  FLOW_COLUMNS,
  INSIGHT_COLUMNS,
  PORT_COLUMNS,
  type Prepared,
  type PrepareOptions,
  prepareCapture,
  type StoredSummary,
  TOP_IP_COLUMNS,
  WINDOW_COLUMNS,
} from './prepare.js';

export { csvField, FLOW_COLUMNS, type StoredSummary, WINDOW_COLUMNS } from './prepare.js';

export type IngestPhase = 'reading' | 'detecting' | 'storing' | 'done';

export interface IngestProgress {
  phase: IngestPhase;
  bytesRead: number;
  bytesTotal: number | null;
  packets: number;
}

export interface IngestOptions extends Omit<AnalyzeOptions, 'onFlow' | 'onProgress'> {
  /** Session name (defaults to the file name). */
  sessionName?: string;
  /** A session made earlier by `createSession` (status `queued`); a new one otherwise. */
  sessionId?: string;
  /** File name to record when `path` is a generated upload name. */
  fileName?: string;
  onProgress?: (progress: IngestProgress) => void;
  /** Score the windows with a model fitted on this session's windows instead of the capture's own. */
  baselineSessionId?: string;
  /** Run the analysis in a worker thread (default: yes, when the compiled worker is there). */
  worker?: boolean;
  /** Test hook: runs inside the load transaction just before it commits. */
  beforeCommit?: () => Promise<void> | void;
}

export interface IngestResult {
  sessionId: string;
  summary: StoredSummary;
  /** Reader, analysis and detection warnings. */
  warnings: string[];
}

export interface NewSession {
  name: string;
  fileName: string;
  fileSize: number | null;
  localNets?: string[] | null;
}

/** Records a session as `queued` (an upload waiting for its turn) and returns its id. */
export async function createSession(db: Db, s: NewSession): Promise<string> {
  const sessionId = randomUUID();
  await db.query(
    `INSERT INTO pcap_sessions (session_id, name, file_name, file_size, status, local_networks, owner_host, owner_pid)
     VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7)`,
    [sessionId, s.name, s.fileName, s.fileSize, JSON.stringify(s.localNets ?? null), hostname(), process.pid],
  );
  // The session's own flows table (a partition), empty until its load commits.
  await db.query('SELECT flowlens_create_flows($1)', [sessionId]);
  return sessionId;
}

/**
 * Analyses a capture and stores it as one session, all or nothing: the session row is written
 * first with status `processing`; windows, flows and rankings are loaded by COPY in one
 * transaction that also marks the session `completed`. Any failure rolls the rows back and leaves
 * the session `failed` with the reason. The analysis and detection run in a worker thread
 * (`prepare.ts`) that writes every row to spool files, so memory stays bounded and the calling
 * thread (a server's event loop) stays free; this thread only COPYs the files.
 */
export async function ingestCapture(
  db: Db,
  path: string,
  options: IngestOptions = {},
): Promise<IngestResult> {
  let fileSize: number | null = null;
  try {
    fileSize = statSync(path).size;
  } catch {
    // the reader reports a missing file with a proper message
  }
  const fileName = options.fileName ?? basename(path);
  const sessionId =
    options.sessionId ??
    (await createSession(db, {
      name: options.sessionName ?? fileName,
      fileName,
      fileSize,
      localNets: options.localNets,
    }));
  await db.query(
    `UPDATE pcap_sessions SET status = 'processing', started_at = now(), owner_host = $2, owner_pid = $3
      WHERE session_id = $1`,
    [sessionId, hostname(), process.pid],
  );
  const spool = mkdtempSync(join(tmpdir(), 'flowlens-ingest-'));
  try {
    options.signal?.throwIfAborted();
    const baseline = options.baselineSessionId
      ? await loadBaseline(db, options.baselineSessionId)
      : undefined;
    const {
      onProgress,
      signal,
      beforeCommit: _b,
      sessionId: _s,
      sessionName: _n,
      fileName: _f,
      baselineSessionId: _bl,
      worker,
      ...analysis
    } = options;
    const prepareOptions: Omit<PrepareOptions, 'onProgress'> = { ...analysis, baseline };
    const report = (p: {
      phase: IngestPhase;
      bytesRead: number;
      bytesTotal: number | null;
      packets: number;
    }) =>
      onProgress?.(
        p.phase === 'reading' ? p : { ...p, bytesRead: fileSize ?? p.bytesRead, bytesTotal: fileSize },
      );
    const workerFile = worker === false ? null : compiledWorker();
    const prepared = workerFile
      ? await prepareInWorker(
          workerFile,
          { path, sessionId, spoolDir: spool, options: prepareOptions },
          report,
          signal,
        )
      : await prepareCapture(path, sessionId, spool, { ...prepareOptions, onProgress: report });
    signal?.throwIfAborted();
    const packets = prepared.summary.file.packets;
    report({ phase: 'storing', bytesRead: fileSize ?? 0, bytesTotal: fileSize, packets });
    const loadStarted = performance.now();
    const summary = prepared.summary;
    await db.transaction(async (tx) => {
      await copyFile(tx, 'traffic_windows', WINDOW_COLUMNS, prepared.files.windows, signal);
      await loadFlows(tx, sessionId, prepared, signal);
      await copyFile(tx, 'top_ips', TOP_IP_COLUMNS, prepared.files.topIps, signal);
      await copyFile(tx, 'port_stats', PORT_COLUMNS, prepared.files.ports, signal);
      await copyFile(tx, 'anomaly_results', ANOMALY_COLUMNS, prepared.files.anomalies, signal);
      await copyFile(tx, 'insights', INSIGHT_COLUMNS, prepared.files.insights, signal);
      const f = summary.file;
      await tx.query(
        `UPDATE pcap_sessions SET status = 'completed', progress = 1, sha256 = $2, format = $3, link_types = $4,
           packets = $5, bytes = $6, captured_bytes = $7, first_ts = $8, last_ts = $9, first_ts_text = $10,
           last_ts_text = $11, window_length = $12, window_count = $13, local_networks = $14, summary_json = $15,
           finished_at = now(), analysis_seconds = $16, load_seconds = $17, error = NULL
         WHERE session_id = $1`,
        [
          sessionId,
          prepared.sha256,
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
          prepared.analysisSeconds,
          (performance.now() - loadStarted) / 1000,
        ],
      );
      await options.beforeCommit?.();
    });
    report({ phase: 'done', bytesRead: fileSize ?? 0, bytesTotal: fileSize, packets });
    return { sessionId, summary, warnings: prepared.warnings };
  } catch (err) {
    const reason = options.signal?.aborted ? 'cancelled before it finished' : (err as Error).message;
    await db
      .query(
        `UPDATE pcap_sessions SET status = 'failed', error = $2, finished_at = now() WHERE session_id = $1`,
        [sessionId, reason],
      )
      .catch(() => undefined);
    throw err;
  } finally {
    rmSync(spool, { recursive: true, force: true });
  }
}

/**
 * The compiled worker script. From the built package it sits beside this file; when this module
 * runs from TypeScript source (tests), the build's copy is used if there is one, else the work
 * runs on this thread.
 */
function compiledWorker(): string | null {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return join(here, '..', 'ingest-worker.js');
  const built = join(here, '..', '..', '..', 'dist', 'src', 'storage', 'ingest-worker.js');
  return existsSync(built) ? built : null;
}

function prepareInWorker(
  file: string,
  job: WorkerJob,
  onProgress: (p: IngestProgress) => void,
  signal: AbortSignal | undefined,
): Promise<Prepared> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(file, { workerData: job });
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
      void worker.terminate();
    };
    const onAbort = () => finish(() => reject(signal!.reason ?? new Error('cancelled')));
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on(
      'message',
      (m: {
        type: string;
        progress?: IngestProgress;
        prepared?: Prepared;
        kind?: string;
        message?: string;
      }) => {
        if (m.type === 'progress') onProgress(m.progress!);
        else if (m.type === 'done') finish(() => resolve(m.prepared!));
        else if (m.type === 'error') {
          const e =
            m.kind === 'capture'
              ? new CaptureFormatError(m.message!)
              : m.kind === 'window'
                ? new WindowLimitError(m.message!)
                : new Error(m.message);
          finish(() => reject(e));
        }
      },
    );
    worker.on('error', (e) => finish(() => reject(e)));
    worker.on('exit', (code) =>
      finish(() => reject(new Error(`analysis worker stopped (exit code ${code})`))),
    );
  });
}

/** COPYs a spool file in batches of whole lines. */
async function copyFile(
  tx: Db,
  table: string,
  columns: readonly string[],
  file: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  await forEachLineBatch(file, async (lines) => {
    signal?.throwIfAborted();
    await tx.copyCsv(table, columns, lines.join(''));
  });
}

async function forEachLineBatch(
  file: string,
  fn: (lines: string[]) => Promise<void>,
  map?: (line: string) => string,
): Promise<void> {
  let rest = '';
  let lines: string[] = [];
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 4 << 20 })) {
    const text = rest + (chunk as string);
    let at = 0;
    for (;;) {
      const nl = text.indexOf('\n', at);
      if (nl < 0) break;
      const line = text.slice(at, nl + 1);
      at = nl + 1;
      lines.push(map ? map(line) : line);
      if (lines.length === BATCH_ROWS) {
        await fn(lines);
        lines = [];
      }
    }
    rest = text.slice(at);
  }
  if (lines.length > 0) await fn(lines);
}

/** Streams the spooled flows into COPY batches, putting each flow's window id in place. */
async function loadFlows(
  tx: Db,
  sessionId: string,
  prepared: Prepared,
  signal: AbortSignal | undefined,
): Promise<void> {
  const { t0, lengthS, count } = prepared.windowing;
  const windowOf = (start: number) =>
    Math.min(Math.max(Math.floor((start - t0) / lengthS), 0), Math.max(count - 1, 0));
  const prefix = sessionId.length + 1;
  await forEachLineBatch(
    prepared.files.flows,
    async (lines) => {
      signal?.throwIfAborted();
      await tx.copyCsv('flows', FLOW_COLUMNS, lines.join(''));
    },
    (line) => {
      const a = line.indexOf(',', prefix); // after flow_id
      const b = line.indexOf(',', a + 1); // after the start-time placeholder
      return `${line.slice(0, a + 1)}${windowOf(Number(line.slice(a + 1, b)))}${line.slice(b)}`;
    },
  );
}

/** The stored feature rows of a completed session, to fit a model on. */
async function loadBaseline(db: Db, sessionId: string): Promise<Baseline> {
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
  const parsed = rows
    .map((r) => (typeof r.features_json === 'string' ? JSON.parse(r.features_json) : r.features_json))
    .filter((r): r is { values: Record<string, number | null> } => r !== null && typeof r === 'object');
  if (parsed.length === 0) throw new Error(`baseline session ${sessionId} has no windows to learn from`);
  return baselineFromFeatures(sessionId, parsed);
}
