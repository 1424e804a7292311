import { closeSync, openSync, writeSync } from 'node:fs';

export interface PcapWriterOptions {
  linkType: number;
  /** Write the nanosecond-resolution magic (a1b23c4d) instead of microseconds. */
  nanosecond?: boolean;
  snaplen?: number;
  /** Size of the write buffer; records are copied into it and flushed in one write. */
  bufferSize?: number;
}

/**
 * Writes a little-endian pcap file through one reused buffer. Used by the benchmark and demo
 * capture generators and by tests that need captures with known contents.
 */
export class PcapWriter {
  private readonly fd: number;
  private readonly buf: Buffer;
  private len = 0;
  private readonly nanosecond: boolean;
  records = 0;
  bytesWritten = 0;

  constructor(path: string, options: PcapWriterOptions) {
    this.fd = openSync(path, 'w');
    this.buf = Buffer.allocUnsafe(Math.max(options.bufferSize ?? 1 << 20, 1 << 16));
    this.nanosecond = options.nanosecond ?? false;
    this.append(pcapHeader(options));
  }

  /** Appends one record; `origLen` defaults to the data length (no snaplen cut). */
  write(tsSec: number, tsNsec: number, data: Uint8Array, origLen = data.length): void {
    if (this.len + 16 + data.length > this.buf.length) this.flush();
    if (16 + data.length > this.buf.length) {
      this.append(recordHeader(tsSec, tsNsec, data.length, origLen, this.nanosecond));
      this.append(data);
    } else {
      writeRecordHeader(this.buf, this.len, tsSec, tsNsec, data.length, origLen, this.nanosecond);
      this.buf.set(data, this.len + 16);
      this.len += 16 + data.length;
    }
    this.records++;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }

  private append(bytes: Uint8Array): void {
    this.flush();
    writeSync(this.fd, bytes);
    this.bytesWritten += bytes.length;
  }

  private flush(): void {
    if (this.len === 0) return;
    writeSync(this.fd, this.buf, 0, this.len);
    this.bytesWritten += this.len;
    this.len = 0;
  }
}

export function pcapHeader(options: PcapWriterOptions): Buffer {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(options.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(options.snaplen ?? 262144, 16);
  h.writeUInt32LE(options.linkType, 20);
  return h;
}

export function recordHeader(
  tsSec: number,
  tsNsec: number,
  capLen: number,
  origLen: number,
  nanosecond = false,
): Buffer {
  const h = Buffer.alloc(16);
  writeRecordHeader(h, 0, tsSec, tsNsec, capLen, origLen, nanosecond);
  return h;
}

/** Writes a little-endian pcap record header at b[p] (16 bytes). */
export function writeRecordHeader(
  b: Buffer,
  p: number,
  tsSec: number,
  tsNsec: number,
  capLen: number,
  origLen: number,
  nanosecond: boolean,
): void {
  b.writeUInt32LE(tsSec >>> 0, p);
  b.writeUInt32LE(nanosecond ? tsNsec : Math.floor(tsNsec / 1000), p + 4);
  b.writeUInt32LE(capLen, p + 8);
  b.writeUInt32LE(origLen, p + 12);
}
