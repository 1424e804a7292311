import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type PgBoss from 'pg-boss';
import { ClusterChannel, openJobs } from '../cluster/index.js';
import { demoName, writeDemoCapture } from '../generate/index.js';
import { capturesFolder, type Retention } from '../packets/index.js';
import { type Db, isPostgresUrl, openStore } from '../storage/index.js';
import { type CaptureStore, openCaptureStore } from '../store/index.js';
import { buildApp } from './app.js';
import { isLoopback } from './auth.js';
import type { ServerOptions } from './context.js';
import { warmUp } from './warm-up.js';

export interface StartOptions {
  host: string;
  port: number;
  /** A PGlite folder or a postgres:// URL. */
  dbTarget: string;
  uploadsDir?: string;
  token: string | null;
  maxUploadBytes: number;
  concurrency: number;
  /** `s3://BUCKET/PREFIX` or a folder for uploads (default: the uploads folder). */
  store?: string;
  /**
   * 0: an API node of a deployment with workers (`flowlens worker`): uploads become jobs in the
   * PostgreSQL queue. Absent: ingests run in this process.
   */
  workers?: 0;
  writeDemoCapture?: ServerOptions['writeDemoCapture'];
  /** Names the Host header may carry beyond the loopback names and the listen address. */
  hostNames?: string[];
  /** Listen on a non-loopback address without a token (warned about on every start). */
  insecureNoToken?: boolean;
  /** Body idle timeout and caps on uploads and connections (limits.ts). */
  limits?: ServerOptions['limits'];
  /** Where warnings go (stderr when absent). */
  log?: (line: string) => void;
  /** `--keep-captures`: retention of the kept captures, applied at start and after each analysis. */
  retention?: Retention | null;
}

export interface RunningServer {
  url: string;
  db: Db;
  store: CaptureStore;
  close(): Promise<void>;
}

/** The built dashboard: `dist/web` of the package, found from this module's place in src or dist. */
export function defaultWebDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'web');
    dir = dirname(dir);
  }
  return join(process.cwd(), 'dist', 'web');
}

/** Uploads sit beside an embedded database (`<folder>.uploads`), else in the user's data folder. */
export function defaultUploadsDir(dbTarget: string): string {
  // The same folder as `analyze --keep` copies: one place for the kept captures.
  return capturesFolder(dbTarget);
}

export class ListenError extends Error {
  override name = 'ListenError';
}

/** The labelled demo capture (src/generate), named after what it holds. */
async function writeNamedDemo(path: string, signal: AbortSignal): Promise<{ name: string }> {
  return { name: demoName(await writeDemoCapture(path, signal)) };
}

/** Opens the database, starts the server and returns once it listens. */
export async function startServer(o: StartOptions): Promise<RunningServer> {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (!isLoopback(o.host) && o.token === null) {
    // Without a token every page, upload and delete would be open to the whole network.
    if (!o.insecureNoToken)
      throw new ListenError(
        `refusing to listen on ${o.host} without a token: anyone on the network could read and delete every session. Set FLOWLENS_TOKEN (or --token), listen on 127.0.0.1, or pass --insecure-no-token to accept the risk`,
      );
    log(
      `warning: listening on ${o.host} without a token (--insecure-no-token): anyone who can reach this address can read, upload and delete sessions`,
    );
  }
  const clustered = o.workers === 0;
  if (clustered && !isPostgresUrl(o.dbTarget))
    throw new ListenError('--workers 0 needs PostgreSQL (--db postgres://…): workers share its job queue');
  const uploadsDir = o.uploadsDir ?? defaultUploadsDir(o.dbTarget);
  // The database first: its errors (a data folder that cannot be made) are the ones to show.
  const db = await openStore(o.dbTarget, { pgliteThread: true, cluster: clustered });
  let store: CaptureStore;
  try {
    store = openCaptureStore(o.store ?? uploadsDir);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  let cluster: { channel: ClusterChannel; jobs: PgBoss } | undefined;
  if (clustered) {
    const channel = new ClusterChannel(o.dbTarget);
    try {
      await channel.start();
      cluster = { channel, jobs: await openJobs(o.dbTarget, (err) => o.log?.(`job queue: ${err.message}`)) };
    } catch (err) {
      await channel.close();
      await db.close();
      throw err;
    }
  }
  const { app } = await buildApp({
    db,
    store,
    cluster,
    uploadsDir,
    webDir: defaultWebDir(),
    token: o.token,
    maxUploadBytes: o.maxUploadBytes,
    concurrency: o.concurrency,
    host: o.host,
    hostNames: o.hostNames,
    limits: o.limits,
    writeDemoCapture: o.writeDemoCapture ?? writeNamedDemo,
    retention: o.retention ?? null,
  });
  try {
    await app.listen({ host: o.host, port: o.port });
  } catch (err) {
    await app.close().catch(() => undefined);
    await closeCluster(cluster);
    await db.close().catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new ListenError(`port ${o.port} on ${o.host} is in use: choose another with --port`);
    if (code === 'EADDRNOTAVAIL') throw new ListenError(`${o.host} is not an address of this machine`);
    if (code === 'EACCES') throw new ListenError(`not allowed to listen on port ${o.port}`);
    throw err;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : o.port;
  const shownHost = o.host.includes(':') ? `[${o.host}]` : o.host;
  // The first page after a start would otherwise pay for the database's first reads.
  const warming = warmUp(db).catch(() => undefined);
  let closing: Promise<void> | null = null;
  return {
    url: `http://${shownHost}:${port}/`,
    db,
    store,
    close: () =>
      (closing ??= (async () => {
        await app.close();
        await warming;
        await closeCluster(cluster);
        await store.close();
        await db.close();
      })()),
  };
}

async function closeCluster(cluster: { channel: ClusterChannel; jobs: PgBoss } | undefined): Promise<void> {
  if (!cluster) return;
  await cluster.jobs.stop({ graceful: false, wait: false }).catch(() => undefined);
  await cluster.channel.close();
}
