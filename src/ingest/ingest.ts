import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { type AnalysisSettings, analysisShards, DEFAULT_SETTINGS } from '../analysis/index.js';
import { type Baseline, baselineFromFeatures, type IntelEntry } from '../detect/index.js';
import { compiledScript } from '../runtime/workers.js';
import {
  ANOMALY_COLUMNS,
  attachSessionFlows,
  baselineFeatures,
  completeSession,
  createSession,
  type Db,
  DNS_LOG_COLUMNS,
  dropSessionFlows,
  failSession,
  HOST_GEO_COLUMNS,
  HTTP_LOG_COLUMNS,
  holdSessionForLoad,
  INSIGHT_COLUMNS,
  nextFlowIdBlock,
  PORT_COLUMNS,
  recordCapture,
  type StoredSummary,
  sessionFlowTable,
  startSession,
  TLS_LOG_COLUMNS,
  TOP_IP_COLUMNS,
  WINDOW_COLUMNS,
  within,
} from '../storage/index.js';
import { ensureSpaceForLoad } from './disk-space.js';
import { OverlappedLoad } from './overlapped-load.js';
import { type Prepared, type PrepareOptions, prepareCapture } from './prepare.js';
import type { IngestPhase, IngestProgress } from './progress.js';
import { copyFile, loadSpooledFlows } from './spool-load.js';

export interface IngestOptions {
  /** Window length, local networks, timeouts, top-N (see `resolveSettings`); the defaults if absent. */
  settings?: AnalysisSettings;
  /** Threads of the analysis (`analyze --threads`): 1 in one thread, N > 1 with N - 1 flow shards. */
  threads?: number;
  /** Name shown in messages and in the summary's file.path (default: the path). */
  name?: string;
  /** Session name (defaults to the file name). */
  sessionName?: string;
  /** A session made earlier by `createSession` (status `queued`); a new one otherwise. */
  sessionId?: string;
  /** File name to record when `path` is a generated upload name. */
  fileName?: string;
  /**
   * Whether `path` is a copy Flowlens keeps (an upload, `analyze --keep`: deleting the session or
   * retention removes it) rather than the user's own file, which is only referenced. Default false.
   */
  keptCopy?: boolean;
  /**
   * Where the session finds the capture again when `path` is a temporary download of it: an
   * object in an S3 store (`s3://bucket/prefix/key`) and its modification time. Default: `path`.
   */
  captureRef?: { path: string; mtimeMs: number | null };
  onProgress?: (progress: IngestProgress) => void;
  signal?: AbortSignal;
  /** Score the windows with a model fitted on this session's windows instead of the capture's own. */
  baselineSessionId?: string;
  /** Intel list entries to match (`--intel`, the upload form, the stored lists): alerts on a match. */
  intel?: IntelEntry[];
  /** Run the analysis in a worker thread (default: yes, when the compiled worker is there). */
  worker?: boolean;
  /** Test hook: runs inside the load transaction just before it commits. */
  beforeCommit?: () => Promise<void> | void;
  /** Test hook: runs after each batch of flows is stored (rows so far), while the capture is read. */
  afterFlowBatch?: (rows: number) => Promise<void> | void;
}

export interface IngestResult {
  sessionId: string;
  summary: StoredSummary;
  /** Reader, analysis and detection warnings. */
  warnings: string[];
}

/**
 * Analyses a capture and stores it as one session, all or nothing: the session row is written
 * first with status `processing`; everything else goes in by COPY, and the transaction that
 * marks the session `completed` is the one that makes its rows count, so any failure leaves no
 * rows and the session `failed` with the reason. On PostgreSQL the whole load is one
 * transaction; on PGlite only its end is (see below), the flows before it going into the
 * session's own partition, which a failure drops.
 *
 * The analysis and detection run in worker threads (`prepare.ts`, with the analysis' own
 * pipeline), and the flows are loaded while the capture is still being read: finished flows come
 * back as batches of binary COPY rows (`flow-copy.ts`) and this thread COPYs them as they come
 * (inside the open transaction on PostgreSQL), with the analysis waiting whenever the database falls behind
 * (bounded memory). A flow's window id needs the window length; a quick first pass over the file
 * (`facts`, which also hashes it) gives it early. Windows, rankings, anomalies and insights,
 * known only at the end, follow by COPY from spool files.
 */
export async function ingestCapture(
  db: Db,
  path: string,
  options: IngestOptions = {},
): Promise<IngestResult> {
  let fileSize: number | null = null;
  // The file as analysed: extraction later refuses a file with another size or time.
  let mtimeMs = 0;
  try {
    const st = statSync(path);
    fileSize = st.size;
    mtimeMs = st.mtimeMs;
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
      localNets: options.settings?.localNets,
    }));
  await startSession(db, sessionId);
  const spool = mkdtempSync(join(tmpdir(), 'flowlens-ingest-'));
  try {
    options.signal?.throwIfAborted();
    const baseline = options.baselineSessionId
      ? await loadBaseline(db, options.baselineSessionId)
      : undefined;
    const { onProgress, signal, beforeCommit, afterFlowBatch } = options;
    const settings = options.settings ?? DEFAULT_SETTINGS;
    const prepareOptions: Omit<PrepareOptions, 'onProgress'> = {
      settings,
      name: options.name,
      baseline,
      intel: options.intel,
      threads: options.threads,
    };
    let rowsStored = 0;
    let lastProgress: IngestProgress | null = null;
    let lastReport = 0;
    const report = (p: {
      phase: IngestPhase;
      bytesRead: number;
      bytesTotal: number | null;
      packets: number;
    }) => {
      lastProgress =
        p.phase === 'reading' ? p : { ...p, bytesRead: fileSize ?? p.bytesRead, bytesTotal: fileSize };
      lastReport = Date.now();
      onProgress?.({ ...lastProgress, rows: rowsStored });
    };
    // Rows stored while nothing else is reported (after the reading) move the progress on too.
    const stored = (rows: number) => {
      rowsStored = rows;
      if (lastProgress && lastProgress.phase !== 'reading' && Date.now() - lastReport >= 100)
        report(lastProgress);
    };
    const workerFile = options.worker === false ? null : compiledScript('ingest/ingest-worker.js');
    const flowTable = await sessionFlowTable(db, sessionId);
    const idBlock = await nextFlowIdBlock(db);
    const finish = async (tx: Db, prepared: Prepared, sha256: string | null, loadStarted: number) => {
      const summary = prepared.summary;
      // The flows become the session's partition (their foreign key checked in one query).
      await attachSessionFlows(tx, sessionId);
      for (const [table, columns, file] of [
        ['traffic_windows', WINDOW_COLUMNS, prepared.files.windows],
        ['top_ips', TOP_IP_COLUMNS, prepared.files.topIps],
        ['port_stats', PORT_COLUMNS, prepared.files.ports],
        ['anomaly_results', ANOMALY_COLUMNS, prepared.files.anomalies],
        ['insights', INSIGHT_COLUMNS, prepared.files.insights],
        ...(prepared.files.logs ?? []).flatMap(
          (logs) =>
            [
              ['dns_log', DNS_LOG_COLUMNS, logs.dns],
              ['http_log', HTTP_LOG_COLUMNS, logs.http],
              ['tls_log', TLS_LOG_COLUMNS, logs.tls],
            ] as const,
        ),
        ['host_geo', HOST_GEO_COLUMNS, prepared.files.hostGeo],
      ] as const) {
        rowsStored += await copyFile(tx, table, columns, file, signal);
        report({ phase: 'storing', bytesRead: 0, bytesTotal: fileSize, packets: summary.file.packets });
      }
      if (fileSize !== null)
        await recordCapture(
          tx,
          sessionId,
          {
            path: options.captureRef?.path ?? resolve(path),
            kept: options.keptCopy === true,
            size: fileSize,
            mtimeMs: options.captureRef?.mtimeMs ?? mtimeMs,
          },
          prepared.packetIndex,
        );
      await completeSession(tx, sessionId, summary, {
        sha256,
        analysisSeconds: prepared.analysisSeconds,
        loadSeconds: (performance.now() - loadStarted) / 1000,
      });
      await beforeCommit?.();
    };

    let prepared: Prepared;
    if (!workerFile) {
      // From TypeScript sources without a build: everything in this thread, flows spooled first.
      prepared = await prepareCapture(path, sessionId, spool, { ...prepareOptions, onProgress: report });
      signal?.throwIfAborted();
      report({
        phase: 'storing',
        bytesRead: 0,
        bytesTotal: fileSize,
        packets: prepared.summary.file.packets,
      });
      if (db.kind === 'pglite')
        ensureSpaceForLoad(db.location, [
          ...Object.values(prepared.files).filter((f): f is string => typeof f === 'string'),
          ...(prepared.files.logs ?? []).flatMap((logs) => Object.values(logs)),
        ]);
      const loadStarted = performance.now();
      await db.transaction(async (tx) => {
        rowsStored += await loadSpooledFlows(tx, flowTable, sessionId, idBlock, prepared, signal);
        await finish(tx, prepared, prepared.sha256, loadStarted);
      });
    } else {
      const file = workerFile;
      // The flows COPYed into `target` as the analysis finds them; `commit` stores the rest.
      const overlapped = async (
        target: Db,
        dataDir: string | null,
        commit: (done: Prepared, sha256: string | null) => Promise<void>,
      ): Promise<Prepared> => {
        const load = new OverlappedLoad(
          target,
          flowTable,
          file,
          spool,
          sessionId,
          idBlock,
          dataDir,
          stored,
          afterFlowBatch,
          analysisShards(fileSize, options.threads),
        );
        try {
          const [done, facts] = await Promise.all([
            load.run(path, prepareOptions, report, signal),
            load.facts(path, settings.windowLength),
          ]);
          signal?.throwIfAborted();
          await commit(done, facts.sha256);
          return done;
        } catch (err) {
          await load.abort();
          throw err;
        } finally {
          load.close();
        }
      };
      if (db.kind === 'pglite') {
        // PGlite runs one statement at a time on its one connection, and a transaction open for
        // the whole read would hold back every other query (the server's pages, its progress)
        // until the end. So the flows go into the session's own table batch by batch, each COPY a
        // statement of its own, and the rest in one short transaction at the end, which also
        // attaches that table as the session's partition of flows. All or nothing still holds: no
        // reader sees the table before then, a failure drops it, and one left by a killed process
        // is dropped at the next start.
        const loadStarted = performance.now();
        prepared = await overlapped(db, db.location, (done, sha256) =>
          db.transaction(async (tx) => {
            await holdSessionForLoad(tx, sessionId);
            await finish(tx, done, sha256, loadStarted);
          }),
        );
      } else {
        // On PostgreSQL a transaction holds a pooled connection of its own: other queries go on.
        prepared = await db.transaction(async (tx) => {
          const loadStarted = performance.now();
          await holdSessionForLoad(tx, sessionId);
          return overlapped(tx, null, (done, sha256) => finish(tx, done, sha256, loadStarted));
        });
      }
    }
    report({
      phase: 'done',
      bytesRead: fileSize ?? 0,
      bytesTotal: fileSize,
      packets: prepared.summary.file.packets,
    });
    return { sessionId, summary: prepared.summary, warnings: prepared.warnings };
  } catch (err) {
    const reason = options.signal?.aborted ? 'cancelled before it finished' : (err as Error).message;
    // Space first (a full disk may be why it failed, and even marking it failed needs some): the
    // spool files, and whatever flows went in (PGlite stores them outside a transaction).
    rmSync(spool, { recursive: true, force: true });
    await within(dropSessionFlows(db, sessionId), 10_000, 'dropping its flows').catch(() => undefined);
    await failSession(db, sessionId, reason, 1).catch(() => undefined);
    throw err;
  } finally {
    rmSync(spool, { recursive: true, force: true });
  }
}

/** A model fitted on a completed session's stored windows. */
async function loadBaseline(db: Db, sessionId: string): Promise<Baseline> {
  const features = await baselineFeatures(db, sessionId);
  if (features.length === 0) throw new Error(`baseline session ${sessionId} has no windows to learn from`);
  return baselineFromFeatures(sessionId, features);
}
