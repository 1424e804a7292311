import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Db } from './db/db.js';
import { processRuns } from './db/lock.js';
import { type OpenOptions, openDb } from './db/open.js';
import { isPostgresUrl } from './db/target.js';
import { migrate } from './migrations/index.js';
import { failAbandonedSessions } from './sessions.js';

export interface StoreOpenOptions extends OpenOptions {
  /**
   * A node of a deployment with workers (`serve --workers 0`, `flowlens worker`): a session a
   * dead process left goes back to the job queue (the workers' lease check), not failed here.
   */
  cluster?: boolean;
}

/** Opens the database, brings the schema up to date and fails sessions a dead process left behind. */
export async function openStore(target: string, options: StoreOpenOptions = {}): Promise<Db> {
  // A PGlite folder made by this start: its first start (initdb) leaves about 500 MB in the
  // WebAssembly memory of the thread that ran it, which never shrinks. In a thread of its own, the
  // new database is closed once made and opened again, so that memory goes with the thread.
  const fresh =
    options.pgliteThread === true &&
    !isPostgresUrl(target) &&
    !existsSync(join(resolve(target), 'PG_VERSION'));
  const db = await openDb(target, options);
  try {
    await migrate(db);
    if (fresh) {
      await db.close();
      return await openStore(target, options);
    }
    if (!options.cluster) await failAbandonedSessions(db, hostname(), processRuns);
    return db;
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}
