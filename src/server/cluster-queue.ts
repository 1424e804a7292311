import { EventEmitter } from 'node:events';
import type PgBoss from 'pg-boss';
import { type ClusterChannel, type ClusterMessage, INGEST_QUEUE, type IngestJob } from '../cluster/index.js';
import { type LiveState, QUEUED_STATE } from '../ingest/index.js';
import {
  cancelQueuedSession,
  type Db,
  getSession,
  type SessionRow,
  unfinishedSessions,
} from '../storage/index.js';
import type { SessionQueue } from './queue.js';

/** How long a delete waits for the worker running the session to let go of it. */
const CANCEL_WAIT_MS = 60_000;

/**
 * An API node's view of ingests run by `flowlens worker` processes (`serve --workers 0`): jobs go
 * into the pg-boss queue; what the workers publish on the deployment's NOTIFY channel keeps the
 * live state of every queued and running session here, whichever node took the upload, so the
 * event streams of every node follow it.
 */
export class ClusterQueue extends EventEmitter implements SessionQueue {
  private readonly states = new Map<string, LiveState>();
  private readonly onMessage = (m: ClusterMessage) => this.receive(m);

  constructor(
    private readonly db: Db,
    private readonly channel: ClusterChannel,
    private readonly jobs: PgBoss,
  ) {
    super();
    this.setMaxListeners(0);
  }

  /** Starts following the channel, then learns the sessions already waiting or running. */
  async start(): Promise<void> {
    this.channel.on('message', this.onMessage);
    for (const row of await unfinishedSessions(this.db)) this.track(row);
  }

  /** Queues an upload stored under `job.key` for the workers. */
  async submit(job: IngestJob): Promise<void> {
    // Queued everywhere before a worker can take it, so its first progress comes after.
    this.set(job.sessionId, QUEUED_STATE);
    await this.channel.publish({ k: 'progress', id: job.sessionId, s: QUEUED_STATE });
    // The session's id is the job's: a second send of the same session is no second job.
    await this.jobs.send(INGEST_QUEUE, job, { id: job.sessionId });
    await this.channel.publish({ k: 'job' });
  }

  state(sessionId: string): LiveState | undefined {
    return this.states.get(sessionId);
  }

  /**
   * The stored row is the truth: a finished session has no live state whatever this node heard
   * (a notification lost while its listening connection was remade, or one overtaken by another
   * node's), and an unfinished one this node missed is followed from now on.
   */
  track(row: SessionRow): LiveState | undefined {
    if (row.status !== 'queued' && row.status !== 'processing') {
      this.end(row.session_id);
      return undefined;
    }
    const known = this.states.get(row.session_id);
    if (known) return known;
    const s: LiveState =
      row.status === 'queued'
        ? QUEUED_STATE
        : {
            ...QUEUED_STATE,
            status: 'processing',
            phase: 'reading',
            progress: row.progress,
            worker: row.worker,
          };
    this.states.set(row.session_id, s);
    return s;
  }

  counts(): { running: number; queued: number } {
    let running = 0;
    let queued = 0;
    for (const s of this.states.values()) {
      if (s.status === 'processing') running++;
      else queued++;
    }
    return { running, queued };
  }

  async cancel(sessionId: string): Promise<void> {
    const reason = 'cancelled: the session was deleted';
    // Still waiting: failing it here means no worker will claim it (claims take queued sessions only).
    const waiting = await cancelQueuedSession(this.db, sessionId, reason);
    await this.jobs.cancel(INGEST_QUEUE, sessionId).catch(() => undefined);
    if (!waiting) {
      await this.channel.publish({ k: 'cancel', id: sessionId });
      const until = Date.now() + CANCEL_WAIT_MS;
      for (;;) {
        const row = await getSession(this.db, sessionId);
        if (row === null || (row.status !== 'processing' && row.status !== 'queued')) break;
        // Requeued by a lost worker meanwhile: it is waiting again, so fail it as such.
        if (row.status === 'queued' && (await cancelQueuedSession(this.db, sessionId, reason))) break;
        if (Date.now() > until) throw new Error(`the worker running session ${sessionId} did not stop`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    this.end(sessionId);
    await this.channel.publish({ k: 'end', id: sessionId });
  }

  async idle(): Promise<void> {
    while (this.states.size > 0) await new Promise((r) => setTimeout(r, 100));
  }

  async close(): Promise<void> {
    this.channel.off('message', this.onMessage);
  }

  private receive(m: ClusterMessage): void {
    if (m.k === 'progress') this.set(m.id, m.s);
    else if (m.k === 'end') this.end(m.id);
  }

  private set(id: string, s: LiveState): void {
    this.states.set(id, s);
    this.emit('progress', id, s);
  }

  private end(id: string): void {
    if (!this.states.delete(id)) return;
    this.emit('end', id);
  }
}
