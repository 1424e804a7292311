import { readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type Db, DbError } from './db.js';
import { makeFolder, takeLock } from './lock.js';
import { isForeignUrl, isPostgresUrl } from './target.js';

/**
 * `postgres://…` opens a server connection; anything else is a PGlite data directory. Each
 * driver is loaded only when a database of its kind is opened: a command that stores nothing
 * (`analyze --no-store`, `--help`) loads neither.
 */
export async function openDb(target: string, options: OpenOptions = {}): Promise<Db> {
  if (isPostgresUrl(target)) {
    const { PostgresDb } = await import('./postgres.js');
    return PostgresDb.connect(target);
  }
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
  const { PgliteDb } = await import('./pglite.js');
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
