import { EventEmitter } from 'node:events';
import type { IngestPhase, IngestProgress } from '../ingest/index.js';

/** Where a session stands while it waits or is analysed; kept in memory by the process that owns it. */
export interface LiveState {
  status: 'queued' | 'processing';
  phase: 'queued' | IngestPhase;
  /** 0..1 over the whole job: reading is most of it, then detection and storing. */
  progress: number;
  bytes_read: number;
  bytes_total: number | null;
  packets: number;
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

// Reading takes most of an ingest; the phases after it get the last tenth of the bar.
const PHASE_PROGRESS: Record<IngestPhase, number> = { reading: 0, detecting: 0.9, storing: 0.93, done: 1 };

function progressOf(p: IngestProgress): number {
  if (p.phase !== 'reading') return PHASE_PROGRESS[p.phase];
  if (!p.bytesTotal) return 0;
  return Math.min(0.9, (0.9 * p.bytesRead) / p.bytesTotal);
}

/**
 * Ingests run here one at a time by default (each in its own worker thread, see
 * `ingestCapture`); the rest wait in order. Emits `progress` (sessionId, LiveState) and
 * `end` (sessionId) so Server-Sent Events can follow a session.
 */
export class IngestQueue extends EventEmitter {
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
      state: { status: 'queued', phase: 'queued', progress: 0, bytes_read: 0, bytes_total: null, packets: 0 },
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
      e.state = { ...e.state, status: 'processing', phase: 'reading' };
      this.emit('progress', id, e.state);
      e.job
        .run(e.controller.signal, (p) => {
          e.state = {
            status: 'processing',
            phase: p.phase,
            progress: progressOf(p),
            bytes_read: p.bytesRead,
            bytes_total: p.bytesTotal,
            packets: p.packets,
          };
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
