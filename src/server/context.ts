import type PgBoss from 'pg-boss';
import type { ClusterChannel } from '../cluster/index.js';
import { packetsState, type Retention } from '../packets/index.js';
import type { Db, SessionRow } from '../storage/index.js';
import type { CaptureStore } from '../store/index.js';
import type { AnswerCache } from './answer-cache.js';
import type { ClusterQueue } from './cluster-queue.js';
import type { FlowIndexer } from './indexer.js';
import type { Limits } from './limits.js';
import type { FailedLogins, Logins } from './logins.js';
import type { IngestQueue, LiveState, SessionQueue } from './queue.js';

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
  /** Retention of the kept captures (`--keep-captures`): applied at start and after each analysis. */
  retention?: Retention | null;
  /** Body idle timeout and caps on uploads and connections (limits.ts; defaults there). */
  limits?: Partial<Limits>;
  /** Where a failed request's cause is written (stderr when absent). */
  logError?: (line: string) => void;
  /** Memory for answers kept about completed sessions (answer-cache.ts); 0 keeps none. */
  answerCacheBytes?: number;
  /** Where uploads are kept (src/store); a folder store on `uploadsDir` when absent. */
  store?: CaptureStore;
  /**
   * An API node of a deployment with workers (`serve --workers 0`): uploads become jobs in this
   * PostgreSQL queue, and the workers' progress comes over the channel. Ingests run here otherwise.
   */
  cluster?: { channel: ClusterChannel; jobs: PgBoss };
}

export interface ServerContext {
  options: ServerOptions;
  db: Db;
  queue: SessionQueue;
  /** Where uploaded captures are kept. */
  store: CaptureStore;
  /** `queue` when ingests run in this process; null on an API node of a deployment with workers. */
  local: IngestQueue | null;
  /** `queue` on an API node of a deployment with workers; null otherwise. */
  cluster: ClusterQueue | null;
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
  /** Whether its packets can be extracted now, and why not (packets.ts `packetsState`). */
  packets_available: boolean;
  packets_note: string | null;
  /** Disk its kept capture copy uses (0 for a CLI user's own file, or once freed). */
  kept_capture_bytes: number;
}

export function sessionView(row: SessionRow, live: LiveState | undefined, failure?: string): SessionView {
  const view = sessionViewOf(row, live, failure);
  const p = packetsState(view);
  return { ...view, packets_available: p.available, packets_note: p.note, kept_capture_bytes: p.keptBytes };
}

function sessionViewOf(
  row: SessionRow,
  live: LiveState | undefined,
  failure?: string,
): Omit<SessionView, 'packets_available' | 'packets_note' | 'kept_capture_bytes'> {
  if (live)
    return {
      ...row,
      status: live.status,
      phase: live.phase,
      progress: live.progress,
      worker: live.status === 'processing' ? (live.worker ?? row.worker) : null,
    };
  if (failure !== undefined && (row.status === 'processing' || row.status === 'queued'))
    return { ...row, status: 'failed', phase: 'failed', error: failure, worker: null };
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
