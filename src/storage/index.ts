export * from './columns.js';
export { COPY_HEADER, COPY_TRAILER } from './db/copy-binary.js';
export { type BinaryCopy, type Db, DbError, PRESENCE_LOCK } from './db/db.js';
export { type OpenOptions, openDb } from './db/open.js';
export { defaultDbDir, isForeignUrl, isPostgresUrl } from './db/target.js';
export { type ExportFormat, formatFlows } from './export.js';
export {
  deleteIntelList,
  type IntelListRow,
  listIntelLists,
  saveIntelList,
  storedIntelEntries,
} from './intel.js';
export { MIGRATIONS, migrate } from './migrations/index.js';
export { type AnomalyRecord, getAnomalies, getInsights, type InsightRecord } from './read/detection.js';
export {
  FLOW_PROTOCOLS,
  FLOW_SORTS,
  type FlowPage,
  type FlowProtocol,
  type FlowQuery,
  type FlowRow,
  type FlowSort,
  getFlows,
  sessionFlows,
} from './read/flows.js';
export {
  getHostGeo,
  getRemoteSummary,
  type HostGeoRecord,
  type RemoteGroup,
  type RemoteSummary,
} from './read/geo.js';
export {
  getPorts,
  getTopTalkers,
  type PortRecord,
  type TalkerDirection,
  type TalkerRecord,
} from './read/rankings.js';
export { getWindows, WINDOW_FIELDS, type WindowRecord } from './read/windows.js';
export { SESSION_ID_PATTERN } from './session-id.js';
export {
  attachSessionFlows,
  baselineFeatures,
  childRowCounts,
  completeSession,
  createSession,
  deleteSession,
  dropSessionFlows,
  failAbandonedSessions,
  failSession,
  getSession,
  getSessionSummary,
  getSummaryPart,
  holdSessionForLoad,
  indexSessionFlows,
  type LoadFacts,
  listSessions,
  type NewSession,
  nextFlowIdBlock,
  rewindowFlows,
  type SessionRow,
  type StoredSummary,
  sessionFlowTable,
  sessionLocalNets,
  sessionsToIndex,
  startSession,
  within,
} from './sessions.js';
export { openStore } from './store.js';
