import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { type IngestProgress, type LiveState, liveStateOf, QUEUED_STATE } from '../ingest/index.js';
import type { SessionRow } from '../storage/index.js';

export type { LiveState };

/**
 * What the API needs of whatever runs the ingests: this process's own queue (`IngestQueue`), or
 * the workers of a deployment followed over the database (`ClusterQueue`). Emits `progress`
 * (sessionId, LiveState) and `end` (sessionId) so Server-Sent Events can follow a session.
 */
export interface SessionQueue extends EventEmitter {
  state(sessionId: string): LiveState | undefined;
  /** The live state of a session given its stored row (a node may learn of a session from the row). */
  track(row: SessionRow): LiveState | undefined;
  counts(): { running: number; queued: number };
  /** Stops a session's job (queued or running) and resolves once it has let go of the session. */
  cancel(sessionId: string): Promise<void>;
  idle(): Promise<void>;
  close(): Promise<void>;
}

export interface QueueJob {
  sessionId: string;
  /** Does the work; must leave the session `completed` or `failed` in the database. */
  run(signal: AbortSignal, onProgress: (p: IngestProgress) => void): Promise<void>;
}

interface Entry {
  job: QueueJob;
  state: LiveState;
  controller: AbortController;
  done: Promise<void>;
  settle: () => void;
}

/**
 * Ingests run here one at a time by default (each in its own worker thread, see
 * `ingestCapture`); the rest wait in order. Emits `progress` (sessionId, LiveState) and
 * `end` (sessionId) so Server-Sent Events can follow a session.
 */
export class IngestQueue extends EventEmitter implements SessionQueue {
  private readonly self = { host: hostname(), pid: process.pid };
  private readonly entries = new Map<string, Entry>();
  private readonly waiting: string[] = [];
  private running = 0;
  private closed = false;

  constructor(private readonly concurrency = 1) {
    super();
    this.setMaxListeners(0);
  }

  add(job: QueueJob): void {
    if (this.closed) throw new Error('the server is shutting down');
    let settle!: () => void;
    const done = new Promise<void>((r) => {
      settle = r;
    });
    this.entries.set(job.sessionId, {
      job,
      state: QUEUED_STATE,
      controller: new AbortController(),
      done,
      settle,
    });
    this.waiting.push(job.sessionId);
    this.pump();
  }

  state(sessionId: string): LiveState | undefined {
    return this.entries.get(sessionId)?.state;
  }

  /** Only this process's own jobs are live here; another process's session shows as stored. */
  track(row: SessionRow): LiveState | undefined {
    return this.state(row.session_id);
  }

  counts(): { running: number; queued: number } {
    return { running: this.running, queued: this.waiting.length };
  }

  /** Stops a session's job (queued or running) and resolves once it has let go of the session. */
  async cancel(sessionId: string): Promise<void> {
    const e = this.entries.get(sessionId);
    if (!e) return;
    const i = this.waiting.indexOf(sessionId);
    if (i >= 0) {
      this.waiting.splice(i, 1);
      this.finish(sessionId, e);
      return;
    }
    e.controller.abort(new Error('cancelled: the session was deleted'));
    await e.done;
  }

  /** Resolves when nothing is queued or running. */
  async idle(): Promise<void> {
    while (this.entries.size > 0) await Promise.all([...this.entries.values()].map((e) => e.done));
  }

  /** Cancels everything and waits for running jobs to let go. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.entries.keys()].map((id) => this.cancel(id)));
  }

  private pump(): void {
    while (this.running < this.concurrency && this.waiting.length > 0) {
      const id = this.waiting.shift()!;
      const e = this.entries.get(id)!;
      this.running++;
      e.state = { ...e.state, status: 'processing', phase: 'reading', worker: this.self };
      this.emit('progress', id, e.state);
      e.job
        .run(e.controller.signal, (p) => {
          e.state = liveStateOf(p, this.self);
          this.emit('progress', id, e.state);
        })
        .catch(() => {
          // The job records its failure on the session itself.
        })
        .finally(() => {
          this.running--;
          this.finish(id, e);
          this.pump();
        });
    }
  }

  private finish(id: string, e: Entry): void {
    this.entries.delete(id);
    e.settle();
    this.emit('end', id);
  }
}
