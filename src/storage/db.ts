import { randomInt } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import type { Socket } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { COPY_HEADER, COPY_TRAILER, unframe } from './copy-binary.js';

/**
 * One interface over the embedded PGlite database and a PostgreSQL server: the same SQL, the same
 * queries. SQL text is always constant; values travel as parameters. Bigint columns must be cast in
 * SQL (`::float8`, `::int`) because pg returns them as strings and PGlite as numbers.
 */
export interface Db {
  readonly kind: 'pglite' | 'postgres';
  /** Where the data lives: a directory, or the server URL without its password. */
  readonly location: string;
  /**
   * On PostgreSQL, the number under which this process holds its presence lock (see
   * PRESENCE_LOCK) for as long as it is connected: stored with the sessions it owns, it tells
   * another process, on any host, whether their owner still runs. Null on PGlite, where the
   * folder lock already says that.
   */
  readonly owner: number | null;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Bulk-loads CSV rows into `table (columns)` with COPY. Table and columns are constants. */
  copyCsv(table: string, columns: readonly string[], csv: string): Promise<void>;
  /**
   * Starts a binary COPY into `table (columns)` that takes rows in pieces (see copy-binary.ts):
   * on PostgreSQL one COPY streams them all (inside a transaction, on its connection); PGlite runs
   * one COPY per piece.
   */
  copyBinary(table: string, columns: readonly string[]): Promise<BinaryCopy>;
  /** Runs `fn` in one transaction: everything it wrote is kept, or nothing. */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A binary COPY in progress (see Db.copyBinary). */
export interface BinaryCopy {
  /** Sends rows (whole rows, no header or trailer); resolves when they may be reused. */
  write(rows: Uint8Array): Promise<void>;
  /**
   * Sends a whole COPY input (header, rows, trailer: BinaryRows' `framed`), whose buffer the
   * database may keep or move to another thread: the caller does not touch it again.
   */
  writeFramed(copy: Uint8Array): Promise<void>;
  /** Ends the COPY; resolves once every row is in. */
  end(): Promise<void>;
  /** Abandons the COPY (the transaction is then rolled back). */
  abort(): Promise<void>;
}

export class DbError extends Error {
  override name = 'DbError';
}

/** The embedded database's folder when neither --db nor DATABASE_URL says otherwise. */
export function defaultDbDir(): string {
  const base = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(base, 'flowlens', 'db');
}

/**
 * First key of the advisory locks by which Flowlens processes on one PostgreSQL server show they
 * run; the second key is the process's `owner` number. Any fixed number (MIGRATION_LOCK's kin).
 */
export const PRESENCE_LOCK = 7_461_204;

/** Whether `target` names a PostgreSQL server rather than an embedded database's folder. */
export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//.test(target);
}

/** Whether `target` is a URL of another kind than PostgreSQL's (a typo must not become a folder). */
export function isForeignUrl(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(target) && !isPostgresUrl(target);
}

/** `postgres://…` opens a server connection; anything else is a PGlite data directory. */
export async function openDb(target: string, options: OpenOptions = {}): Promise<Db> {
  if (isPostgresUrl(target)) return PostgresDb.connect(target);
  if (isForeignUrl(target))
    throw new DbError(`cannot open '${target}': a database is a folder or a postgres:// URL`);
  // The real path, so that a link to a folder in use meets that folder's lock.
  let dir = resolve(target);
  try {
    dir = realpathSync(dir);
    if (!statSync(dir).isDirectory())
      throw new DbError(`cannot open the database in ${dir}: it is a file, not a folder`);
    // A folder of other things (a mistyped --db): the database's files must not land among them.
    const entries = readdirSync(dir);
    if (entries.length > 0 && !entries.includes('PG_VERSION'))
      throw new DbError(
        `cannot open the database in ${dir}: the folder holds other files and no database (give a new or empty folder; remove this one if it is what an interrupted first start left)`,
      );
  } catch (err) {
    if (err instanceof DbError) throw err;
    // Not there yet: created below.
  }
  makeFolder(dirname(dir), dir);
  if (options.pgliteThread) {
    const { openThreadedPglite } = await import('./pglite-thread.js');
    const threaded = await openThreadedPglite(dir, () => takeLock(`${dir}.lock`, dir));
    if (threaded) return threaded;
  }
  return PgliteDb.open(dir);
}

export interface OpenOptions {
  /**
   * Run PGlite in a thread of its own. PGlite executes each statement synchronously on the
   * thread that owns it, so a server keeps its event loop free this way (health checks, event
   * streams) while a large query or COPY runs. Needs the compiled worker (falls back otherwise).
   */
  pgliteThread?: boolean;
}

/** PGlite in the calling thread, without the folder lock: for the thread that a caller locked for. */
export async function openPgliteUnlocked(dir: string): Promise<Db> {
  return PgliteDb.open(dir, false);
}

function copySql(table: string, columns: readonly string[], source: string, format = 'csv'): string {
  return `COPY ${table} (${columns.join(', ')}) FROM ${source} WITH (FORMAT ${format})`;
}

/**
 * Where PGlite's COPY reads its input: a file in PGlite's in-memory file system, written with one
 * copy and read by COPY with one copy per read. (PGlite's own `/dev/blob` copies a blob into the
 * database one byte at a time in JavaScript: 3.6 s of CPU for the bench's 0.59 GB of flow rows.)
 */
class PgliteCopyFile {
  private next = 0;

  constructor(private readonly fs: PgliteFs) {}

  /**
   * Writes the pieces as a file of its own (two loads may overlap), runs `copy` with the file's
   * path (a COPY statement reading it: a constant name, never user data), removes the file.
   */
  async load(pieces: readonly Uint8Array[], copy: (path: string) => Promise<unknown>): Promise<void> {
    let size = 0;
    for (const piece of pieces) size += piece.length;
    const whole = new Uint8Array(size);
    let at = 0;
    for (const piece of pieces) {
      whole.set(piece, at);
      at += piece.length;
    }
    await this.loadWhole(whole, copy);
  }

  /**
   * As `load`, for input in one buffer, which the file takes as its contents (canOwn) for as long
   * as it exists. Written piece by piece, the file grew twice per batch, each time into a new
   * buffer of megabytes, and those allocations drove a full garbage collection nearly every batch.
   */
  async loadWhole(whole: Uint8Array, copy: (path: string) => Promise<unknown>): Promise<void> {
    const path = `/tmp/flowlens-copy-${this.next++}`;
    const file = this.fs.open(path, 'w');
    try {
      this.fs.write(file, whole, 0, whole.length, 0, true);
    } finally {
      this.fs.close(file);
    }
    try {
      await copy(path);
    } finally {
      this.fs.unlink(path);
    }
  }
}

/** The part of Emscripten's file system (PGlite's `Module.FS`) that the COPY file uses. */
interface PgliteFs {
  open(path: string, flags: string): unknown;
  write(
    stream: unknown,
    buffer: Uint8Array,
    offset: number,
    length: number,
    position?: number,
    canOwn?: boolean,
  ): number;
  close(stream: unknown): void;
  unlink(path: string): void;
}

// ---------------------------------------------------------------------------------------- PGlite

type PgliteLike = PGlite | Transaction;

class PgliteDb implements Db {
  readonly kind = 'pglite';
  readonly owner = null;

  private constructor(
    private readonly conn: PgliteLike,
    readonly location: string,
    private readonly release: (() => void) | null,
    private readonly copyFile: PgliteCopyFile,
  ) {}

  static async open(dir: string, lock = true): Promise<PgliteDb> {
    const release = lock ? takeLock(`${dir}.lock`, dir) : () => undefined;
    try {
      const db = new PGlite(dir);
      await db.waitReady;
      return new PgliteDb(db, dir, release, new PgliteCopyFile(db.Module.FS as PgliteFs));
    } catch (err) {
      release();
      throw new DbError(`cannot open the database in ${dir}: ${(err as Error).message}`);
    }
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.conn.query<T>(sql, params)).rows;
  }

  async exec(sql: string): Promise<void> {
    await this.conn.exec(sql);
  }

  async copyCsv(table: string, columns: readonly string[], csv: string): Promise<void> {
    if (csv.length === 0) return;
    await this.copyFile.load([Buffer.from(csv, 'utf8')], (path) =>
      this.conn.exec(copySql(table, columns, `'${path}'`)),
    );
  }

  /** One COPY statement per piece of rows, each from the in-memory COPY file. */
  async copyBinary(table: string, columns: readonly string[]): Promise<BinaryCopy> {
    return {
      write: async (rows) => {
        if (rows.length > 0)
          await this.copyFile.load([COPY_HEADER, rows, COPY_TRAILER], (path) =>
            this.conn.exec(copySql(table, columns, `'${path}'`, 'binary')),
          );
      },
      writeFramed: async (copy) => {
        if (copy.length > COPY_HEADER.length + COPY_TRAILER.length)
          await this.copyFile.loadWhole(copy, (path) =>
            this.conn.exec(copySql(table, columns, `'${path}'`, 'binary')),
          );
      },
      end: async () => undefined,
      abort: async () => undefined,
    };
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    if (!(this.conn instanceof PGlite)) return fn(this);
    return this.conn.transaction((tx) => fn(new PgliteDb(tx, this.location, null, this.copyFile)));
  }

  async close(): Promise<void> {
    if (this.conn instanceof PGlite) await this.conn.close();
    this.release?.();
  }
}

/** Creates the database's parent folder, or says in one line why it cannot. */
function makeFolder(folder: string, dir: string): void {
  try {
    mkdirSync(folder, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'EEXIST' || code === 'ENOTDIR'
        ? `${(err as NodeJS.ErrnoException).path ?? folder} is a file, not a folder`
        : code === 'EACCES' || code === 'EPERM'
          ? `permission denied (${code})`
          : code === 'EROFS'
            ? 'the file system is read-only (EROFS)'
            : code === 'ENOSPC'
              ? 'the disk is full (ENOSPC)'
              : (err as Error).message;
    throw new DbError(`cannot open the database in ${dir}: ${reason}`);
  }
}

/**
 * PGlite has no lock between processes: two writers would corrupt the folder. A lock file holds
 * the owner's pid; one left by a process that no longer runs is taken over.
 */
function takeLock(path: string, dir: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new DbError(`cannot lock ${dir}: ${(err as NodeJS.ErrnoException).code ?? err}`);
      }
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new DbError(`the database ${dir} is in use by another Flowlens process (pid ${pid})`);
      }
      if (pid === process.pid) throw new DbError(`the database ${dir} is already open in this process`);
      unlinkSync(path); // stale: its owner has exited
    }
  }
  throw new DbError(`cannot lock ${dir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// ------------------------------------------------------------------------------------ PostgreSQL

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
class PostgresDb implements Db {
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
