export { type Address, parseAddress } from './address.js';
export { CaptureChangedError, OutputClosedError, SelectionError } from './errors.js';
export {
  buildPacketIndex,
  type CaptureIdentity,
  type ExtractOptions,
  type ExtractResult,
  extractPackets,
  outputFormat,
  outputPlan,
  type StoredCaptureSource,
} from './extract.js';
export { type FlowRef, flowRefOf, parseProtocol } from './flows.js';
export { type OutputFormat, type OutputPlan, PacketOutput } from './output.js';
export { type CompiledSelection, compileSelection, PacketFilter, type Selection } from './selection.js';
export { parseTimestamp, type TimeBound, type TimeRange, type Timestamp } from './time.js';
