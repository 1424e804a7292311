export { linkTypeName } from './link-types.js';
export { DEFAULT_MAX_RECORD, HARD_MAX_RECORD } from './parser.js';
export { type ReadOptions, type ReadProgress, readCapture } from './read.js';
export {
  type CaptureFormat,
  CaptureFormatError,
  type CaptureInfo,
  CaptureRecord,
  formatTimestamp,
} from './record.js';
export { PcapWriter, type PcapWriterOptions, pcapHeader, recordHeader } from './writer.js';
