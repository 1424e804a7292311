import { randomUUID } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  existsSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { type AnalyzeOptions, type CaptureWindowing, WindowLimitError, windowAt } from '../analysis/index.js';
import { workerExecArgv } from '../analysis/pipeline.js';
import { CaptureFormatError } from '../capture/index.js';
import { type Baseline, baselineFromFeatures } from '../detect/index.js';
import type { BinaryCopy, Db } from './db.js';
import { ensureSpace, ensureSpaceForLoad } from './disk-space.js';
import {
  type FlowCopyOptions,
  type FlowRowsBatch,
  type FlowRowsEnd,
  patchWindows,
  shareWindowing,
  WINDOWING_BYTES,
} from './flow-copy.js';
import type { Facts, FactsJob, WorkerJob } from './ingest-worker.js';
import {
  ANOMALY_COLUMNS,
  BATCH_ROWS,
  INSIGHT_COLUMNS,
  PORT_COLUMNS,
  type Prepared,
  type PrepareOptions,
  prepareCapture,
  STORED_FLOW_COLUMNS,
  type StoredSummary,
  TOP_IP_COLUMNS,
  WINDOW_COLUMNS,
} from './prepare.js';
import { failSession, within } from './queries.js';

export { csvField, FLOW_COLUMNS, type StoredSummary, WINDOW_COLUMNS } from './prepare.js';

export type IngestPhase = 'reading' | 'detecting' | 'storing' | 'done';

export interface IngestProgress {
  phase: IngestPhase;
  bytesRead: number;
  bytesTotal: number | null;
  packets: number;
  /** Rows stored so far (flows are stored while the capture is read). */
  rows?: number;
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
  /** Test hook: runs after each batch of flows is stored (rows so far), while the capture is read. */
  afterFlowBatch?: (rows: number) => Promise<void> | void;
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
    `INSERT INTO pcap_sessions (session_id, name, file_name, file_size, status, local_networks, owner_host, owner_pid,
                                owner_token)
     VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7, $8)`,
    [
      sessionId,
      s.name,
      s.fileName,
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
    `UPDATE pcap_sessions SET status = 'processing', started_at = now(), owner_host = $2, owner_pid = $3,
                              owner_token = $4
      WHERE session_id = $1`,
    [sessionId, hostname(), process.pid, db.owner],
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
      beforeCommit,
      afterFlowBatch,
      sessionId: _s,
      sessionName: _n,
      fileName: _f,
      baselineSessionId: _bl,
      worker,
      ...analysis
    } = options;
    const prepareOptions: Omit<PrepareOptions, 'onProgress'> = { ...analysis, baseline };
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
    const workerFile = worker === false ? null : compiledWorker();
    const [{ t: flowTable }] = await db.query<{ t: string }>('SELECT flowlens_flow_table($1) AS t', [
      sessionId,
    ]);
    const [{ b: idBlock }] = await db.query<{ b: number }>("SELECT nextval('flows_id_block_seq')::int AS b");
    const finish = async (tx: Db, prepared: Prepared, sha256: string | null, loadStarted: number) => {
      const summary = prepared.summary;
      // The flows become the session's partition (their foreign key checked in one query).
      await tx.query('SELECT flowlens_attach_flows($1)', [sessionId]);
      for (const [table, columns, file] of [
        ['traffic_windows', WINDOW_COLUMNS, prepared.files.windows],
        ['top_ips', TOP_IP_COLUMNS, prepared.files.topIps],
        ['port_stats', PORT_COLUMNS, prepared.files.ports],
        ['anomaly_results', ANOMALY_COLUMNS, prepared.files.anomalies],
        ['insights', INSIGHT_COLUMNS, prepared.files.insights],
      ] as const) {
        rowsStored += await copyFile(tx, table, columns, file, signal);
        report({ phase: 'storing', bytesRead: 0, bytesTotal: fileSize, packets: summary.file.packets });
      }
      const f = summary.file;
      await tx.query(
        `UPDATE pcap_sessions SET status = 'completed', progress = 1, sha256 = $2, format = $3, link_types = $4,
           packets = $5, bytes = $6, captured_bytes = $7, first_ts = $8, last_ts = $9, first_ts_text = $10,
           last_ts_text = $11, window_length = $12, window_count = $13, local_networks = $14, summary_json = $15,
           finished_at = now(), analysis_seconds = $16, load_seconds = $17, error = NULL
         WHERE session_id = $1`,
        [
          sessionId,
          sha256,
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
        ensureSpaceForLoad(
          db.location,
          Object.values(prepared.files).filter((f): f is string => f !== null),
        );
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
        );
        try {
          const [done, facts] = await Promise.all([
            load.run(path, prepareOptions, report, signal),
            load.facts(path, prepareOptions.windowLength ?? null),
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
            await prepareBulkLoad(tx, sessionId);
            await finish(tx, done, sha256, loadStarted);
          }),
        );
      } else {
        // On PostgreSQL a transaction holds a pooled connection of its own: other queries go on.
        prepared = await db.transaction(async (tx) => {
          const loadStarted = performance.now();
          await prepareBulkLoad(tx, sessionId);
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
    await within(db.query('SELECT flowlens_drop_flows($1)', [sessionId]), 10_000, 'dropping its flows').catch(
      () => undefined,
    );
    await failSession(db, sessionId, reason, 1).catch(() => undefined);
    throw err;
  } finally {
    rmSync(spool, { recursive: true, force: true });
  }
}

/**
 * Settings for the load's transaction. The session row is locked against deletion for the whole
 * load (what each row's foreign-key check would do); with that, where the database allows it
 * (PGlite, or a superuser on a server), the per-row foreign-key triggers are skipped: every child
 * row carries this session's id, which exists and stays, so they could only agree. `SET LOCAL`
 * ends with the transaction.
 */
async function prepareBulkLoad(tx: Db, sessionId: string): Promise<void> {
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

/** Batches of flow rows in flight between the analysis and this thread, at most. */
const FLOW_CREDITS = 4;
/** Rows per batch of flows. */
const FLOW_BATCH_ROWS = 25_000;

/**
 * One ingest's workers and the COPY of its flows as they come: the `prepare` worker (analysis,
 * detection, spool files), the `facts` worker (hash, windowing), and the batches of flow rows
 * its sink posts on a channel of their own.
 */
class OverlappedLoad {
  private readonly workers: Worker[] = [];
  private readonly channel = new MessageChannel();
  private readonly windowingBuf = new SharedArrayBuffer(WINDOWING_BYTES);
  private readonly creditsBuf = new SharedArrayBuffer(8);
  private readonly credits = new Int32Array(this.creditsBuf);
  /** Known once the facts arrive: the windowing, or null when the first pass could not tell. */
  private windowing: CaptureWindowing | null | undefined = undefined;
  private windowingKnown: Promise<CaptureWindowing | null>;
  private setWindowing!: (w: CaptureWindowing | null) => void;
  private queue: FlowRowsBatch[] = [];
  private pumping: Promise<void> | null = null;
  private copy: BinaryCopy | null = null;
  private spooled: { file: string; fd: number; batches: number } | null = null;
  private rows = 0;
  private failure: Error | null = null;
  private ended: Promise<number>;
  private onEnd!: (rows: number) => void;
  private onFail!: (e: Error) => void;

  constructor(
    private readonly tx: Db,
    /** The session's flow table, quoted (see flowlens_flow_table). */
    private readonly flowTable: string,
    private readonly workerFile: string,
    private readonly spoolDir: string,
    private readonly sessionId: string,
    /** The session's block of flow ids (see FlowCopyOptions). */
    private readonly idBlock: number,
    /** PGlite's folder, whose free space is checked before each batch (see below). */
    private readonly dataDir: string | null,
    private readonly onRows: (rows: number) => void,
    private readonly afterBatch?: (rows: number) => Promise<void> | void,
  ) {
    Atomics.store(this.credits, 0, FLOW_CREDITS);
    this.windowingKnown = new Promise((resolve) => {
      this.setWindowing = (w) => {
        if (this.windowing !== undefined) return;
        this.windowing = w;
        if (w) shareWindowing(this.windowingBuf, w);
        resolve(w);
      };
    });
    this.ended = new Promise((resolve, reject) => {
      this.onEnd = resolve;
      this.onFail = reject;
    });
    this.ended.catch(() => undefined);
    this.channel.port1.on('message', (m: FlowRowsBatch | FlowRowsEnd) => {
      if (m.type === 'rows') {
        this.queue.push(m);
        this.pump();
      } else {
        const expected = m.rows;
        this.pump();
        void (async () => {
          try {
            while (this.pumping) await this.pumping;
            if (this.failure) throw this.failure;
            this.onEnd(expected);
          } catch (e) {
            this.onFail(e as Error);
          }
        })();
      }
    });
  }

  /** Runs the facts job: the file's hash, and its windowing for the flows' window ids. */
  async facts(path: string, windowLength: number | null): Promise<Facts> {
    const worker = new Worker(this.workerFile, {
      workerData: { kind: 'facts', path, windowLength } satisfies FactsJob,
    });
    this.workers.push(worker);
    const facts = await new Promise<Facts>((resolve) => {
      worker.once('message', (m: { facts: Facts }) => resolve(m.facts));
      worker.once('error', () => resolve({ sha256: null, windowing: null }));
      worker.once('exit', () => resolve({ sha256: null, windowing: null }));
    });
    this.setWindowing(facts.windowing);
    void worker.terminate();
    return facts;
  }

  /** Runs the analysis with its flows coming back here, and loads them; resolves with its result. */
  async run(
    path: string,
    prepareOptions: Omit<PrepareOptions, 'onProgress'>,
    onProgress: (p: IngestProgress) => void,
    signal: AbortSignal | undefined,
  ): Promise<Prepared> {
    this.copy = await this.tx.copyBinary(this.flowTable, STORED_FLOW_COLUMNS);
    const sinkModule = pathToFileURL(join(dirname(this.workerFile), 'flow-copy.js')).href;
    const port = this.channel.port2;
    const options: FlowCopyOptions = {
      sessionId: this.sessionId,
      idBlock: this.idBlock,
      batchRows: FLOW_BATCH_ROWS,
      windowing: this.windowingBuf,
      credits: this.creditsBuf,
    };
    const job: WorkerJob = {
      path,
      sessionId: this.sessionId,
      spoolDir: this.spoolDir,
      options: { ...prepareOptions, sha256: false, flowSink: { module: sinkModule, options, port } },
    };
    let prepared: Prepared;
    try {
      prepared = await runPrepareWorker(this.workerFile, job, [port], onProgress, signal, (w) =>
        this.workers.push(w),
      );
    } catch (e) {
      // A failed COPY stops the analysis too: say what failed first.
      throw this.failure ?? e;
    }
    onProgress({ phase: 'storing', bytesRead: 0, bytesTotal: null, packets: prepared.summary.file.packets });
    // Every batch in (the sink's last message can come after the worker's).
    const expected = await this.ended;
    if (this.rows !== expected) throw new Error(`flows lost on the way: ${this.rows} of ${expected} stored`);
    await this.copy.end();
    this.copy = null;
    // The first pass could not tell the windows: load the spooled batches now.
    const w = prepared.windowing;
    if (this.spooled) await this.loadSpool(w);
    // The first pass and the analysis must agree; if they did not, put the ids right.
    if (this.windowing && !sameWindowing(this.windowing, w)) {
      await this.tx.query(
        `UPDATE ${this.flowTable} SET window_id = LEAST(GREATEST(floor((start_timestamp - $2) / $3)::int, 0), GREATEST($4 - 1, 0))
          WHERE session_id = $1`,
        [this.sessionId, w.t0, w.lengthS, w.count],
      );
    }
    return prepared;
  }

  private pump(): void {
    if (this.pumping || this.queue.length === 0 || this.failure) return;
    // `finally` runs after the assignment, even when draining finds nothing to wait for.
    this.pumping = this.drain().finally(() => {
      this.pumping = null;
      this.pump();
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.failure) {
        const batch = this.queue.shift()!;
        if (batch.patch && this.windowing === undefined) await this.windowingKnown;
        if (batch.patch && this.windowing === null) this.spool(batch);
        else {
          if (batch.patch && this.windowing) patchWindows(batch, this.windowing);
          if (!this.copy) throw this.failure ?? new Error('the load was abandoned');
          if (this.dataDir) ensureSpaceForRows(this.dataDir, batch.data.length);
          await this.copy.writeFramed(batch.data);
        }
        this.rows += batch.rows;
        this.onRows(this.rows);
        await this.afterBatch?.(this.rows);
        Atomics.add(this.credits, 0, 1);
        Atomics.notify(this.credits, 0);
      }
    } catch (e) {
      this.failure ??= e as Error;
      this.stopSink();
      this.onFail(this.failure);
    }
  }

  /** Keeps a batch whose window ids cannot be known before the end. */
  private spool(batch: FlowRowsBatch): void {
    if (!this.spooled) {
      const file = join(this.spoolDir, 'flows.bin');
      this.spooled = { file, fd: openSync(file, 'w'), batches: 0 };
    }
    const { at, start } = batch.patch!;
    const head = new Int32Array([batch.data.length, at.length]);
    writeSync(this.spooled.fd, head);
    writeSync(this.spooled.fd, batch.data);
    writeSync(this.spooled.fd, at);
    writeSync(this.spooled.fd, start);
    this.spooled.batches++;
  }

  private async loadSpool(w: CaptureWindowing): Promise<void> {
    const s = this.spooled!;
    closeSync(s.fd);
    s.fd = -1; // (an fd closed twice could be someone else's by then)
    const copy = await this.tx.copyBinary(this.flowTable, STORED_FLOW_COLUMNS);
    const fd = openSync(s.file, 'r');
    try {
      let pos = 0;
      const head = new Int32Array(2);
      for (let b = 0; b < s.batches; b++) {
        pos += readSync(fd, head, 0, 8, pos);
        const data = Buffer.alloc(head[0]);
        pos += readSync(fd, data, 0, data.length, pos);
        const at = new Int32Array(head[1]);
        pos += readSync(fd, at, 0, at.byteLength, pos);
        const start = new Float64Array(head[1]);
        pos += readSync(fd, start, 0, start.byteLength, pos);
        const batch: FlowRowsBatch = { type: 'rows', data, rows: at.length, patch: { at, start } };
        patchWindows(batch, w);
        await copy.writeFramed(batch.data);
      }
      await copy.end();
    } finally {
      closeSync(fd);
    }
  }

  /** Abandons the COPY in progress, so the transaction can be rolled back. */
  async abort(): Promise<void> {
    this.stopSink();
    this.failure ??= new Error('the load was abandoned');
    this.setWindowing(null); // a batch waiting for the windowing stops waiting
    const copy = this.copy;
    this.copy = null;
    await copy?.abort();
    // A COPY already sent (PGlite) ends before the rollback runs; one being streamed is cut.
    while (this.pumping) await this.pumping;
  }

  private stopSink(): void {
    Atomics.store(this.credits, 1, 1);
    Atomics.notify(this.credits, 0);
  }

  close(): void {
    this.stopSink();
    this.channel.port1.close();
    for (const w of this.workers) void w.terminate();
    if (this.spooled && this.spooled.fd >= 0) {
      closeSync(this.spooled.fd);
      this.spooled.fd = -1;
    }
  }
}

/**
 * PGlite does not recover well from a disk that fills up in the middle of a COPY (see
 * `disk-space.ts`), and the flows are not spooled first, so their total is not known up front: each
 * batch needs room for itself (table, indexes, write-ahead log: three times its size) and a margin.
 */
function ensureSpaceForRows(dataDir: string, bytes: number): void {
  ensureSpace(dataDir, bytes, 'the next rows need');
}

function sameWindowing(a: CaptureWindowing, b: CaptureWindowing): boolean {
  return a.t0 === b.t0 && a.lengthS === b.lengthS && a.count === b.count;
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

function runPrepareWorker(
  file: string,
  job: WorkerJob,
  transfer: MessagePort[],
  onProgress: (p: IngestProgress) => void,
  signal: AbortSignal | undefined,
  onWorker: (w: Worker) => void,
): Promise<Prepared> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(file, { execArgv: workerExecArgv(), workerData: job, transferList: transfer });
    onWorker(worker);
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
): Promise<number> {
  let rows = 0;
  await forEachLineBatch(file, async (lines) => {
    signal?.throwIfAborted();
    await tx.copyCsv(table, columns, lines.join(''));
    rows += lines.length;
  });
  return rows;
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

/** Streams the spooled CSV flows into COPY batches, putting each flow's window id in place. */
async function loadSpooledFlows(
  tx: Db,
  flowTable: string,
  sessionId: string,
  idBlock: number,
  prepared: Prepared,
  signal: AbortSignal | undefined,
): Promise<number> {
  const { t0, lengthS, count } = prepared.windowing;
  const prefix = sessionId.length + 1;
  const base = BigInt(idBlock) << 32n;
  let rows = 0;
  await forEachLineBatch(
    prepared.files.flows ?? '',
    async (lines) => {
      signal?.throwIfAborted();
      await tx.copyCsv(flowTable, STORED_FLOW_COLUMNS, lines.join(''));
      rows += lines.length;
    },
    (line) => {
      const a = line.indexOf(',', prefix); // after flow_id
      const b = line.indexOf(',', a + 1); // after the start-time placeholder
      const id = base + BigInt(line.slice(prefix, a));
      return `${id},${line.slice(0, a + 1)}${windowAt(Number(line.slice(a + 1, b)), t0, lengthS, count)}${line.slice(b)}`;
    },
  );
  return rows;
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
