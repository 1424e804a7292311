import { PGlite, type Transaction } from '@electric-sql/pglite';
import { COPY_HEADER, COPY_TRAILER } from './copy-binary.js';
import { convertible, type OutField, PARAM_TYPES, parseCopyCsv, withSettingParams } from './copy-out.js';
import { type BinaryCopy, copySql, type Db, DbError } from './db.js';
import { takeLock } from './lock.js';

/** PGlite in the calling thread, without the folder lock: for the thread that a caller locked for. */
export async function openPgliteUnlocked(dir: string): Promise<Db> {
  return PgliteDb.open(dir, false);
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

type PgliteLike = PGlite | Transaction;

interface CopyPlan {
  sql: string;
  fields: OutField[];
}
/** Per constant SQL text: how it runs as COPY, or null when it does not convert. */
const COPY_PLANS = new Map<string, CopyPlan | null>();

export class PgliteDb implements Db {
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
      const db = new PGlite(dir, { startParams: pgliteStartParams() });
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

  async queryRows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    const plan = await this.copyPlan(sql);
    if (plan === null || params.some((v) => v === null || v === undefined)) return this.query<T>(sql, params);
    // The settings and the COPY in one transaction: PGlite runs one transaction at a time, so no
    // other page's settings can come between them.
    const run = async (c: PgliteLike) => {
      if (params.length > 0)
        await c.query(
          `SELECT ${params.map((_, i) => `set_config('flowlens.bulk_${i + 1}', $${i + 1}, true)`).join(', ')}`,
          params.map(String),
        );
      return (await c.query(`COPY (${plan.sql}) TO '/dev/blob' WITH (FORMAT csv, FORCE_QUOTE *)`)).blob;
    };
    const blob = this.conn instanceof PGlite ? await this.conn.transaction(run) : await run(this.conn);
    if (!blob) return [];
    return parseCopyCsv<T>(Buffer.from(await blob.arrayBuffer()).toString('utf8'), plan.fields);
  }

  /** How `sql` runs as COPY (its columns, its parameters as settings), or null if it cannot. */
  private async copyPlan(sql: string): Promise<CopyPlan | null> {
    const known = COPY_PLANS.get(sql);
    // Inside a transaction there is no describeQuery: the plan is made outside one.
    if (known !== undefined || !(this.conn instanceof PGlite)) return known ?? null;
    const d = await this.conn.describeQuery(sql);
    const types = d.queryParams.map((p) => PARAM_TYPES.get(p.dataTypeID));
    const plan =
      convertible(d.resultFields) && types.every((t) => t !== undefined)
        ? { sql: withSettingParams(sql, types as string[]), fields: d.resultFields }
        : null;
    COPY_PLANS.set(sql, plan);
    return plan;
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

/**
 * PGlite's start parameters with smaller shared buffers than its 128 MB: its WebAssembly memory
 * never shrinks, so buffers a large COPY has touched stay in the process for its life (the README's
 * memory figures). `FLOWLENS_PGLITE_SHARED_BUFFERS` (for example 128MB) overrides it.
 */
function pgliteStartParams(): string[] {
  const size = process.env.FLOWLENS_PGLITE_SHARED_BUFFERS ?? PGLITE_SHARED_BUFFERS;
  if (!/^[1-9][0-9]{0,5}(kB|MB|GB)$/.test(size))
    throw new DbError(`FLOWLENS_PGLITE_SHARED_BUFFERS: '${size}' is not a size such as 32MB`);
  return [...PGlite.defaultStartParams, '-c', `shared_buffers=${size}`];
}

const PGLITE_SHARED_BUFFERS = '32MB';
