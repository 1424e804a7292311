import { Worker } from 'node:worker_threads';
import { compiledScript } from '../../runtime/workers.js';
import { type BinaryCopy, type Db, DbError } from './db.js';

/** Messages to the PGlite thread; `tx` routes a statement into an open transaction. */
export type ThreadRequest =
  | { id: number; op: 'query' | 'queryRows'; sql: string; params: unknown[]; tx: number | null }
  | { id: number; op: 'exec'; sql: string; tx: number | null }
  | { id: number; op: 'copy'; table: string; columns: readonly string[]; csv: string; tx: number | null }
  | {
      id: number;
      op: 'copyBinary' | 'copyFramed';
      table: string;
      columns: readonly string[];
      rows: Uint8Array;
      tx: number | null;
    }
  | { id: number; op: 'begin' }
  | { id: number; op: 'end'; tx: number; commit: boolean }
  | { id: number; op: 'close' };

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

export type ThreadReply =
  | { id: number; ok: true; value?: unknown }
  | { id: number; ok: false; message: string };

class Channel {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;

  constructor(readonly worker: Worker) {
    worker.on('message', (m: ThreadReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(new Error(m.message));
    });
    const fail = (e: Error) => {
      this.failure = e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    worker.on('error', (e) => fail(new DbError(`the database thread failed: ${e.message}`)));
    worker.on('exit', (code) => fail(new DbError(`the database thread stopped (exit code ${code})`)));
  }

  call<T>(req: WithoutId<ThreadRequest>, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...req, id }, transfer);
    });
  }
}

/** The Db interface over a PGlite database that lives in its own worker thread. */
class ThreadedPgliteDb implements Db {
  readonly kind = 'pglite';
  readonly owner = null;

  constructor(
    private readonly channel: Channel,
    readonly location: string,
    private readonly tx: number | null,
    private readonly release: (() => void) | null,
  ) {}

  query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.channel.call<T[]>({ op: 'query', sql, params, tx: this.tx });
  }

  queryRows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.channel.call<T[]>({ op: 'queryRows', sql, params, tx: this.tx });
  }

  async exec(sql: string): Promise<void> {
    await this.channel.call({ op: 'exec', sql, tx: this.tx });
  }

  async copyCsv(table: string, columns: readonly string[], csv: string): Promise<void> {
    if (csv.length === 0) return;
    await this.channel.call({ op: 'copy', table, columns, csv, tx: this.tx });
  }

  async copyBinary(table: string, columns: readonly string[]): Promise<BinaryCopy> {
    // Each piece is one COPY in the thread (as in PGlite itself); its bytes move there, not copied.
    return {
      write: async (rows) => {
        if (rows.length === 0) return;
        const transfer = rows.buffer instanceof ArrayBuffer && rows.byteOffset === 0 ? [rows.buffer] : [];
        await this.channel.call({ op: 'copyBinary', table, columns, rows, tx: this.tx }, transfer);
      },
      writeFramed: async (copy) => {
        // The whole buffer moves to the thread (the caller gives it up), which hands it to PGlite.
        const transfer = copy.buffer instanceof ArrayBuffer ? [copy.buffer] : [];
        await this.channel.call({ op: 'copyFramed', table, columns, rows: copy, tx: this.tx }, transfer);
      },
      end: async () => undefined,
      abort: async () => undefined,
    };
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    if (this.tx !== null) return fn(this);
    const tx = await this.channel.call<number>({ op: 'begin' });
    let result: T;
    try {
      result = await fn(new ThreadedPgliteDb(this.channel, this.location, tx, null));
    } catch (err) {
      await this.channel.call({ op: 'end', tx, commit: false }).catch(() => undefined);
      throw err;
    }
    await this.channel.call({ op: 'end', tx, commit: true });
    return result;
  }

  async close(): Promise<void> {
    try {
      await this.channel.call({ op: 'close' });
    } finally {
      await this.channel.worker.terminate();
      this.release?.();
    }
  }
}

/**
 * Opens PGlite in a worker thread, holding the folder lock in this thread. Null when the compiled
 * thread script is not there (running from source without a build).
 */
export async function openThreadedPglite(dir: string, lock: () => () => void): Promise<Db | null> {
  const file = compiledScript('storage/db/pglite-thread-worker.js');
  if (file === null) return null;
  const release = lock();
  const worker = new Worker(file, { workerData: { dir } });
  const channel = new Channel(worker);
  try {
    await channel.call({ op: 'query', sql: 'SELECT 1', params: [], tx: null });
  } catch (err) {
    await worker.terminate();
    release();
    throw new DbError(`cannot open the database in ${dir}: ${(err as Error).message}`);
  }
  return new ThreadedPgliteDb(channel, dir, null, release);
}
