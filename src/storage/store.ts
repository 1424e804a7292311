import { hostname } from 'node:os';
import type { Db } from './db/db.js';
import { processRuns } from './db/lock.js';
import { type OpenOptions, openDb } from './db/open.js';
import { migrate } from './migrations/index.js';
import { failAbandonedSessions } from './sessions.js';

/** Opens the database, brings the schema up to date and fails sessions a dead process left behind. */
export async function openStore(target: string, options: OpenOptions = {}): Promise<Db> {
  const db = await openDb(target, options);
  try {
    await migrate(db);
    await failAbandonedSessions(db, hostname(), processRuns);
    return db;
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}
