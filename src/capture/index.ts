export { linkTypeName } from './link-types.js';
export {
  blockEnd,
  blockEndRecord,
  blockPrelude,
  INDEX_BLOCK_BYTES,
  INDEX_BLOCK_RECORDS,
  type IndexBlocks,
  type IndexInterface,
  type IndexSection,
  type PacketIndex,
  PacketIndexBuilder,
  PacketIndexError,
  parsePacketIndex,
  serializePacketIndex,
} from './packet-index.js';
export { DEFAULT_MAX_RECORD, HARD_MAX_RECORD } from './parser.js';
export {
  type CaptureRange,
  openCapture,
  type PositionalReader,
  type ReadOptions,
  type ReadProgress,
  readCapture,
  readCaptureRanges,
} from './read.js';
export {
  type CaptureFormat,
  CaptureFormatError,
  type CaptureInfo,
  CaptureRecord,
  formatTimestamp,
} from './record.js';
export { PcapWriter, type PcapWriterOptions, pcapHeader, recordHeader, writeRecordHeader } from './writer.js';
