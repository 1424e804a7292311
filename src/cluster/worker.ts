import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type PgBoss from 'pg-boss';
import {
  type IngestProgress,
  ingestCapture,
  type LiveState,
  liveStateOf,
  QUEUED_STATE,
} from '../ingest/index.js';
import {
  claimSession,
  type Db,
  failSession,
  indexSessionFlows,
  openStore,
  renewSessionLease,
  requeueSession,
  sessionsWithLostLease,
} from '../storage/index.js';
import type { CaptureStore } from '../store/index.js';
import { ClusterChannel } from './channel.js';
import { INGEST_QUEUE, INGEST_RETRIES, type IngestJob, openJobs } from './jobs.js';

export interface WorkerOptions {
  /** A postgres:// URL: the workers' queue, leases and notifications live in PostgreSQL. */
  dbUrl: string;
  store: CaptureStore;
  /** Ingests this process runs at once (each in worker threads of its own). */
  concurrency: number;
  /**
   * Seconds without a renewal after which another worker takes a session over (a process that
   * hangs). A process that ends, or loses its connection, is seen at once by its presence lock.
   */
  leaseSeconds: number;
  log: (line: string) => void;
  /** This process no longer holds the lease of a session it runs: another worker redoes it. */
  onLeaseLost: (sessionId: string) => void;
}

export interface RunningWorker {
  db: Db;
  /** Stops taking jobs, lets the running ones finish and disconnects. */
  close(): Promise<void>;
}

/** Progress reaches the API nodes about four times a second, and at every change of phase. */
const PROGRESS_EVERY_MS = 250;

/**
 * `flowlens worker`: takes ingest jobs from the pg-boss queue, reads each capture from the store
 * and stores it as its session, all or nothing. Also the lease keeper of the deployment: every
 * worker looks for sessions whose worker was lost and puts them back in the queue.
 */
export async function startWorker(o: WorkerOptions): Promise<RunningWorker> {
  const db = await openStore(o.dbUrl, { cluster: true });
  const channel = new ClusterChannel(o.dbUrl);
  let boss: PgBoss | null = null;
  try {
    await channel.start();
    boss = await openJobs(o.dbUrl, (err) => o.log(`job queue: ${err.message}`));
  } catch (err) {
    await channel.close();
    await db.close();
    throw err;
  }
  const jobs = boss;
  const self = { host: hostname(), pid: process.pid };
  const running = new Map<string, AbortController>();
  const indexing = Promise.resolve();
  const workIds: string[] = [];
  let closing = false;

  channel.on('message', (m: Parameters<ClusterChannel['publish']>[0]) => {
    if (m.k === 'cancel') running.get(m.id)?.abort(new Error('cancelled: the session was deleted'));
    else if (m.k === 'job') for (const id of workIds) jobs.notifyWorker(id);
  });

  const publish = (m: Parameters<ClusterChannel['publish']>[0]) =>
    channel.publish(m).catch((err: Error) => o.log(`notify: ${err.message}`));

  async function run(job: IngestJob): Promise<void> {
    const id = job.sessionId;
    // Not queued any more: deleted, finished, or another worker has it (a job delivered twice).
    if (!(await claimSession(db, id))) return;
    const controller = new AbortController();
    running.set(id, controller);
    let last: LiveState = { ...QUEUED_STATE, status: 'processing', phase: 'reading', worker: self };
    await publish({ k: 'progress', id, s: last });
    let lastSent = Date.now();
    const onProgress = (p: IngestProgress) => {
      const s = liveStateOf(p, self);
      const now = Date.now();
      if (s.phase === last.phase && now - lastSent < PROGRESS_EVERY_MS) return;
      last = s;
      lastSent = now;
      void publish({ k: 'progress', id, s });
    };
    // Set once the ingest has ended: a renewal answered after that finds the session finished.
    let ended = false;
    const beat = setInterval(
      () => {
        renewSessionLease(db, id).then(
          (held) => {
            if (!held && !ended && !controller.signal.aborted) o.onLeaseLost(id);
          },
          () => undefined, // the database is away: the presence lock decides meanwhile
        );
      },
      Math.max(500, (o.leaseSeconds * 1000) / 5),
    );
    const tmp = mkdtempSync(join(tmpdir(), 'flowlens-worker-'));
    let completed = false;
    try {
      const local = await o.store.localFile(job.key, tmp, controller.signal);
      try {
        await ingestCapture(db, local.path, {
          sessionId: id,
          fileName: job.fileName,
          name: job.fileName,
          // The store's own file, or an object in S3 read back by ranges: a copy Flowlens keeps either way.
          keptCopy: true,
          captureRef: local.lasting ? undefined : { path: local.ref, mtimeMs: local.mtimeMs },
          settings: job.settings,
          baselineSessionId: job.baseline,
          signal: controller.signal,
          onProgress,
        });
        completed = true;
      } finally {
        local.release();
      }
    } catch (err) {
      const reason = controller.signal.aborted
        ? String((controller.signal.reason as Error)?.message ?? 'cancelled')
        : (err as Error).message;
      // The ingest marks its session failed itself; a failure before it (the store) is marked here.
      await failSession(db, id, reason).catch((e: Error) => o.log(`session ${id}: ${e.message}`));
      o.log(`session ${id} failed: ${reason}`);
    } finally {
      ended = true;
      clearInterval(beat);
      running.delete(id);
      rmSync(tmp, { recursive: true, force: true });
      if (completed) o.log(`session ${id} completed`);
      await publish({ k: 'end', id });
    }
    if (completed) {
      // After the end: the session answers already; its flows answer faster once indexed.
      await indexSessionFlows(db, id).catch((err: Error) => {
        if (!/does not exist/.test(err.message))
          o.log(`session ${id}: indexing flows failed: ${err.message}`);
      });
    }
  }

  /** Sessions whose worker was lost go back to the queue (pg-boss retries their job), or fail. */
  async function reap(): Promise<void> {
    for (const lost of await sessionsWithLostLease(db, o.leaseSeconds)) {
      if (!(await requeueSession(db, lost))) continue;
      const id = lost.sessionId;
      await jobs.fail(INGEST_QUEUE, id, { reason: 'its worker was lost' }).catch(() => undefined);
      const job = await jobs.getJobById(INGEST_QUEUE, id).catch(() => null);
      if (job === null || job.state === 'failed') {
        const why =
          job === null
            ? 'interrupted: its worker was lost and its job is gone'
            : `interrupted: its worker was lost ${INGEST_RETRIES + 1} times`;
        await failSession(db, id, why).catch(() => undefined);
        o.log(`session ${id} failed: ${why}`);
        await publish({ k: 'end', id });
      } else {
        o.log(`session ${id}: its worker was lost; queued again`);
        await publish({ k: 'progress', id, s: QUEUED_STATE });
        await publish({ k: 'job' });
      }
    }
  }
  let reaping = Promise.resolve();
  const reaper = setInterval(
    () => {
      reaping = reaping.then(reap).catch((err: Error) => o.log(`lease check: ${err.message}`));
    },
    Math.min(2000, (o.leaseSeconds * 1000) / 3),
  );

  for (let i = 0; i < o.concurrency; i++) {
    workIds.push(
      await jobs.work<IngestJob>(INGEST_QUEUE, { batchSize: 1, pollingIntervalSeconds: 2 }, async ([job]) => {
        if (closing || !job) return;
        await run(job.data);
      }),
    );
  }
  // The first reap at once: sessions a worker of a stopped deployment left.
  reaping = reap().catch((err: Error) => o.log(`lease check: ${err.message}`));

  return {
    db,
    async close() {
      closing = true;
      clearInterval(reaper);
      for (const id of workIds) await jobs.offWork(id).catch(() => undefined);
      // Running ingests may finish (the caller bounds the wait: a process that exits loses its
      // leases, and another worker redoes its sessions from the start).
      while (running.size > 0) await new Promise((r) => setTimeout(r, 100));
      await jobs.stop({ graceful: false, wait: false }).catch(() => undefined);
      await reaping;
      await indexing;
      await channel.close();
      await db.close();
    },
  };
}
