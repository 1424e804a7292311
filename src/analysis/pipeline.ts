import { availableParallelism } from 'node:os';
import { type MessagePort, Worker } from 'node:worker_threads';
import { compiledScript, workerExecArgv } from '../runtime/workers.js';
import type { RecordOutlet } from './analyzer.js';
import type { FlowSink, FlowStageState } from './flow-stage.js';
import type { LogSink } from './logs.js';
import { MIN_BATCH_WORDS } from './packet-records.js';
import type { AnalysisSettings } from './settings.js';

/**
 * The worker pipeline: the calling thread reads, decodes and counts packets and writes their
 * records (`packet-records.ts`) into slots of shared memory; N workers (`flow-worker.ts`), the flow
 * shards, each own the flows whose key hashes to them and read their own ring of slots in turn.
 * Slot i is free when ctrl[i] is 0, holds n words when it is n + 1, and ends the stream when it is
 * -1. Either side waits on the slot with Atomics.wait; ctrl[STOP] tells a worker to give up,
 * ctrl[FAILED] tells the reader that it failed. The shards' results are merged as one thread would
 * have made them (`shard-merge.ts`), so the figures do not depend on N.
 */

/** Slots of the ring, and words per slot (1 MiB each). */
export const SLOTS = 8;
export const SLOT_WORDS = Math.max(1 << 18, MIN_BATCH_WORDS);
export const STOP = SLOTS;
export const FAILED = SLOTS + 1;
/** Counted up by the worker while it runs or waits: a beat that stops means the worker died. */
export const BEAT = SLOTS + 2;
const CTRL_WORDS = SLOTS + 3;
/** How long the reader waits without a beat before it gives the worker up. */
const DEAD_AFTER_MS = 15_000;

/** Captures smaller than this are analysed in one thread: a worker's start costs more than it saves. */
export const PIPELINE_MIN_BYTES = 16 * 1024 * 1024;

/** Most flow shards by default (each costs a worker's memory: about 20 MB and its 8 MiB ring). */
export const MAX_DEFAULT_SHARDS = 15;

/** Flow shards by default: one per core but the reader's, at least one. */
export function defaultShards(): number {
  return Math.min(MAX_DEFAULT_SHARDS, Math.max(1, availableParallelism() - 1));
}

/** Flow shards for `threads` (see `AnalyzeOptions.threads`): N - 1, by default one per core but the reader's. */
export function shardsFor(threads: number | undefined): number {
  return threads === undefined ? defaultShards() : Math.max(1, threads - 1);
}

/**
 * Flow shards an analysis of a `bytes`-long file runs with `threads`: `shardsFor`, but without
 * `threads` one for files under 16 MiB (they are analysed in one thread).
 */
export function analysisShards(bytes: number | null, threads: number | undefined): number {
  if (threads === undefined && !(bytes !== null && bytes >= PIPELINE_MIN_BYTES && pipelineAvailable()))
    return 1;
  return shardsFor(threads);
}

/** What the flow worker needs to build its half (plain data: it crosses threads). */
export interface FlowWorkerOptions {
  settings: AnalysisSettings;
  hints: boolean;
  flowIndex: boolean;
  /** Rows of each log kind kept for the detection (see `FlowStageOptions.logRows`). */
  logRows?: number;
  /** Flow shards in this pipeline (set by `FlowPipeline`). */
  shards?: number;
}

/**
 * A module that turns finished flows into something (rows for the database) inside whichever
 * thread runs the flow half. It must export `createFlowSink(options, port, env)` (see
 * `FlowSinkModule`); `src/ingest/flow-copy.ts` is one.
 */
export interface FlowSinkSpec {
  module: string;
  options: unknown;
  /** Handed to the sink (for example to post batches to the thread that stores them). */
  port?: MessagePort;
}

export interface FlowSinkModule {
  createFlowSink(options: unknown, port: MessagePort | undefined, env: FlowSinkEnv): LoadedFlowSink;
}

/** A sink's parts: finished flows, and (when it takes them) the protocol logs' transactions. */
export interface LoadedFlowSink {
  flow: FlowSink;
  log?: LogSink;
  finish?: () => Promise<void> | void;
}

export interface FlowSinkEnv {
  /** Call while waiting (for example for the database to catch up), so the reader knows the sink is alive. */
  beat(): void;
}

/** Loads a sink module in this thread. */
export async function loadFlowSink(spec: FlowSinkSpec, env: FlowSinkEnv): Promise<LoadedFlowSink> {
  const m = (await import(spec.module)) as FlowSinkModule;
  return m.createFlowSink(spec.options, spec.port, env);
}

export interface FlowWorkerJob {
  ctrl: SharedArrayBuffer;
  data: SharedArrayBuffer;
  options: FlowWorkerOptions;
  sink: FlowSinkSpec | null;
}

/** The compiled worker script, or null when running from TypeScript sources without a build. */
function flowWorkerFile(): string | null {
  return compiledScript('analysis/flow-worker.js');
}

/** Whether a pipeline can help here: more than one core and a compiled worker. */
export function pipelineAvailable(): boolean {
  return availableParallelism() > 1 && flowWorkerFile() !== null;
}

/** The reading side of a running pipeline: one `FlowShard` per flow shard. */
export class FlowPipeline {
  readonly shards: FlowShard[];

  /** `sinks`: one per shard (each shard's flows go to its own sink), or null. */
  constructor(options: FlowWorkerOptions, sinks: FlowSinkSpec[] | null, shards = 1) {
    if (sinks !== null && sinks.length !== shards) throw new Error('one flow sink per shard');
    this.shards = [];
    try {
      for (let i = 0; i < shards; i++)
        this.shards.push(new FlowShard({ ...options, shards }, sinks ? sinks[i] : null));
    } catch (e) {
      this.stop();
      throw e;
    }
  }

  /** Hands each shard its last records (`pending(s)` words), ends the streams and waits for the results. */
  async finish(pending: (shard: number) => number): Promise<FlowStageState[]> {
    const results = this.shards.map((s, i) => s.finish(pending(i)));
    try {
      return await Promise.all(results);
    } catch (e) {
      this.stop();
      throw e;
    }
  }

  /** Stops every worker (reading failed or was cancelled). */
  stop(): void {
    for (const s of this.shards) s.stop();
  }
}

/** One flow shard's worker and its ring of slots. */
export class FlowShard implements RecordOutlet {
  words: Int32Array;
  private readonly ctrl: Int32Array;
  private readonly slots: Int32Array[] = [];
  private cur = 0;
  private readonly worker: Worker;
  private readonly result: Promise<FlowStageState>;
  private failure: Error | null = null;

  constructor(options: FlowWorkerOptions, sink: FlowSinkSpec | null) {
    const file = flowWorkerFile();
    if (!file) throw new Error('the flow worker is not built (npm run build)');
    const ctrlBuf = new SharedArrayBuffer(CTRL_WORDS * 4);
    const data = new SharedArrayBuffer(SLOTS * SLOT_WORDS * 4);
    this.ctrl = new Int32Array(ctrlBuf);
    for (let i = 0; i < SLOTS; i++) this.slots.push(new Int32Array(data, i * SLOT_WORDS * 4, SLOT_WORDS));
    this.words = this.slots[0];
    const job: FlowWorkerJob = {
      ctrl: ctrlBuf,
      data,
      options,
      sink: sink ? { module: sink.module, options: sink.options, port: sink.port } : null,
    };
    this.worker = new Worker(file, {
      execArgv: workerExecArgv(),
      workerData: job,
      transferList: sink?.port ? [sink.port] : [],
    });
    this.result = new Promise((resolve, reject) => {
      let settled = false;
      this.worker.on(
        'message',
        (m: { type: string; state?: FlowStageState; message?: string; stack?: string }) => {
          if (m.type === 'done') {
            settled = true;
            resolve(m.state!);
          } else if (m.type === 'error') {
            settled = true;
            const e = new Error(m.message);
            e.stack = m.stack;
            this.failure = e;
            reject(e);
          }
        },
      );
      this.worker.on('error', (e) => {
        settled = true;
        this.failure = e;
        Atomics.store(this.ctrl, FAILED, 1);
        reject(e);
      });
      this.worker.on('exit', (code) => {
        if (!settled) {
          const e = new Error(`flow worker stopped (exit code ${code})`);
          this.failure = e;
          Atomics.store(this.ctrl, FAILED, 1);
          reject(e);
        }
      });
    });
    this.result.catch(() => undefined); // observed by `finish`
  }

  /** Hands the current slot over (`used` words) and waits until the next one is free. */
  next(used: number): Int32Array {
    const ctrl = this.ctrl;
    Atomics.store(ctrl, this.cur, used + 1);
    Atomics.notify(ctrl, this.cur);
    this.cur = (this.cur + 1) % SLOTS;
    this.waitFree(this.cur);
    this.words = this.slots[this.cur];
    return this.words;
  }

  private waitFree(i: number): void {
    const ctrl = this.ctrl;
    let beat = Atomics.load(ctrl, BEAT);
    let since = Date.now();
    for (;;) {
      const v = Atomics.load(ctrl, i);
      if (v === 0) return;
      if (Atomics.load(ctrl, FAILED) !== 0) throw this.failure ?? new Error('the flow worker failed');
      Atomics.wait(ctrl, i, v, 200);
      const b = Atomics.load(ctrl, BEAT);
      if (b !== beat) {
        beat = b;
        since = Date.now();
      } else if (Date.now() - since > DEAD_AFTER_MS) {
        throw this.failure ?? new Error('the flow worker stopped responding');
      }
    }
  }

  /** Hands the last records over, ends the stream and waits for the flow half's results. */
  async finish(used: number): Promise<FlowStageState> {
    if (used > 0) this.next(used);
    const ctrl = this.ctrl;
    Atomics.store(ctrl, this.cur, -1);
    Atomics.notify(ctrl, this.cur);
    try {
      return await this.result;
    } finally {
      void this.worker.terminate();
    }
  }

  /** Stops the worker (reading failed or was cancelled). */
  stop(): void {
    Atomics.store(this.ctrl, STOP, 1);
    for (let i = 0; i < SLOTS; i++) Atomics.notify(this.ctrl, i);
    void this.worker.terminate();
  }
}
