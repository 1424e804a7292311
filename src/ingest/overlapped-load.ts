import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { type CaptureWindowing, type FlowSinkSpec, WindowLimitError } from '../analysis/index.js';
import { CaptureFormatError } from '../capture/index.js';
import { workerExecArgv } from '../runtime/workers.js';
import { type BinaryCopy, type Db, rewindowFlows, STORED_FLOW_COLUMNS } from '../storage/index.js';
import { ensureSpace } from './disk-space.js';
import {
  type FlowCopyOptions,
  type FlowRowsBatch,
  type FlowRowsEnd,
  patchWindows,
  shareWindowing,
  WINDOWING_BYTES,
} from './flow-copy.js';
import type { Facts, FactsJob, WorkerJob } from './ingest-worker.js';
import { logFiles } from './log-spool.js';
import type { Prepared, PrepareOptions } from './prepare.js';
import type { IngestProgress } from './progress.js';

/** Batches of flow rows in flight between the analysis and this thread, at most. */
const FLOW_CREDITS = 4;
/** Rows per batch of flows. */
const FLOW_BATCH_ROWS = 25_000;

/**
 * One ingest's workers and the COPY of its flows as they come: the `prepare` worker (analysis,
 * detection, spool files), the `facts` worker (hash, windowing), and the batches of flow rows
 * its sink posts on a channel of their own.
 */
export class OverlappedLoad {
  private readonly workers: Worker[] = [];
  /** One channel per flow shard: each shard's sink posts its batches on its own. */
  private readonly channels: MessageChannel[];
  /** Shards whose sink has said it ended, and the rows they said they sent. */
  private endsSeen = 0;
  private rowsSent = 0;
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
    /** Flow shards of the analysis (worker threads of its flow half), each with its own sink. */
    private readonly shards = 1,
  ) {
    this.channels = Array.from({ length: shards }, () => new MessageChannel());
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
    for (const channel of this.channels) {
      channel.port1.on('message', (m: FlowRowsBatch | FlowRowsEnd) => {
        if (m.type === 'rows') {
          this.queue.push(m);
          this.pump();
          return;
        }
        this.rowsSent += m.rows;
        if (++this.endsSeen < this.channels.length) return;
        const expected = this.rowsSent;
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
      });
    }
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
    const logs = prepareOptions.settings.logs;
    const sinkLogFiles = logs
      ? this.channels.map((_, i) => logFiles(this.spoolDir, this.shards > 1 ? i : null))
      : null;
    const ports = this.channels.map((c) => c.port2);
    const flowSinks: FlowSinkSpec[] = ports.map((port, i) => ({
      module: sinkModule,
      options: {
        sessionId: this.sessionId,
        idBlock: this.idBlock,
        batchRows: FLOW_BATCH_ROWS,
        windowing: this.windowingBuf,
        credits: this.creditsBuf,
        logFiles: sinkLogFiles ? sinkLogFiles[i] : null,
      } satisfies FlowCopyOptions,
      port,
    }));
    const job: WorkerJob = {
      path,
      sessionId: this.sessionId,
      spoolDir: this.spoolDir,
      options: { ...prepareOptions, sha256: false, flowSinks, sinkLogFiles },
    };
    let prepared: Prepared;
    try {
      prepared = await runPrepareWorker(this.workerFile, job, ports, onProgress, signal, (w) =>
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
      await rewindowFlows(this.tx, this.flowTable, this.sessionId, w);
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
    for (const c of this.channels) c.port1.close();
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

/** Runs the analysis half of an ingest (`prepare.ts`) in a worker; resolves with what it prepared. */
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
