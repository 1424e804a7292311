import type { Db, SessionRow } from '../storage/index.js';
import type { AnswerCache } from './answer-cache.js';
import type { FlowIndexer } from './indexer.js';
import type { Limits } from './limits.js';
import type { FailedLogins, Logins } from './logins.js';
import type { IngestQueue, LiveState } from './queue.js';

export interface ServerOptions {
  /** Where the API's database lives (already opened and migrated). */
  db: Db;
  /** Folder for uploaded captures, kept under generated names. */
  uploadsDir: string;
  /** The built single-page app (index.html and assets), or null to serve the API alone. */
  webDir: string | null;
  /** With a token, every API call and page needs it. */
  token: string | null;
  /** Largest upload accepted, in bytes. */
  maxUploadBytes: number;
  /** Ingests that run at once; the rest wait. */
  concurrency: number;
  /** The address the server listens on: on loopback, only loopback Host headers are answered. */
  host: string;
  /** Further names the Host header may carry (a DNS name or proxy name of this machine). */
  hostNames?: string[];
  /**
   * Writes the demo capture to `path` and names it (see src/generate); without it POST /api/demo
   * is absent.
   */
  writeDemoCapture?: (path: string, signal: AbortSignal) => Promise<{ name: string }>;
  /** Body idle timeout and caps on uploads and connections (limits.ts; defaults there). */
  limits?: Partial<Limits>;
  /** Where a failed request's cause is written (stderr when absent). */
  logError?: (line: string) => void;
  /** Memory for answers kept about completed sessions (answer-cache.ts); 0 keeps none. */
  answerCacheBytes?: number;
}

export interface ServerContext {
  options: ServerOptions;
  db: Db;
  queue: IngestQueue;
  indexer: FlowIndexer;
  answers: AnswerCache;
  /**
   * Why sessions failed when the database could not be told (a full disk refuses even that
   * update): the API shows them failed with the reason until the database agrees, at the latest
   * on the next start, which marks them failed as interrupted.
   */
  failures: Map<string, string>;
  /** Dashboard logins (null without a token) and the brake on wrong tokens. */
  logins: Logins | null;
  failedLogins: FailedLogins;
}

export type Phase = LiveState['phase'] | 'failed';

/** A session as the API shows it: the stored row with the live phase and progress of its ingest. */
export interface SessionView extends SessionRow {
  phase: Phase;
}

export function sessionView(row: SessionRow, live: LiveState | undefined, failure?: string): SessionView {
  if (live) return { ...row, status: live.status, phase: live.phase, progress: live.progress };
  if (failure !== undefined && (row.status === 'processing' || row.status === 'queued'))
    return { ...row, status: 'failed', phase: 'failed', error: failure };
  const phase: Phase =
    row.status === 'completed'
      ? 'done'
      : row.status === 'failed'
        ? 'failed'
        : row.status === 'queued'
          ? 'queued'
          : 'reading';
  return { ...row, phase, progress: row.status === 'completed' ? 1 : row.progress };
}

declare module 'fastify' {
  // Documentation keywords on route schemas, read into the OpenAPI document.
  interface FastifySchema {
    summary?: string;
    consumes?: string[];
    produces?: string[];
  }
}
