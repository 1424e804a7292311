import { parseArgs } from 'node:util';
import { startWorker } from '../../cluster/index.js';
import { DbError } from '../../storage/db/db.js';
import { isPostgresUrl } from '../../storage/index.js';
import { openCaptureStore, StoreError } from '../../store/index.js';
import { DB_OPTION, dbTarget, UsageError } from '../args.js';
import { type CliIo, type ErrorLine, EXIT_OK } from '../io.js';

/** A stopping worker lets running ingests finish this long; past it they are redone elsewhere. */
const STOP_GRACE_MS = 30_000;

/** `flowlens worker`: takes ingest jobs from the PostgreSQL queue until SIGINT or SIGTERM. */
export async function run(args: string[], io: CliIo, _err: ErrorLine): Promise<number> {
  const { values } = parseArgs({
    args,
    allowPositionals: false,
    options: {
      ...DB_OPTION,
      store: { type: 'string' },
      concurrency: { type: 'string', default: '1' },
      lease: { type: 'string', default: '30' },
    },
  });
  const db = dbTarget(values.db);
  if (!isPostgresUrl(db))
    throw new UsageError(
      'workers need PostgreSQL (--db postgres://…): the embedded database serves one process',
    );
  if (!values.store)
    throw new UsageError('--store is needed: the folder or s3://BUCKET/PREFIX the API nodes upload to');
  const concurrency = Number(values.concurrency);
  if (!/^\d+$/.test(values.concurrency ?? '') || concurrency < 1 || concurrency > 16)
    throw new UsageError(`--concurrency must be 1 to 16, not '${values.concurrency}'`);
  const lease = Number(values.lease);
  if (!/^\d+$/.test(values.lease ?? '') || lease < 3 || lease > 3600)
    throw new UsageError(`--lease must be 3 to 3600 seconds, not '${values.lease}'`);
  let store: ReturnType<typeof openCaptureStore>;
  try {
    store = openCaptureStore(values.store);
  } catch (e) {
    if (e instanceof StoreError) throw new UsageError(e.message);
    throw e;
  }
  const log = (line: string) => io.stdout.write(`${new Date().toISOString()} ${line}\n`);
  const worker = await startWorker({
    dbUrl: db,
    store,
    concurrency,
    leaseSeconds: lease,
    log,
    onLeaseLost: (id) => {
      // Another worker redoes the session from the start; this one must not touch it again.
      io.stderr.write(`flowlens: lost the lease of session ${id}: stopping at once\n`);
      process.exit(75);
    },
  }).catch((e: Error) => {
    if (e instanceof StoreError) throw new DbError(e.message);
    throw e;
  });
  io.stdout.write(
    `Flowlens worker ${process.pid} taking ingest jobs (database: ${worker.db.location}; store: ${store.location}; ${concurrency} at once)\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  io.stdout.write('stopping: finishing running ingests\n');
  const timer = setTimeout(() => {
    io.stderr.write('flowlens: ingests still running after 30 s: leaving them to other workers\n');
    process.exit(EXIT_OK);
  }, STOP_GRACE_MS);
  timer.unref();
  await worker.close();
  await store.close();
  return EXIT_OK;
}
