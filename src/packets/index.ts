export {
  applyRetention,
  type CaptureFacts,
  captureChange,
  capturesFolder,
  type Freed,
  keepCaptureCopy,
  keptCaptureBytes,
  keptCapturePath,
  type PacketsState,
  packetsState,
  parseRetention,
  type Retention,
  removeKeptCopy,
} from './capture.js';
export { PacketsError } from './errors.js';
export {
  CaptureChangedError,
  MAX_FILTER_FLOWS,
  type PacketPlan,
  type PacketRequest,
  planSessionPackets,
  writePlannedPackets,
} from './session-packets.js';
