import type { FileHandle } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import type { FlowTimeouts } from '../analysis/flow-table.js';
import {
  blockEnd,
  blockEndRecord,
  blockPrelude,
  CaptureFormatError,
  type CaptureRange,
  type CaptureRecord,
  openCapture,
  type PacketIndex,
  PacketIndexBuilder,
  readCapture,
  readCaptureRanges,
} from '../capture/index.js';
import { DecodedPacket, decodePacket } from '../decode/index.js';
import type { StoredCapture } from '../store/index.js';
import { CaptureChangedError } from './errors.js';
import { BY_RECORDS, type FlowSet, type FlowTarget } from './flows.js';
import { type OutputFormat, type OutputPlan, PacketOutput, planFormat } from './output.js';
import { compileSelection, type Selection } from './selection.js';
import { blockMayHold } from './time.js';

/** What the caller knew of the capture file when it was analysed. */
export interface CaptureIdentity {
  size: number;
  /** Modification time in milliseconds (fs.Stats.mtimeMs); compared to the millisecond. */
  mtimeMs: number;
}

/**
 * A capture in a capture store (an S3 object): read by position through the store, only the
 * stretches the packet index names. A local file is given by its path instead and read directly.
 */
export interface StoredCaptureSource {
  /** For messages: `s3://bucket/prefix/key`. */
  name: string;
  /** The capture opened for reading, or null when it is gone. */
  open(signal?: AbortSignal): Promise<StoredCapture | null>;
}

/** What size and time say of a capture (fs.Stats, or a store's HEAD). */
type CaptureStat = { size: number; mtimeMs: number };

export interface ExtractOptions {
  /** The capture's packet index from its analysis; without one a read of the whole file builds it first. */
  index?: PacketIndex | null;
  /** The file as it was analysed: another size or modification time is a CaptureChangedError. */
  expect?: CaptureIdentity | null;
  /** The flow timeouts the capture was analysed with (flow selections split flows by them). */
  timeouts?: Partial<FlowTimeouts>;
  signal?: AbortSignal;
  /** End the output stream when done (default true). */
  end?: boolean;
}

export interface ExtractResult {
  format: OutputFormat;
  packets: number;
  /** Wire bytes (original lengths) and captured bytes of the packets written. */
  bytes: number;
  capturedBytes: number;
  /** Reads of the capture: 1; for flows 2, or 3 or 4 when a flow had to be looked for further back. */
  scans: number;
  /** Capture bytes read by all scans (uncompressed bytes for gzip). */
  bytesScanned: number;
  warnings: string[];
}

/**
 * Writes the packets of a selection from a capture to `out`: the original records byte for byte
 * (times and lengths as read), as pcap with the capture's link type and precision, or as pcapng
 * when the capture's packets come from several interfaces (or have times pcap cannot hold). The
 * packet index narrows the reading to the blocks the selection can touch; packets are streamed as
 * they are found, waiting for a slow `out`. A selection that matches nothing gives a valid empty
 * file and 0 packets.
 *
 * gzip: the index's offsets are into the inflated bytes, and an inflater cannot be restarted in
 * the middle of a stream without its state (which zlib does not hand out), so a compressed capture
 * is inflated from its start each time, up to the last block the selection needs.
 */
export async function extractPackets(
  source: string | StoredCaptureSource,
  selection: Selection,
  out: Writable,
  options: ExtractOptions = {},
): Promise<ExtractResult> {
  const compiled = compileSelection(selection, options.timeouts);
  const path = typeof source === 'string' ? source : source.name;
  const fh: StoredCapture =
    typeof source === 'string' ? await openOrChanged(source) : await openStored(source, options.signal);
  try {
    const before = await fh.stat();
    if (options.expect) checkIdentity(path, before, options.expect);
    let index = options.index ?? null;
    if (index === null) {
      if (typeof source !== 'string')
        throw new CaptureFormatError(`${path}: a stored capture is read only through its packet index`);
      index = await buildPacketIndex(source, options.signal);
    }
    await checkIndexFits(fh, path, before, index);
    const scanner = new Scanner(fh, path, index, options.signal);
    const output = new PacketOutput(out, index, outputPlan(index));
    const pkt = new DecodedPacket();
    const sections = index.blocks.section;
    let warnings: string[] = [];
    if (compiled.kind === 'packets') {
      const filter = compiled.filter;
      const decode = filter.needsDecode;
      const blocks = blocksWhere(index, (i) => blockMayHold(index, i, filter.range));
      await scanner.scan(
        blocks,
        (rec, block) => {
          if (decode) decodePacket(rec.buf, rec.offset, rec.capLen, rec.origLen, rec.linkType, pkt);
          if (filter.matches(rec, pkt)) output.add(rec, sections[block]);
        },
        () => output.flush(),
      );
    } else {
      const flows = compiled.flows;
      await findFlows(scanner, flows, pkt);
      warnings = flows.settle();
      await scanner.scan(
        flowBlocks(index, flows),
        (rec, block) => {
          decodePacket(rec.buf, rec.offset, rec.capLen, rec.origLen, rec.linkType, pkt);
          if (flows.includes(rec, pkt)) output.add(rec, sections[block]);
        },
        () => output.flush(),
      );
    }
    await output.finish();
    const after = await fh.stat();
    if (after.size !== before.size || Math.trunc(after.mtimeMs) !== Math.trunc(before.mtimeMs)) {
      throw new CaptureChangedError(`the capture changed while its packets were being read: ${path}`);
    }
    if (options.end !== false) await endStream(out);
    return {
      format: output.format,
      packets: output.packets,
      bytes: output.bytes,
      capturedBytes: output.capturedBytes,
      scans: scanner.scans,
      bytesScanned: scanner.bytesScanned,
      warnings,
    };
  } finally {
    await fh.close();
  }
}

/**
 * Does the file still look like the one the index describes (a file replaced by another of the
 * same size and time would otherwise give that file's packets)? Its length must cover the index,
 * and its first header (pcap file header, or first section header) must be the one indexed.
 */
async function checkIndexFits(
  fh: StoredCapture,
  path: string,
  st: CaptureStat,
  index: PacketIndex,
): Promise<void> {
  if (index.compression !== null) return;
  if (index.captureBytes > st.size) {
    throw new CaptureChangedError(
      `the capture changed since it was analysed: ${path} is ${st.size} bytes, shorter than the ${index.captureBytes} its packet index covers`,
    );
  }
  const header = index.format === 'pcapng' ? index.sections[0]?.shb : index.pcapHeader;
  if (!header) return;
  const head = Buffer.alloc(header.length);
  await fh.read(head, 0, head.length, 0);
  if (!head.equals(header)) {
    throw new CaptureChangedError(
      `the capture changed since it was analysed: ${path} does not start with the header it was analysed with`,
    );
  }
}

/** Reads a whole capture (pcap, pcapng, gzip) only to build its packet index. */
export async function buildPacketIndex(path: string, signal?: AbortSignal): Promise<PacketIndex> {
  const builder = new PacketIndexBuilder();
  const info = await readCapture(path, () => undefined, { index: builder, signal });
  const index = builder.finish(info);
  if (index === null) {
    throw new CaptureFormatError(`${path}: too many pcapng sections or interfaces to index its packets`);
  }
  return index;
}

/**
 * First scans for flows: the blocks of each flow's time span. A flow not found there (the
 * simulation began inside an earlier flow on the same tuple whose FIN or RST came before those
 * blocks) is looked for again from one flow timeout earlier, where that flow's start usually is,
 * and then from the start of the capture, which replays its tuple exactly. A flow given without
 * packets or bytes cannot be checked that way (the merged flow has its first and last time too):
 * its first scan reaches one timeout back at once.
 */
async function findFlows(scanner: Scanner, flows: FlowSet, pkt: DecodedPacket): Promise<void> {
  const index = scanner.index;
  const observe = (rec: CaptureRecord) => {
    decodePacket(rec.buf, rec.offset, rec.capLen, rec.origLen, rec.linkType, pkt);
    flows.observe(rec, pkt);
  };
  const tries: ((t: FlowTarget, i: number) => boolean)[] = [
    (t, i) => blockMayHold(index, i, t.packets < 0 && t.bytes < 0 ? t.lookback : t.range),
    (t, i) => blockMayHold(index, i, t.lookback),
    (t, i) => blockMayHold(index, i, { from: null, to: t.range.to, toExclusive: false }),
  ];
  for (const holds of tries) {
    const missing = flows.unresolved;
    if (missing.length === 0) return;
    await scanner.scan(
      blocksWhere(index, (i) => missing.some((t) => holds(t, i))),
      observe,
      null,
    );
    flows.endScan();
  }
}

/** Blocks holding the found flows' records (or, for flows taken by time, their time spans). */
function flowBlocks(index: PacketIndex, flows: FlowSet): number[] {
  const keep = new Uint8Array(index.blocks.count);
  for (const t of flows.targets) {
    if (t.state === BY_RECORDS) {
      const to = blockOfRecord(index, t.lastRecord);
      for (let i = blockOfRecord(index, t.firstRecord); i <= to; i++) keep[i] = 1;
    } else {
      for (let i = 0; i < index.blocks.count; i++) if (blockMayHold(index, i, t.range)) keep[i] = 1;
    }
  }
  return blocksWhere(index, (i) => keep[i] === 1);
}

/** The block holding record number r (binary search on the blocks' first records). */
function blockOfRecord(index: PacketIndex, r: number): number {
  const first = index.blocks.firstRecord;
  let lo = 0;
  let hi = index.blocks.count - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (first[mid] <= r) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function blocksWhere(index: PacketIndex, test: (i: number) => boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < index.blocks.count; i++) if (test(i)) out.push(i);
  return out;
}

/** The format extraction from this capture writes: pcap, pcap-ns or pcapng (see `outputPlan`). */
export function outputFormat(index: PacketIndex): OutputFormat {
  return planFormat(index, outputPlan(index));
}

/**
 * pcap in: pcap out as it was. pcapng in: pcap when all its packets come from one interface,
 * every time fits pcap's 32-bit seconds and every packet has a time of its own (a Simple Packet
 * Block has none: pcap would need one invented); else pcapng. Interfaces declared but never used
 * do not count.
 */
export function outputPlan(index: PacketIndex): OutputPlan {
  if (index.format !== 'pcapng') return { kind: 'copy' };
  if (index.untimedRecords > 0) return { kind: 'pcapng' };
  const b = index.blocks;
  let section = -1;
  let mask = 0;
  for (let i = 0; i < b.count; i++) {
    if (b.minSec[i] < 0 || b.maxSec[i] >= 2 ** 32) return { kind: 'pcapng' };
    const m = b.interfaceMask[i];
    if (m === 0) continue;
    if (section < 0) section = b.section[i];
    else if (b.section[i] !== section) return { kind: 'pcapng' };
    mask |= m;
  }
  if (section < 0) {
    // No packets: pcap when the capture declares a single interface.
    const all = index.sections.flatMap((s) => s.interfaces);
    return all.length === 1 ? { kind: 'convert', iface: all[0] } : { kind: 'pcapng' };
  }
  // One interface: one bit, and not bit 31 (which stands for every interface from 31 up).
  if ((mask & (mask - 1)) !== 0 || mask >>> 0 === 0x80000000) return { kind: 'pcapng' };
  const iface = index.sections[section].interfaces[31 - Math.clz32(mask)];
  return iface ? { kind: 'convert', iface } : { kind: 'pcapng' };
}

/** Reads chosen blocks of the capture, in file order, handing each record with its block. */
class Scanner {
  scans = 0;
  bytesScanned = 0;

  constructor(
    private readonly fh: StoredCapture,
    private readonly path: string,
    readonly index: PacketIndex,
    private readonly signal: AbortSignal | undefined,
  ) {}

  async scan(
    blocks: number[],
    onRecord: (rec: CaptureRecord, block: number) => void,
    afterChunk: (() => Promise<void>) | null,
  ): Promise<void> {
    this.scans++;
    if (blocks.length === 0) return;
    const index = this.index;
    const b = index.blocks;
    // Records come in file order and the blocks are sorted: a cursor finds each record's block.
    let k = 0;
    let end = blockEndRecord(index, blocks[0]);
    // Each record must lie within its block's times, and each block must hold its count of
    // records: a file that is not the indexed one (same size, time and header) fails at once.
    let seen = 0;
    let expected = 0;
    for (const i of blocks) expected += blockEndRecord(index, i) - b.firstRecord[i];
    const misplaced = () =>
      new CaptureChangedError(
        `the capture changed since it was analysed: ${this.path} does not hold its packets where its packet index says`,
      );
    const options = { afterChunk: afterChunk ?? undefined, signal: this.signal, name: this.path };
    if (index.compression === null) {
      const ranges = runs(index, blocks);
      for (const r of ranges) this.bytesScanned += r.end - r.start;
      await readCaptureRanges(
        this.fh,
        ranges,
        (rec) => {
          while (rec.index >= end) {
            if (++k === blocks.length) throw misplaced();
            end = blockEndRecord(index, blocks[k]);
          }
          const i = blocks[k];
          if (rec.tsSec < b.minSec[i] || rec.tsSec > b.maxSec[i]) throw misplaced();
          seen++;
          onRecord(rec, i);
        },
        options,
      );
      if (seen !== expected) throw misplaced();
      return;
    }
    // gzip: inflate from the start, skip records outside the blocks, stop after the last one.
    const done = new AbortController();
    const stop = () => done.abort(this.signal?.reason);
    this.signal?.addEventListener('abort', stop, { once: true });
    const firstRecord = index.blocks.firstRecord;
    // Through the handle opened and checked at the start, not the path (which may name another
    // file by now). Not fh.createReadStream: reading it to the end closes the handle.
    this.fh.expect?.(0, Number.POSITIVE_INFINITY);
    const stream = Readable.from(fileChunks(this.fh));
    try {
      const info = await readCapture(
        stream,
        (rec) => {
          if (k === blocks.length) return;
          while (rec.index >= end) {
            if (++k === blocks.length) {
              done.abort();
              return;
            }
            end = blockEndRecord(index, blocks[k]);
          }
          const i = blocks[k];
          if (rec.index < firstRecord[i]) return;
          if (rec.tsSec < b.minSec[i] || rec.tsSec > b.maxSec[i]) throw misplaced();
          seen++;
          onRecord(rec, i);
        },
        { ...options, signal: done.signal },
      );
      this.bytesScanned += info.bytesRead;
    } catch (err) {
      if (!done.signal.aborted || this.signal?.aborted) throw err;
      this.bytesScanned += blockEnd(index, blocks[blocks.length - 1]);
    } finally {
      this.signal?.removeEventListener('abort', stop);
      stream.destroy();
    }
    if (seen !== expected) throw misplaced();
  }
}

/** The file's bytes from its start, a new buffer per read (the inflater may keep them). */
async function* fileChunks(fh: StoredCapture): AsyncGenerator<Buffer> {
  for (let at = 0; ; ) {
    const buf = Buffer.allocUnsafe(GZIP_READ_BYTES);
    const { bytesRead } = await fh.read(buf, 0, buf.length, at);
    if (bytesRead === 0) return;
    at += bytesRead;
    yield buf.subarray(0, bytesRead);
  }
}

const GZIP_READ_BYTES = 1 << 20;

/** Consecutive blocks merged into stretches to read. */
function runs(index: PacketIndex, blocks: number[]): CaptureRange[] {
  const out: CaptureRange[] = [];
  const b = index.blocks;
  for (let i = 0; i < blocks.length; ) {
    let j = i;
    while (j + 1 < blocks.length && blocks[j + 1] === blocks[j] + 1) j++;
    const first = blocks[i];
    out.push({
      prelude: blockPrelude(index, first),
      start: b.offset[first],
      end: blockEnd(index, blocks[j]),
      firstRecord: b.firstRecord[first],
      carrySec: b.carrySec[first],
      carryNsec: b.carryNsec[first],
    });
    i = j + 1;
  }
  return out;
}

async function openOrChanged(path: string): Promise<FileHandle> {
  try {
    return await openCapture(path);
  } catch (err) {
    const why = err instanceof Error ? err.message.replace(/^cannot open: /, '') : String(err);
    throw new CaptureChangedError(`the capture is no longer readable: ${path} (${why})`);
  }
}

function checkIdentity(path: string, st: CaptureStat, expect: CaptureIdentity): void {
  const sizeDiffers = st.size !== expect.size;
  const timeDiffers = Math.trunc(st.mtimeMs) !== Math.trunc(expect.mtimeMs);
  if (!sizeDiffers && !timeDiffers) return;
  const parts: string[] = [];
  if (sizeDiffers) parts.push(`${st.size} bytes, was ${expect.size}`);
  if (timeDiffers) {
    parts.push(
      `modified ${new Date(st.mtimeMs).toISOString()}, was ${new Date(expect.mtimeMs).toISOString()}`,
    );
  }
  throw new CaptureChangedError(`the capture changed since it was analysed: ${path} (${parts.join('; ')})`);
}

async function openStored(source: StoredCaptureSource, signal?: AbortSignal): Promise<StoredCapture> {
  let opened: StoredCapture | null;
  try {
    opened = await source.open(signal);
  } catch (err) {
    throw new CaptureChangedError(
      `the capture is no longer readable: ${source.name} (${(err as Error).message})`,
    );
  }
  if (opened === null)
    throw new CaptureChangedError(`the capture is no longer readable: ${source.name} is gone`);
  return opened;
}

function endStream(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    out.end((err?: Error | null) => (err ? reject(err) : resolve()));
  });
}
