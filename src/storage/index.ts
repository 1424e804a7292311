import { hostname } from 'node:os';
import { type Db, type OpenOptions, openDb } from './db.js';
import { migrate } from './migrations.js';
import { failAbandonedSessions } from './queries.js';

export {
  type Db,
  DbError,
  defaultDbDir,
  isForeignUrl,
  isPostgresUrl,
  type OpenOptions,
  openDb,
  PRESENCE_LOCK,
} from './db.js';
export { type ExportFormat, formatFlows } from './export.js';
export {
  createSession,
  csvField,
  type IngestOptions,
  type IngestPhase,
  type IngestProgress,
  type IngestResult,
  ingestCapture,
  type NewSession,
  type StoredSummary,
} from './ingest.js';
export { MIGRATIONS, migrate } from './migrations.js';
export {
  childRowCounts,
  deleteSession,
  type FlowRow,
  failAbandonedSessions,
  failSession,
  getSession,
  getSessionSummary,
  getSummaryPart,
  indexSessionFlows,
  listSessions,
  type SessionRow,
  sessionFlows,
  sessionLocalNets,
  sessionsToIndex,
} from './queries.js';
export { type AnomalyRecord, getAnomalies, getInsights, type InsightRecord } from './read/detection.js';
export {
  FLOW_PROTOCOLS,
  FLOW_SORTS,
  type FlowPage,
  type FlowProtocol,
  type FlowQuery,
  type FlowSort,
  getFlows,
} from './read/flows.js';
export {
  getPorts,
  getTopTalkers,
  type PortRecord,
  type TalkerDirection,
  type TalkerRecord,
} from './read/rankings.js';
export { getWindows, WINDOW_FIELDS, type WindowRecord } from './read/windows.js';
export { SESSION_ID_PATTERN } from './session-id.js';

/** Opens the database, brings the schema up to date and fails sessions a dead process left behind. */
export async function openStore(target: string, options: OpenOptions = {}): Promise<Db> {
  const db = await openDb(target, options);
  try {
    await migrate(db);
    await failAbandonedSessions(db, hostname(), (pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'EPERM';
      }
    });
    return db;
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}
