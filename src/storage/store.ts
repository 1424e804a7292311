import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { compiledScript, workerExecArgv } from '../runtime/workers.js';
import { type Db, DbError } from './db/db.js';
import { processRuns } from './db/lock.js';
import { type OpenOptions, openDb } from './db/open.js';
import { isPostgresUrl } from './db/target.js';
import { migrate } from './migrations/index.js';
import { failAbandonedSessions } from './sessions.js';

export interface StoreOpenOptions extends OpenOptions {
  /** Make a new PGlite folder in this process (the init process itself). */
  noInitProcess?: boolean;
  /**
   * A node of a deployment with workers (`serve --workers 0`, `flowlens worker`): a session a
   * dead process left goes back to the job queue (the workers' lease check), not failed here.
   */
  cluster?: boolean;
}

/** Opens the database, brings the schema up to date and fails sessions a dead process left behind. */
export async function openStore(target: string, options: StoreOpenOptions = {}): Promise<Db> {
  // A PGlite folder made by this start: its first start (initdb) leaves about 500 MB in the
  // WebAssembly memory of the thread that ran it, which never shrinks. So a new database is made
  // in a short-lived process of its own (`pglite-init.ts`) when the build is there.
  const fresh = !isPostgresUrl(target) && !existsSync(join(resolve(target), 'PG_VERSION'));
  const script = fresh && !options.noInitProcess ? compiledScript('storage/pglite-init.js') : null;
  if (script !== null) await initInProcess(script, resolve(target));
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

/** Runs `pglite-init.js` on `dir` and waits for it; its one-line message if it fails. */
function initInProcess(script: string, dir: string): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...workerExecArgv(), script, dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let message = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (message.length < 4096) message += d;
    });
    child.on('error', fail);
    child.on('exit', (code) => {
      if (code === 0) done();
      else fail(new DbError(message.trim() || `cannot create the database in ${dir} (exit code ${code})`));
    });
  });
}
