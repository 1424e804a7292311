export {
  type AlertSelectRow,
  type CaptureRef,
  type CaptureSource,
  type FlowSelectRow,
  getAlertForSelection,
  getCaptureSource,
  getFlowForSelection,
  getFlowsForSelection,
  getPacketIndexBytes,
  getWindowSpan,
  type KeptCapture,
  keptCaptures,
  markCaptureFreed,
  recordCapture,
} from './captures.js';
export * from './columns.js';
export { COPY_HEADER, COPY_TRAILER } from './db/copy-binary.js';
export { type BinaryCopy, type Db, DbError, PRESENCE_LOCK } from './db/db.js';
export { type OpenOptions, openDb } from './db/open.js';
export { defaultDbDir, isForeignUrl, isPostgresUrl } from './db/target.js';
export { type ExportFormat, formatFlows } from './export.js';
export { formatLogs, type LogExportFormat, ZEEK_LOG_PATH } from './export-logs.js';
export {
  deleteIntelList,
  type IntelListRow,
  listIntelLists,
  saveIntelList,
  storedIntelEntries,
} from './intel.js';
export { createLogin, deleteLogin, loginSecondsLeft } from './logins.js';
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
  getLogs,
  LOG_COUNT_CAP,
  LOG_KINDS,
  LOG_SORTS,
  type LogKind,
  type LogPage,
  type LogQuery,
  type LogSort,
  likePattern,
  sessionLogs,
} from './read/logs.js';
export {
  getPorts,
  getTopTalkers,
  type PortRecord,
  type TalkerDirection,
  type TalkerRecord,
} from './read/rankings.js';
export {
  type SearchAnswer,
  type SearchGroup,
  type SearchHit,
  type SearchOptions,
  SearchRequestError,
  searchAllHits,
  searchFlows,
  searchQuery,
  searchRegistry,
} from './read/search.js';
export { getWindows, WINDOW_FIELDS, type WindowRecord } from './read/windows.js';
export { SESSION_ID_PATTERN } from './session-id.js';
export {
  attachSessionFlows,
  baselineFeatures,
  cancelQueuedSession,
  childRowCounts,
  claimSession,
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
  type LostLease,
  listSessions,
  type NewSession,
  nextFlowIdBlock,
  renewSessionLease,
  requeueSession,
  rewindowFlows,
  type SessionRow,
  type StoredSummary,
  sessionFlowTable,
  sessionLocalNets,
  sessionsToIndex,
  sessionsWithLostLease,
  startSession,
  unfinishedSessions,
  within,
} from './sessions.js';
export { openStore, type StoreOpenOptions } from './store.js';
