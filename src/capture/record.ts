/**
 * One capture record as the reader hands it out. The reader reuses a single instance for every
 * record (no per-packet allocation): copy what you need before the callback returns, and never
 * keep `buf`, which is the reader's working buffer and is overwritten by the next read.
 */
export class CaptureRecord {
  /** Working buffer holding the packet bytes at [offset, offset + capLen). */
  buf: Buffer = Buffer.alloc(0);
  offset = 0;
  capLen = 0;
  /** Length on the wire (pcap orig_len, EPB/SPB original length); tshark's frame.len. */
  origLen = 0;
  /** Whole seconds since the epoch (may exceed 2^32, may be negative with if_tsoffset). */
  tsSec = 0;
  /** Nanoseconds within the second, always 0..999,999,999. */
  tsNsec = 0;
  /** False for pcapng Simple Packet Blocks, which carry no time: ts then repeats the previous record's. */
  hasTimestamp = true;
  linkType = 0;
  interfaceId = 0;
  /** 0-based position of the record among the file's packet records. */
  index = 0;
}

export type CaptureFormat = 'pcap' | 'pcap-ns' | 'pcapng';

/** What the reader learnt about the file, complete once reading has finished. */
export interface CaptureInfo {
  format: CaptureFormat | null;
  compression: 'gzip' | null;
  /** Link types of the interfaces that were declared, in order of first appearance. */
  linkTypes: number[];
  records: number;
  /** Bytes of the (decompressed) capture that were consumed. */
  bytesRead: number;
  /** True when the file ended inside a record or a damaged record stopped the reading. */
  truncated: boolean;
  /** Human-readable, deduplicated problems; reading went on or stopped cleanly after each. */
  warnings: string[];
}

/** A capture that cannot be read at all: not a capture, or a header that is unusable. */
export class CaptureFormatError extends Error {
  override name = 'CaptureFormatError';
}

/** Formats a record timestamp as tshark's frame.time_epoch: seconds with 9 decimals. */
export function formatTimestamp(sec: number, nsec: number): string {
  if (sec < 0 && nsec > 0) {
    // -1 s + 0.25 s is -0.75 s: print the magnitude, not "-1.250000000".
    const total = -(sec + 1);
    return `-${total}.${String(1_000_000_000 - nsec).padStart(9, '0')}`;
  }
  return `${sec}.${String(nsec).padStart(9, '0')}`;
}
