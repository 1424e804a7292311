import { parseArgs } from 'node:util';
import { parseRetention } from '../../packets/index.js';
import { ListenError, type RunningServer, startServer } from '../../server/index.js';
import { DbError } from '../../storage/db/db.js';
import { isPostgresUrl } from '../../storage/index.js';
import { openCaptureStore, StoreError } from '../../store/index.js';
import { DB_OPTION, dbTarget, UsageError } from '../args.js';
import { type CliIo, type ErrorLine, EXIT_OK } from '../io.js';

/** `flowlens serve`: the dashboard and the HTTP API until SIGINT or SIGTERM. */
export async function run(args: string[], io: CliIo, _err: ErrorLine): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: false,
    options: {
      ...DB_OPTION,
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8080' },
      token: { type: 'string' },
      'max-upload': { type: 'string', default: '4GB' },
      concurrency: { type: 'string', default: '1' },
      uploads: { type: 'string' },
      store: { type: 'string' },
      workers: { type: 'string' },
      'keep-captures': { type: 'string' },
      'host-name': { type: 'string', multiple: true },
      'body-timeout': { type: 'string', default: '30' },
      'max-uploads': { type: 'string', default: '4' },
      'max-connections': { type: 'string', default: '256' },
      'insecure-no-token': { type: 'boolean', default: false },
    },
  });
  void positionals;
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port ?? '') || port > 65535)
    throw new UsageError(`--port must be 0 to 65535, not '${values.port}'`);
  const concurrency = Number(values.concurrency);
  if (!/^\d+$/.test(values.concurrency ?? '') || concurrency < 1 || concurrency > 16)
    throw new UsageError(`--concurrency must be 1 to 16, not '${values.concurrency}'`);
  if (values.workers !== undefined && values.workers !== '0')
    throw new UsageError(
      `--workers takes 0 (this node queues analyses for 'flowlens worker' processes), not '${values.workers}'; --concurrency sets analyses run here`,
    );
  const target = dbTarget(values.db);
  if (values.workers === '0' && !isPostgresUrl(target))
    throw new UsageError(
      '--workers 0 needs PostgreSQL (--db postgres://…): the embedded database serves one process',
    );
  if (values.store !== undefined) {
    try {
      openCaptureStore(values.store);
    } catch (e) {
      if (e instanceof StoreError) throw new UsageError(e.message);
      throw e;
    }
  }
  const limits = {
    bodyIdleTimeoutMs: whole(values['body-timeout'], 'body-timeout', 1, 3600) * 1000,
    maxUploads: whole(values['max-uploads'], 'max-uploads', 1, 1000),
    maxConnections: whole(values['max-connections'], 'max-connections', 1, 100_000),
  };
  const maxUploadBytes = parseSize(values['max-upload'] ?? '4GB');
  const retention = values['keep-captures'] === undefined ? null : parseRetention(values['keep-captures']);
  if (values['keep-captures'] !== undefined && retention === null)
    throw new UsageError(
      `--keep-captures takes days (30, 30d) or a size (20GB), not '${values['keep-captures']}'`,
    );
  const token = values.token ?? process.env.FLOWLENS_TOKEN ?? null;
  if (token !== null && token.length < 8) throw new UsageError('the token must have at least 8 characters');
  let server: RunningServer;
  try {
    server = await startServer({
      host: values.host ?? '127.0.0.1',
      port,
      dbTarget: target,
      uploadsDir: values.uploads,
      store: values.store,
      workers: values.workers === '0' ? 0 : undefined,
      token,
      maxUploadBytes,
      concurrency,
      retention,
      hostNames: (values['host-name'] ?? []).flatMap((n) => n.split(',')).filter((n) => n !== ''),
      insecureNoToken: values['insecure-no-token'],
      limits,
      log: (line) => io.stderr.write(`flowlens: ${line}\n`),
    });
  } catch (e) {
    if (e instanceof ListenError || e instanceof StoreError) throw new DbError(e.message);
    throw e;
  }
  io.stdout.write(
    `Flowlens dashboard on ${server.url} (database: ${server.db.location}; store: ${server.store.location}${values.workers === '0' ? '; analyses by workers' : ''}${token ? '; token required' : ''})\n`,
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
  io.stdout.write('stopping: cancelling running analyses\n');
  await server.close();
  return EXIT_OK;
}

/** A whole number from lo to hi, or a usage error naming the option. */
function whole(text: string | undefined, option: string, lo: number, hi: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text ?? '') || n < lo || n > hi)
    throw new UsageError(`--${option} must be ${lo} to ${hi}, not '${text}'`);
  return n;
}

function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|kB|KB|MB|GB|TB)?$/i.exec(text.trim());
  const unit = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12 }[(m?.[2] ?? 'b').toLowerCase() as 'b'];
  const n = m ? Math.round(Number(m[1]) * unit) : Number.NaN;
  if (!(n >= 1024)) throw new UsageError(`--max-upload must be a size such as 500MB or 4GB, not '${text}'`);
  return n;
}
