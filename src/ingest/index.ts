export { DiskSpaceError } from './disk-space.js';
export { type IngestOptions, type IngestResult, ingestCapture } from './ingest.js';
export { csvField, type Prepared, type PrepareOptions, prepareCapture } from './prepare.js';
export {
  type IngestPhase,
  type IngestProgress,
  type LiveState,
  liveStateOf,
  progressOf,
  QUEUED_STATE,
} from './progress.js';
