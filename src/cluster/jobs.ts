import pg from 'pg';
import type PgBoss from 'pg-boss';
import type { AnalysisSettings } from '../analysis/index.js';

/** The pg-boss queue of ingest jobs (its tables live in the database's `pgboss` schema). */
export const INGEST_QUEUE = 'flowlens-ingest';

/** An ingest job: everything a worker on another host needs besides the database and the store. */
export interface IngestJob {
  sessionId: string;
  /** The capture's key in the store. */
  key: string;
  fileName: string;
  settings: AnalysisSettings;
  baseline?: string;
}

/**
 * A job whose worker was lost is run again from the start this many times, then its session fails.
 * A capture that fails to analyse is not retried: that fails the same way every time.
 */
export const INGEST_RETRIES = 3;

/** Any fixed number (MIGRATION_LOCK's kin): the key of the lock that serialises the queue's setup. */
const JOBS_SETUP_LOCK = 7_461_205;

/** pg-boss started on the database, the ingest queue created (both idempotent, any node may do it). */
export async function openJobs(url: string, onError: (err: Error) => void): Promise<PgBoss> {
  // Loaded here, not with the module: a `serve` without workers never needs it.
  const { default: Boss } = await import('pg-boss');
  const boss = new Boss({
    connectionString: url,
    max: 3,
    // Our own lease (the session's heartbeat and presence lock) finds a lost worker within
    // seconds; pg-boss's expiry is only the last resort for a job nobody claims to run.
    supervise: true,
  });
  boss.on('error', onError);
  // Nodes starting together would each create pg-boss's schema and queue, and deadlock: one at a time.
  const lock = new pg.Client({ connectionString: url });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [JOBS_SETUP_LOCK]);
    await boss.start();
    if (!(await boss.getQueue(INGEST_QUEUE)))
      await boss.createQueue(INGEST_QUEUE, {
        name: INGEST_QUEUE,
        retryLimit: INGEST_RETRIES,
        retryDelay: 0,
        expireInSeconds: 23 * 3600,
      });
  } catch (err) {
    await boss.stop({ graceful: false, wait: false }).catch(() => undefined);
    throw err;
  } finally {
    await lock.end().catch(() => undefined);
  }
  return boss;
}
