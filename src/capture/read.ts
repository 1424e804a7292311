import { createReadStream } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { PacketIndexBuilder } from './packet-index.js';
import { CaptureParser } from './parser.js';
import { CaptureFormatError, type CaptureInfo, type CaptureRecord } from './record.js';

export interface ReadProgress {
  /** Bytes of the source consumed so far (compressed bytes for gzip input). */
  bytesRead: number;
  /** Size of the source when known (a file), else null. */
  totalBytes: number | null;
  records: number;
}

export interface ReadOptions {
  /** Called after every chunk, from the reading loop: keep it cheap. */
  onProgress?: (progress: ReadProgress) => void;
  signal?: AbortSignal;
  /** Size of each read; the working buffer grows past it only for a larger record. */
  chunkSize?: number;
  /** Name used in messages (defaults to the path). */
  name?: string;
  /** Receives the source's bytes as they are read (compressed bytes for gzip), e.g. to hash them. */
  onBytes?: (bytes: Buffer) => void;
  /** Builds the packet index in this pass; `index.finish(info)` gives it once reading has ended. */
  index?: PacketIndexBuilder;
  /**
   * Called after each chunk's records, before the chunk's buffer is reused; reading waits for it.
   * Records copied out of a chunk must be copied by then (extraction flushes its output here and
   * waits for a slow consumer, so memory stays bounded).
   */
  afterChunk?: () => void | Promise<void>;
}

const DEFAULT_CHUNK = 4 * 1024 * 1024;

/**
 * Reads a pcap or pcapng capture (optionally gzip-compressed) from a file path or a stream, calling
 * `onRecord` for every packet record in file order with one reused record object. Memory stays
 * bounded by the chunk size plus the largest record. Throws CaptureFormatError when the input is not
 * a usable capture; damage later in the file stops reading and is reported in the returned info.
 */
export async function readCapture(
  source: string | Readable,
  onRecord: (rec: CaptureRecord) => void,
  options: ReadOptions = {},
): Promise<CaptureInfo> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
  const name = options.name ?? (typeof source === 'string' ? source : 'stream');
  const parser = new CaptureParser(onRecord, options.index ?? null);
  const feeder = new Feeder(parser, chunkSize);
  try {
    if (typeof source === 'string') await readFile(source, feeder, options);
    else await readStream(source, feeder, options, null);
    return parser.finish();
  } catch (err) {
    if (err instanceof CaptureFormatError) throw new CaptureFormatError(`${name}: ${err.message}`);
    throw err;
  }
}

/** For streams: holds the unread tail of the input in one growable buffer and runs the parser. */
class Feeder {
  work = Buffer.alloc(0);
  len = 0;
  /** Capture offset of work[0]. */
  base = 0;

  constructor(
    readonly parser: CaptureParser,
    private readonly chunkSize: number,
  ) {}

  /** Makes room for at least `n` more bytes after the unread tail. */
  reserve(n: number): void {
    if (this.len + n <= this.work.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.work.length * 2, this.chunkSize, this.len + n));
    this.work.copy(grown, 0, 0, this.len);
    this.work = grown;
  }

  private used = 0;

  /** Parses what is buffered; `compact` then drops what was consumed. */
  run(eof: boolean): void {
    const p = this.parser;
    if (p.stopped) {
      this.used = this.len;
      return;
    }
    this.used = p.parse(this.work, 0, this.len, eof, this.base);
  }

  /** Keeps only the unconsumed tail (the records of the last `run` are overwritten from here on). */
  compact(): void {
    const used = this.used;
    this.used = 0;
    if (used > 0) {
      this.work.copy(this.work, 0, used, this.len);
      this.len -= used;
      this.base += used;
    }
  }
}

/** Room kept in front of each read for the unparsed tail of the previous chunk. */
const HEADROOM = 1 << 20;

async function readFile(path: string, feeder: Feeder, options: ReadOptions): Promise<void> {
  const fh = await openCapture(path);
  let gzip = false;
  let total = 0;
  try {
    total = (await fh.stat()).size;
    // Compressed? Two bytes of magic, read in place whatever the chunk size.
    const magic = Buffer.alloc(2);
    const { bytesRead: m } = await fh.read(magic, 0, 2, 0);
    gzip = m === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
    if (!gzip) await pumpFile(fh, feeder.parser, 0, Number.POSITIVE_INFINITY, total, options);
  } finally {
    await fh.close();
  }
  // Compressed input goes through the stream path, which inflates as it reads.
  const chunk = options.chunkSize ?? DEFAULT_CHUNK;
  if (gzip) await readStream(createReadStream(path, { highWaterMark: chunk }), feeder, options, total);
}

/** Opens a capture file for reading; a failure is a CaptureFormatError saying why in plain words. */
export async function openCapture(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (err) {
    throw new CaptureFormatError(`cannot open: ${describeIoError(err)}`);
  }
}

/**
 * Reads the file's bytes [start, end) into the parser with two buffers taking turns: the next
 * chunk is read into one while the other is parsed, and only the unparsed tail (part of one record)
 * is copied, in front of the new chunk. Reading also stops at the end of the file.
 */
async function pumpFile(
  fh: PositionalReader,
  parser: CaptureParser,
  start: number,
  end: number,
  total: number,
  options: ReadOptions,
): Promise<void> {
  // A short stretch gets buffers its size: extraction reads many of them.
  const chunk = Math.max(1, Math.min(options.chunkSize ?? DEFAULT_CHUNK, end - start));
  let filePos = start; // where the next read starts; moved on when a read completes
  const read = (buf: Buffer, at: number) => {
    const pos = filePos;
    const len = Math.min(chunk, end - pos);
    if (len <= 0) return Promise.resolve({ bytesRead: 0 });
    return fh.read(buf, at, len, pos).then(
      (r) => {
        filePos = pos + r.bytesRead;
        return r;
      },
      (err) => {
        throw new CaptureFormatError(`cannot read: ${describeIoError(err)}`);
      },
    );
  };
  let head = Math.min(HEADROOM, chunk);
  let bufs = [Buffer.allocUnsafe(head + chunk), Buffer.allocUnsafe(head + chunk)];
  let cur = 0;
  let from = head; // unparsed bytes of bufs[cur] begin here
  let base = start; // capture offset of bufs[cur][from]
  let bytesRead = 0;
  let pending = read(bufs[0], head);
  for (;;) {
    options.signal?.throwIfAborted();
    const { bytesRead: n } = await pending;
    const buf = bufs[cur];
    bytesRead += n;
    if (n > 0) options.onBytes?.(buf.subarray(head, head + n));
    const stop = head + n;
    const other = bufs[cur ^ 1];
    if (n > 0) pending = read(other, head);
    const used = parser.parse(buf, from, stop, n === 0, base - from);
    options.onProgress?.({ bytesRead, totalBytes: total, records: parser.info.records });
    await options.afterChunk?.();
    if (n === 0 || parser.stopped) {
      if (n > 0) await pending.catch(() => undefined);
      return;
    }
    const rem = stop - used;
    base += used - from;
    if (rem > head) {
      // A record longer than the headroom: take the chunk in flight too and grow both buffers.
      const { bytesRead: n2 } = await pending;
      bytesRead += n2;
      if (n2 > 0) options.onBytes?.(other.subarray(head, head + n2));
      const grown = Math.max(head * 2, rem + n2 + chunk);
      const next = Buffer.allocUnsafe(grown + chunk);
      buf.copy(next, grown - rem - n2, used, stop);
      other.copy(next, grown - n2, head, head + n2);
      head = grown;
      bufs = [next, Buffer.allocUnsafe(grown + chunk)];
      cur = 0;
      from = head - rem - n2;
      pending = n2 > 0 ? read(next, head) : Promise.resolve({ bytesRead: 0 });
      continue;
    }
    buf.copy(other, head - rem, used, stop);
    from = head - rem;
    cur ^= 1;
  }
}

/**
 * What `readCaptureRanges` reads from: a FileHandle as it is, or a stored capture read by ranges
 * (an S3 object), told each stretch before it is read.
 */
export interface PositionalReader {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  expect?(start: number, end: number): void;
}

/** A stretch of an uncompressed capture to read on its own (see `readCaptureRanges`). */
export interface CaptureRange {
  /** What the parser must see first: the file header, or a section header and its interfaces. */
  prelude: Buffer;
  /** Capture offsets of the stretch: from the start of a record to the end of one. */
  start: number;
  end: number;
  /** Number of the record at `start`, and the time a Simple Packet Block there repeats. */
  firstRecord: number;
  carrySec: number;
  carryNsec: number;
}

/**
 * Reads stretches of an uncompressed capture file, each as if the file had been read up to its
 * start (the packet index says where records start and gives each stretch's prelude). Records are
 * numbered as in a whole read. The stretches share the open file; memory is as for `readCapture`.
 */
export async function readCaptureRanges(
  fh: PositionalReader,
  ranges: CaptureRange[],
  onRecord: (rec: CaptureRecord) => void,
  options: ReadOptions = {},
): Promise<void> {
  const name = options.name ?? 'capture';
  try {
    for (const range of ranges) {
      const parser = new CaptureParser(onRecord);
      if (parser.parse(range.prelude, 0, range.prelude.length, false, 0) !== range.prelude.length) {
        throw new CaptureFormatError('the packet index does not fit this capture (its headers do not parse)');
      }
      parser.resume(range.firstRecord, range.carrySec, range.carryNsec);
      fh.expect?.(range.start, range.end);
      await pumpFile(fh, parser, range.start, range.end, range.end, options);
      if (parser.info.truncated) {
        throw new CaptureFormatError(
          `the packet index does not fit this capture: ${parser.finish().warnings.join('; ')}`,
        );
      }
    }
  } catch (err) {
    if (err instanceof CaptureFormatError) throw new CaptureFormatError(`${name}: ${err.message}`);
    throw err;
  }
}

async function readStream(
  input: Readable,
  feeder: Feeder,
  options: ReadOptions,
  totalBytes: number | null,
): Promise<void> {
  const info = feeder.parser.info;
  const iterator = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  // The gzip magic is two bytes: gather at least two before deciding, however small the pieces.
  let firstChunk: Buffer | null = null;
  while (firstChunk === null || firstChunk.length < 2) {
    const head = await iterator.next();
    if (head.done) break;
    const piece = toBuffer(head.value);
    firstChunk = firstChunk === null ? piece : Buffer.concat([firstChunk, piece]);
  }
  let rawBytes = 0;
  let source: AsyncIterable<Buffer>;
  if (firstChunk && firstChunk.length >= 2 && firstChunk[0] === 0x1f && firstChunk[1] === 0x8b) {
    info.compression = 'gzip';
    rawBytes = firstChunk.length;
    options.onBytes?.(firstChunk);
    source = gunzip(firstChunk, iterator, (raw) => {
      rawBytes += raw.length;
      options.onBytes?.(raw);
    });
  } else {
    source = rest(firstChunk, iterator);
  }
  try {
    for await (const buf of source) {
      options.signal?.throwIfAborted();
      if (info.compression === null) {
        rawBytes += buf.length;
        options.onBytes?.(buf);
      }
      feeder.reserve(buf.length);
      buf.copy(feeder.work, feeder.len);
      feeder.len += buf.length;
      feeder.run(false);
      options.onProgress?.({ bytesRead: rawBytes, totalBytes, records: info.records });
      await options.afterChunk?.();
      feeder.compact();
      if (feeder.parser.stopped) break;
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code !== 'string' || !code.startsWith('Z_')) throw err;
    if (info.format === null) throw new CaptureFormatError(`gzip data is corrupt: ${(err as Error).message}`);
    // Damaged compressed data after a readable start: keep every record inflated so far.
    feeder.run(true);
    feeder.parser.warnings.add('compressed data damaged', (err as Error).message);
    await options.afterChunk?.();
    return;
  } finally {
    await iterator.return?.();
  }
  feeder.run(true);
  options.onProgress?.({ bytesRead: rawBytes, totalBytes, records: info.records });
  await options.afterChunk?.();
}

function describeIoError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return code ?? String(err);
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return Buffer.from(String(chunk));
}

async function* rest(first: Buffer | null, iterator: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  if (first) yield first;
  for (;;) {
    const next = await iterator.next();
    if (next.done) return;
    yield toBuffer(next.value);
  }
}

/** Inflates the compressed chunks as they come, keeping gzip's back-pressure. */
async function* gunzip(
  first: Buffer,
  iterator: AsyncIterator<Buffer>,
  onRaw: (raw: Buffer) => void,
): AsyncGenerator<Buffer> {
  const gz = createGunzip();
  const pump = (async () => {
    let chunk: Buffer | null = first;
    while (chunk && !gz.destroyed) {
      // Wait for room, or for the inflater to go away (reading stopped early): a 'drain' that
      // never comes would otherwise hang the whole read.
      if (!gz.write(chunk)) {
        await new Promise<void>((resolve) => {
          gz.once('drain', resolve);
          gz.once('close', resolve);
        });
      }
      if (gz.destroyed) break;
      const next = await iterator.next();
      chunk = next.done ? null : toBuffer(next.value);
      if (chunk) onRaw(chunk);
    }
    if (!gz.destroyed) gz.end();
  })().catch((err: Error) => gz.destroy(err));
  try {
    for await (const out of gz) yield out as Buffer;
  } finally {
    gz.destroy();
    await pump;
  }
}
