import { hostname } from 'node:os';
import type { Db } from './db/db.js';
import { processRuns } from './db/lock.js';
import { type OpenOptions, openDb } from './db/open.js';
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
  const db = await openDb(target, options);
  try {
    await migrate(db);
    if (!options.cluster) await failAbandonedSessions(db, hostname(), processRuns);
    return db;
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}
