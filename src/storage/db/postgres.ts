import { randomInt } from 'node:crypto';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { COPY_HEADER, COPY_TRAILER, unframe } from './copy-binary.js';
import { type BinaryCopy, copySql, type Db, DbError, PRESENCE_LOCK } from './db.js';

/**
 * A checked-out connection reports a dropped server as an 'error' event, which would end the
 * process if nobody listened; the statement running on it fails with the reason anyway.
 */
function watch(c: pg.PoolClient): () => void {
  const ignore = () => undefined;
  c.on('error', ignore);
  return () => c.off('error', ignore);
}

/**
 * A pool of connections: reads from a server's pages run beside an ingest's open transaction
 * instead of inside it, and a connection lost when the server restarts is replaced on the next
 * query. A transaction (and a COPY outside one) holds one connection of its own.
 */
export class PostgresDb implements Db {
  readonly kind = 'postgres';

  private constructor(
    private readonly pool: pg.Pool,
    private readonly client: pg.PoolClient | null,
    readonly location: string,
    private readonly presence: Presence,
    readonly owner: number,
  ) {}

  static async connect(url: string): Promise<PostgresDb> {
    const pool = new pg.Pool({ connectionString: url, max: 8, idleTimeoutMillis: 30_000 });
    const shown = url.replace(/:\/\/([^:@/]+):[^@/]*@/, '://$1:***@');
    pool.on('error', () => {
      // An idle connection dropped (server restart): the pool replaces it on the next query.
    });
    // The first connection on its own, kept for the presence lock. It is opened alone because
    // after some failures (a password the server asks for and the URL lacks) pg leaves the socket
    // open, and the process could never exit.
    const owner = randomInt(1, 2 ** 31 - 1);
    let presence: Presence;
    try {
      presence = await Presence.take(url, owner);
    } catch (err) {
      await pool.end().catch(() => undefined);
      const message = (err as Error).message;
      const reason = /client password must be a string/.test(message)
        ? 'the server asks for a password and none was given (put it in the URL or in PGPASSWORD)'
        : message;
      throw new DbError(`cannot connect to ${shown}: ${reason}`);
    }
    return new PostgresDb(pool, null, shown, presence, owner);
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await (this.client ?? this.pool).query(sql, params)).rows as T[];
  }

  queryRows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.query<T>(sql, params);
  }

  async exec(sql: string): Promise<void> {
    await (this.client ?? this.pool).query(sql);
  }

  async copyCsv(table: string, columns: readonly string[], csv: string): Promise<void> {
    if (csv.length === 0) return;
    const copy = async (c: pg.PoolClient) => {
      await pipeline(Readable.from([csv]), c.query(copyFrom(copySql(table, columns, 'STDIN'))));
    };
    if (this.client) return copy(this.client);
    const c = await this.pool.connect();
    const unwatch = watch(c);
    try {
      await copy(c);
      c.release();
    } catch (err) {
      c.release(err as Error);
      throw err;
    } finally {
      unwatch();
    }
  }

  async copyBinary(table: string, columns: readonly string[]): Promise<BinaryCopy> {
    // One COPY for every piece: on the transaction's connection, or one taken for the COPY.
    const own = this.client === null ? await this.pool.connect() : null;
    const c = this.client ?? own!;
    const unwatch = own ? watch(own) : () => undefined;
    const stream = c.query(copyFrom(copySql(table, columns, 'STDIN', 'binary')));
    let failure: Error | null = null;
    const done = new Promise<void>((resolve, reject) => {
      stream.on('finish', () => resolve());
      stream.on('error', (e: Error) => {
        failure = e;
        reject(e);
      });
    });
    done.catch(() => undefined); // observed by write and end
    const settle = () => {
      unwatch();
      own?.release(failure ?? undefined);
    };
    void done.then(settle, settle);
    const send = async (chunk: Uint8Array) => {
      if (failure) throw failure;
      if (!stream.write(chunk)) {
        await new Promise<void>((resolve, reject) => {
          const onDrain = () => {
            stream.off('error', onError);
            resolve();
          };
          const onError = (e: Error) => {
            stream.off('drain', onDrain);
            reject(e);
          };
          stream.once('drain', onDrain);
          stream.once('error', onError);
        });
      }
    };
    await send(COPY_HEADER);
    return {
      write: async (rows) => send(rows),
      writeFramed: async (copy) => send(unframe(copy)),
      end: async () => {
        if (failure) throw failure;
        stream.end(COPY_TRAILER);
        await done;
      },
      abort: async () => {
        if (stream.writableFinished || failure) return;
        // Sends CopyFail: the server ends the COPY with an error and the connection is usable again.
        stream.destroy(new Error('load abandoned'));
        await done.catch(() => undefined);
      },
    };
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    if (this.client) return fn(this);
    const c = await this.pool.connect();
    const unwatch = watch(c);
    let broken: Error | undefined;
    try {
      await c.query('BEGIN');
      const result = await fn(new PostgresDb(this.pool, c, this.location, this.presence, this.owner));
      await c.query('COMMIT');
      return result;
    } catch (err) {
      await c.query('ROLLBACK').catch((e: Error) => {
        broken = e; // the connection is gone: do not hand it out again
      });
      throw err;
    } finally {
      unwatch();
      c.release(broken);
    }
  }

  async close(): Promise<void> {
    if (this.client !== null) return;
    await this.pool.end();
    await this.presence.close();
  }
}

/** Milliseconds between attempts to take the presence lock again, growing to the last. */
const PRESENCE_RETRY_MS = [250, 1000, 2000, 5000, 10_000, 30_000];

/**
 * This process's presence lock on the server (PRESENCE_LOCK, under its owner number), on a
 * connection of its own that keeps no process up. A server restart or a terminated backend ends
 * that connection and frees the lock; it is then taken again, or another process's start would
 * take this one's running sessions for abandoned.
 */
class Presence {
  private closed = false;
  private retry: NodeJS.Timeout | null = null;

  private constructor(
    private client: pg.Client,
    private readonly url: string,
    private readonly owner: number,
  ) {
    this.watch();
  }

  static async take(url: string, owner: number): Promise<Presence> {
    return new Presence(await Presence.connect(url, owner), url, owner);
  }

  private static async connect(url: string, owner: number): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT pg_advisory_lock($1, $2)', [PRESENCE_LOCK, owner]);
    } catch (err) {
      client.connection.stream.destroy();
      throw err;
    }
    (client.connection.stream as Socket).unref();
    return client;
  }

  private watch(): void {
    const client = this.client;
    client.on('error', () => undefined); // followed by 'end', which takes the lock again
    client.once('end', () => {
      if (!this.closed && client === this.client) this.again(0);
    });
  }

  private again(attempt: number): void {
    const wait = PRESENCE_RETRY_MS[Math.min(attempt, PRESENCE_RETRY_MS.length - 1)];
    this.retry = setTimeout(async () => {
      this.retry = null;
      let client: pg.Client;
      try {
        client = await Presence.connect(this.url, this.owner);
      } catch {
        if (!this.closed) this.again(attempt + 1);
        return;
      }
      if (this.closed) {
        await client.end().catch(() => undefined);
        return;
      }
      this.client = client;
      this.watch();
    }, wait);
    this.retry.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    // Held again while it closes: unreferenced, the process could exit in the middle of close().
    (this.client.connection.stream as Socket).ref();
    await this.client.end().catch(() => undefined);
  }
}
