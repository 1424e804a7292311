import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { LiveState } from '../ingest/index.js';

/** The one NOTIFY channel of a deployment: every API node and worker listens to it. */
export const CHANNEL = 'flowlens_events';

/** What crosses the channel; a NOTIFY payload must stay under 8000 bytes, these are small. */
export type ClusterMessage =
  /** An ingest job was queued: idle workers fetch at once instead of at their next poll. */
  | { k: 'job' }
  | { k: 'progress'; id: string; s: LiveState }
  /** The session's job let go of it (completed, failed, cancelled or requeued). */
  | { k: 'end'; id: string }
  /** Delete asked for: whichever worker runs the session's job stops it. */
  | { k: 'cancel'; id: string };

/**
 * LISTEN on a connection of its own (a pooled one cannot hold a LISTEN), NOTIFY through a small
 * pool. Messages arrive as `message` events. The connection is remade if the server drops it;
 * what was sent meanwhile is lost, which costs a progress tick (the session's row stays the truth).
 */
export class ClusterChannel extends EventEmitter {
  private listener: pg.Client | null = null;
  private readonly pool: pg.Pool;
  private closed = false;

  constructor(private readonly url: string) {
    super();
    this.setMaxListeners(0);
    // One connection: notifications leave in the order they were sent (progress before end).
    this.pool = new pg.Pool({ connectionString: url, max: 1 });
    this.pool.on('error', () => undefined);
  }

  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', (n) => {
      if (n.channel !== CHANNEL || !n.payload) return;
      try {
        this.emit('message', JSON.parse(n.payload) as ClusterMessage);
      } catch {
        // not ours
      }
    });
    client.on('error', () => {
      if (this.closed) return;
      this.listener = null;
      client.end().catch(() => undefined);
      setTimeout(() => {
        if (!this.closed) this.start().catch(() => undefined);
      }, 1000).unref();
    });
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.listener = client;
  }

  async publish(message: ClusterMessage): Promise<void> {
    await this.pool.query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify(message)]);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.listener?.end().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }
}
