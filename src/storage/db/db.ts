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
  /**
   * The same answer as `query`, for pages of many rows (exports): PGlite decodes result rows
   * slowly and answers this by COPY TO CSV instead (copy-out.ts); PostgreSQL runs `query`.
   */
  queryRows<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
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

/**
 * First key of the advisory locks by which Flowlens processes on one PostgreSQL server show they
 * run; the second key is the process's `owner` number. Any fixed number (MIGRATION_LOCK's kin).
 */
export const PRESENCE_LOCK = 7_461_204;

/** The COPY statement for `table (columns)` from `source` (STDIN or a file); every name a constant. */
export function copySql(table: string, columns: readonly string[], source: string, format = 'csv'): string {
  return `COPY ${table} (${columns.join(', ')}) FROM ${source} WITH (FORMAT ${format})`;
}
