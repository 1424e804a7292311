import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoName, writeDemoCapture } from '../generate/index.js';
import { type Db, isPostgresUrl, openStore } from '../storage/index.js';
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
  writeDemoCapture?: ServerOptions['writeDemoCapture'];
  /** Names the Host header may carry beyond the loopback names and the listen address. */
  hostNames?: string[];
  /** Listen on a non-loopback address without a token (warned about on every start). */
  insecureNoToken?: boolean;
  /** Body idle timeout and caps on uploads and connections (limits.ts). */
  limits?: ServerOptions['limits'];
  /** Where warnings go (stderr when absent). */
  log?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  db: Db;
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
  if (!isPostgresUrl(dbTarget)) return `${resolve(dbTarget)}.uploads`;
  const base = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(base, 'flowlens', 'uploads');
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
  const db = await openStore(o.dbTarget, { pgliteThread: true });
  const { app } = await buildApp({
    db,
    uploadsDir: o.uploadsDir ?? defaultUploadsDir(o.dbTarget),
    webDir: defaultWebDir(),
    token: o.token,
    maxUploadBytes: o.maxUploadBytes,
    concurrency: o.concurrency,
    host: o.host,
    hostNames: o.hostNames,
    limits: o.limits,
    writeDemoCapture: o.writeDemoCapture ?? writeNamedDemo,
  });
  try {
    await app.listen({ host: o.host, port: o.port });
  } catch (err) {
    await app.close().catch(() => undefined);
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
    close: () =>
      (closing ??= (async () => {
        await app.close();
        await warming;
        await db.close();
      })()),
  };
}
