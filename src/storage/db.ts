import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { COPY_HEADER, COPY_TRAILER } from './copy-binary.js';

/**
 * One interface over the embedded PGlite database and a PostgreSQL server: the same SQL, the same
 * queries. SQL text is always constant; values travel as parameters. Bigint columns must be cast in
 * SQL (`::float8`, `::int`) because pg returns them as strings and PGlite as numbers.
 */
export interface Db {
  readonly kind: 'pglite' | 'postgres';
  /** Where the data lives: a directory, or the server URL without its password. */
  readonly location: string;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Bulk-loads CSV rows into `table (columns)` with COPY. Table and columns are constants. */
  copyCsv(table: string, columns: readonly string[], csv: string): Promise<void>;
  /**
   * Starts a binary COPY into `table (columns)` that takes rows in pieces (see copy-binary.ts):
   * on PostgreSQL one COPY streams them all; PGlite runs one COPY per piece.
   */
  copyBinary(table: string, columns: readonly string[]): Promise<BinaryCopy>;
  /**
   * A connection for one long load: on PostgreSQL a connection of its own (so the load's
   * transaction and COPY do not hold up other queries); PGlite has one connection, this one.
   * Close it with `endLoad`.
   */
  forLoad(): Promise<Db>;
  /** Ends a connection from `forLoad` (nothing for the shared one). */
  endLoad(): Promise<void>;
  /** Runs `fn` in one transaction: everything it wrote is kept, or nothing. */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A binary COPY in progress (see Db.copyBinary). */
export interface BinaryCopy {
  /** Sends rows (whole rows, no header or trailer); resolves when they may be reused. */
  write(rows: Uint8Array): Promise<void>;
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

/** `postgres://…` opens a server connection; anything else is a PGlite data directory. */
export async function openDb(target: string): Promise<Db> {
  if (/^postgres(ql)?:\/\//.test(target)) return PostgresDb.connect(target);
  return PgliteDb.open(resolve(target));
}

function copySql(table: string, columns: readonly string[], source: string, format = 'csv'): string {
  return `COPY ${table} (${columns.join(', ')}) FROM ${source} WITH (FORMAT ${format})`;
}

// ---------------------------------------------------------------------------------------- PGlite

type PgliteLike = PGlite | Transaction;

class PgliteDb implements Db {
  readonly kind = 'pglite';

  private constructor(
    private readonly conn: PgliteLike,
    readonly location: string,
    private readonly release: (() => void) | null,
  ) {}

  static async open(dir: string): Promise<PgliteDb> {
    mkdirSync(dirname(dir), { recursive: true });
    const release = takeLock(`${dir}.lock`, dir);
    try {
      const db = new PGlite(dir);
      await db.waitReady;
      return new PgliteDb(db, dir, release);
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
    await this.conn.query(copySql(table, columns, "'/dev/blob'"), [], { blob: new Blob([csv]) });
  }

  async copyBinary(table: string, columns: readonly string[]): Promise<BinaryCopy> {
    const sql = copySql(table, columns, "'/dev/blob'", 'binary');
    return {
      write: async (rows) => {
        if (rows.length === 0) return;
        await this.conn.query(sql, [], { blob: new Blob([COPY_HEADER, rows, COPY_TRAILER]) });
      },
      end: async () => undefined,
      abort: async () => undefined,
    };
  }

  async forLoad(): Promise<Db> {
    return this;
  }

  async endLoad(): Promise<void> {}

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    if (!(this.conn instanceof PGlite)) return fn(this);
    return this.conn.transaction((tx) => fn(new PgliteDb(tx, this.location, null)));
  }

  async close(): Promise<void> {
    if (this.conn instanceof PGlite) await this.conn.close();
    this.release?.();
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

class PostgresDb implements Db {
  readonly kind = 'postgres';
  private inTransaction = false;

  private constructor(
    private readonly client: pg.Client,
    readonly location: string,
    private readonly url: string,
    private readonly own: boolean,
  ) {}

  static async connect(url: string, own = false): Promise<PostgresDb> {
    const client = new pg.Client({ connectionString: url });
    const shown = url.replace(/:\/\/([^:@/]+):[^@/]*@/, '://$1:***@');
    client.on('error', () => {
      // A dropped connection surfaces on the next query; keep the process alive until then.
    });
    try {
      await client.connect();
    } catch (err) {
      throw new DbError(`cannot connect to ${shown}: ${(err as Error).message}`);
    }
    return new PostgresDb(client, shown, url, own);
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.client.query(sql, params)).rows as T[];
  }

  async exec(sql: string): Promise<void> {
    await this.client.query(sql);
  }

  async copyCsv(table: string, columns: readonly string[], csv: string): Promise<void> {
    if (csv.length === 0) return;
    const stream = this.client.query(copyFrom(copySql(table, columns, 'STDIN')));
    await pipeline(Readable.from([csv]), stream);
  }

  async copyBinary(table: string, columns: readonly string[]): Promise<BinaryCopy> {
    const stream = this.client.query(copyFrom(copySql(table, columns, 'STDIN', 'binary')));
    let failure: Error | null = null;
    const done = new Promise<void>((resolve, reject) => {
      stream.on('finish', () => resolve());
      stream.on('error', (e: Error) => {
        failure = e;
        reject(e);
      });
    });
    done.catch(() => undefined); // observed by write and end
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

  async forLoad(): Promise<Db> {
    return PostgresDb.connect(this.url, true);
  }

  async endLoad(): Promise<void> {
    if (this.own) await this.client.end();
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this);
    await this.client.query('BEGIN');
    this.inTransaction = true;
    try {
      const result = await fn(this);
      await this.client.query('COMMIT');
      return result;
    } catch (err) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      this.inTransaction = false;
    }
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}
