import type { CaptureFormat, CaptureInfo } from './record.js';

/**
 * The packet index: where each block of records starts in the capture, which records it holds and
 * the earliest and latest timestamp among them, plus for pcapng the section header and interface
 * blocks needed to read (and write) from any block onwards. The reader builds it in the same pass
 * as the analysis (`ReadOptions.index`); extraction uses it to read only the blocks a selection
 * can touch. Brimcap's envelope index is the model: a handful of numbers per few MB.
 */
export interface PacketIndex {
  format: CaptureFormat;
  compression: 'gzip' | null;
  /** Bytes of the (decompressed) capture that the reader consumed: the last block ends here. */
  captureBytes: number;
  records: number;
  /** pcapng: Simple Packet Blocks, which carry no time (the reader repeats the previous record's). */
  untimedRecords: number;
  linkTypes: number[];
  /** pcap: the 24-byte file header as read (magic, precision, snaplen, link type kept). */
  pcapHeader: Buffer | null;
  /** pcap: 16, or 24 for the modified-pcap magic a1b2cd34. */
  recordHeaderLength: number;
  /** pcapng: every section, in file order. */
  sections: IndexSection[];
  blocks: IndexBlocks;
  /** Limits the blocks were cut at (a block ends at whichever comes first). */
  blockBytes: number;
  blockRecords: number;
}

export interface IndexSection {
  /** The section header block as read. */
  shb: Buffer;
  interfaces: IndexInterface[];
}

export interface IndexInterface {
  /** The interface description block as read (options such as if_tsresol and if_tsoffset kept). */
  idb: Buffer;
  linkType: number;
  snaplen: number;
  /** Timestamps finer than microseconds (if_tsresol other than 10^-0 … 10^-6): pcap needs the ns magic. */
  nanosecond: boolean;
}

/** One column per field, one entry per block (structure of arrays: compact and cheap to scan). */
export interface IndexBlocks {
  count: number;
  /** Capture offset of the block's first record (its record header or pcapng block). */
  offset: Float64Array;
  /** Number (0-based, file order) of the block's first record. */
  firstRecord: Float64Array;
  /**
   * The whole seconds of the block's earliest and latest record: its records' times lie in
   * [minSec, maxSec + 1). (Seconds, not nanoseconds: two integer compares per record keep the
   * read's speed; a range's first and last blocks may hold none of its records.)
   */
  minSec: Float64Array;
  maxSec: Float64Array;
  /** pcapng: the block's section, and how many of its interfaces were declared before the block. */
  section: Int32Array;
  interfacesBefore: Int32Array;
  /** pcapng: interfaces the block's records use, bit i for interface i (bit 31: interface 31 or above). */
  interfaceMask: Uint32Array;
  /** pcapng: the time a Simple Packet Block at the block's start repeats (the previous record's). */
  carrySec: Float64Array;
  carryNsec: Uint32Array;
}

/** Default block limits: see docs/ARCHITECTURE.md ("The packet index") for the measurements. */
export const INDEX_BLOCK_BYTES = 1 << 20;
export const INDEX_BLOCK_RECORDS = 16384;

/**
 * Header bytes kept for pcapng sections and interfaces. A pathological file with many thousands of
 * sections or interfaces would otherwise grow the index without bound; past this the index is given
 * up (`finish` returns null) and extraction reads such a capture from its start.
 */
const MAX_HEADER_BYTES = 4 << 20;

const INITIAL_BLOCKS = 256;

/**
 * Builds the index while the parser reads. The parser calls it at each file header, section and
 * interface, and at the first record of each block; per record it only compares the record's
 * offset and number with `nextOffset`/`nextRecord` and keeps the block's time bounds in its locals,
 * writing them back here when the block ends.
 */
export class PacketIndexBuilder {
  /** A record at or past this capture offset, or with this number, starts a new block. */
  nextOffset = 0;
  nextRecord = 0;
  // The open block's first and last second (the parser writes them back before each call).
  minSec = Number.POSITIVE_INFINITY;
  maxSec = Number.NEGATIVE_INFINITY;
  interfaceMask = 0;
  untimedRecords = 0;

  private n = 0;
  private cap = INITIAL_BLOCKS;
  private offset = new Float64Array(INITIAL_BLOCKS);
  private firstRecord = new Float64Array(INITIAL_BLOCKS);
  private bMinSec = new Float64Array(INITIAL_BLOCKS);
  private bMaxSec = new Float64Array(INITIAL_BLOCKS);
  private section = new Int32Array(INITIAL_BLOCKS);
  private interfacesBefore = new Int32Array(INITIAL_BLOCKS);
  private mask = new Uint32Array(INITIAL_BLOCKS);
  private carrySec = new Float64Array(INITIAL_BLOCKS);
  private carryNsec = new Uint32Array(INITIAL_BLOCKS);

  private pcapHeader: Buffer | null = null;
  private recordHeaderLength = 16;
  private readonly sections: IndexSection[] = [];
  private headerBytes = 0;
  private overflow = false;

  constructor(
    readonly blockBytes = INDEX_BLOCK_BYTES,
    readonly blockRecords = INDEX_BLOCK_RECORDS,
  ) {}

  /** The pcap file header (copied). */
  pcapFileHeader(buf: Uint8Array, p: number, recordHeaderLength: number): void {
    this.pcapHeader = Buffer.from(buf.subarray(p, p + 24));
    this.recordHeaderLength = recordHeaderLength;
  }

  /** A pcapng section header block (copied); the next record starts a block of the new section. */
  sectionHeader(buf: Uint8Array, p: number, len: number): void {
    this.keep(len);
    this.sections.push({ shb: Buffer.from(buf.subarray(p, p + len)), interfaces: [] });
    this.nextOffset = Number.NEGATIVE_INFINITY;
  }

  /** A pcapng interface description block (copied) of the current section. */
  interfaceDescription(
    buf: Uint8Array,
    p: number,
    len: number,
    linkType: number,
    snaplen: number,
    nanosecond: boolean,
  ): void {
    this.keep(len);
    const section = this.sections[this.sections.length - 1];
    section?.interfaces.push({ idb: Buffer.from(buf.subarray(p, p + len)), linkType, snaplen, nanosecond });
  }

  /**
   * Starts a block at the record about to be emitted: at capture offset `offset`, record number
   * `record`; `carrySec`/`carryNsec` are the time a Simple Packet Block there would repeat, and
   * `interfaces` how many interfaces the current section has declared so far.
   */
  startBlock(offset: number, record: number, carrySec: number, carryNsec: number, interfaces: number): void {
    if (this.n > 0) {
      // A block that ended before its first record (its packet was skipped) is replaced.
      if (this.minSec === Number.POSITIVE_INFINITY) this.n--;
      else this.closeBlock();
    }
    const i = this.n;
    if (i === this.cap) this.grow();
    this.offset[i] = offset;
    this.firstRecord[i] = record;
    this.section[i] = this.sections.length - 1;
    this.interfacesBefore[i] = interfaces;
    this.carrySec[i] = carrySec;
    this.carryNsec[i] = carryNsec;
    this.n = i + 1;
    this.minSec = Number.POSITIVE_INFINITY;
    this.maxSec = Number.NEGATIVE_INFINITY;
    this.interfaceMask = 0;
    this.nextOffset = offset + this.blockBytes;
    this.nextRecord = record + this.blockRecords;
  }

  /** The index, once the reader has finished; null when the file's headers were too many to keep. */
  finish(info: CaptureInfo): PacketIndex | null {
    if (info.format === null || this.overflow) return null;
    if (this.n > 0) {
      if (this.minSec === Number.POSITIVE_INFINITY) this.n--;
      else this.closeBlock();
    }
    const n = this.n;
    return {
      format: info.format,
      compression: info.compression,
      captureBytes: info.bytesRead,
      records: info.records,
      untimedRecords: this.untimedRecords,
      linkTypes: [...info.linkTypes],
      pcapHeader: this.pcapHeader,
      recordHeaderLength: this.recordHeaderLength,
      sections: this.sections,
      blocks: {
        count: n,
        offset: this.offset.slice(0, n),
        firstRecord: this.firstRecord.slice(0, n),
        minSec: this.bMinSec.slice(0, n),
        maxSec: this.bMaxSec.slice(0, n),
        section: this.section.slice(0, n),
        interfacesBefore: this.interfacesBefore.slice(0, n),
        interfaceMask: this.mask.slice(0, n),
        carrySec: this.carrySec.slice(0, n),
        carryNsec: this.carryNsec.slice(0, n),
      },
      blockBytes: this.blockBytes,
      blockRecords: this.blockRecords,
    };
  }

  private closeBlock(): void {
    const i = this.n - 1;
    this.bMinSec[i] = this.minSec;
    this.bMaxSec[i] = this.maxSec;
    this.mask[i] = this.interfaceMask;
  }

  private keep(len: number): void {
    this.headerBytes += len;
    if (this.headerBytes > MAX_HEADER_BYTES) this.overflow = true;
  }

  private grow(): void {
    const cap = this.cap * 2;
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    const u32 = (a: Uint32Array) => {
      const b = new Uint32Array(cap);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    this.offset = f64(this.offset);
    this.firstRecord = f64(this.firstRecord);
    this.bMinSec = f64(this.bMinSec);
    this.bMaxSec = f64(this.bMaxSec);
    this.section = i32(this.section);
    this.interfacesBefore = i32(this.interfacesBefore);
    this.mask = u32(this.mask);
    this.carrySec = f64(this.carrySec);
    this.carryNsec = u32(this.carryNsec);
    this.cap = cap;
  }
}

/** Capture offset where block `i` ends (the next block's start, or where the reader stopped). */
export function blockEnd(index: PacketIndex, i: number): number {
  return i + 1 < index.blocks.count ? index.blocks.offset[i + 1] : index.captureBytes;
}

/** Number of the first record after block `i`. */
export function blockEndRecord(index: PacketIndex, i: number): number {
  return i + 1 < index.blocks.count ? index.blocks.firstRecord[i + 1] : index.records;
}

/**
 * The bytes the parser must see before block `i` to read it as the file would be read up to there:
 * the pcap file header, or the block's section header and the interfaces declared before it.
 */
export function blockPrelude(index: PacketIndex, i: number): Buffer {
  if (index.format !== 'pcapng') return index.pcapHeader!;
  const section = index.sections[index.blocks.section[i]];
  const idbs = section.interfaces.slice(0, index.blocks.interfacesBefore[i]).map((f) => f.idb);
  return Buffer.concat([section.shb, ...idbs]);
}

// ------------------------------------------------------------------------------ serialised form

const MAGIC = 0x58494c46; // "FLIX" read as little-endian
const VERSION = 1;

/** The columns in their serialised order, with their element sizes. */
const COLUMNS = [
  ['offset', 8],
  ['firstRecord', 8],
  ['minSec', 8],
  ['maxSec', 8],
  ['carrySec', 8],
  ['section', 4],
  ['interfacesBefore', 4],
  ['interfaceMask', 4],
  ['carryNsec', 4],
] as const;

/**
 * A compact, self-contained form of the index for storage with a session: a little-endian header
 * (magic, version, length of a JSON part), the JSON part (format, counts, the pcap header and the
 * pcapng header blocks in base64), then each column's raw values: 60 bytes per block.
 */
export function serializePacketIndex(index: PacketIndex): Buffer {
  const meta = {
    format: index.format,
    compression: index.compression,
    captureBytes: index.captureBytes,
    records: index.records,
    untimedRecords: index.untimedRecords,
    linkTypes: index.linkTypes,
    pcapHeader: index.pcapHeader?.toString('base64') ?? null,
    recordHeaderLength: index.recordHeaderLength,
    blockBytes: index.blockBytes,
    blockRecords: index.blockRecords,
    count: index.blocks.count,
    sections: index.sections.map((s) => ({
      shb: s.shb.toString('base64'),
      interfaces: s.interfaces.map((f) => ({
        idb: f.idb.toString('base64'),
        linkType: f.linkType,
        snaplen: f.snaplen,
        nanosecond: f.nanosecond,
      })),
    })),
  };
  const json = Buffer.from(JSON.stringify(meta), 'utf8');
  const head = Buffer.alloc(12);
  head.writeUInt32LE(MAGIC, 0);
  head.writeUInt32LE(VERSION, 4);
  head.writeUInt32LE(json.length, 8);
  const parts: Buffer[] = [head, json];
  let at = 12 + json.length;
  for (const [name, size] of COLUMNS) {
    // Columns start on an 8-byte boundary so they can be viewed in place when read back.
    const pad = (8 - (at % 8)) % 8;
    if (pad) parts.push(Buffer.alloc(pad));
    const col = index.blocks[name];
    const bytes = Buffer.from(col.buffer, col.byteOffset, index.blocks.count * size);
    parts.push(bytes);
    at += pad + bytes.length;
  }
  return Buffer.concat(parts);
}

export class PacketIndexError extends Error {
  override name = 'PacketIndexError';
}

/** Reads a serialised index back; throws PacketIndexError when the bytes are not one. */
export function parsePacketIndex(bytes: Uint8Array): PacketIndex {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 12 || buf.readUInt32LE(0) !== MAGIC) throw new PacketIndexError('not a packet index');
  const version = buf.readUInt32LE(4);
  if (version !== VERSION) throw new PacketIndexError(`packet index version ${version} is not supported`);
  const jsonLength = buf.readUInt32LE(8);
  if (12 + jsonLength > buf.length) throw new PacketIndexError('packet index cut short');
  // biome-ignore lint/suspicious/noExplicitAny: checked field by field below
  const meta: any = JSON.parse(buf.toString('utf8', 12, 12 + jsonLength));
  const count = meta.count;
  if (!Number.isInteger(count) || count < 0) throw new PacketIndexError('packet index has a bad block count');
  const columns: Record<string, Float64Array | Uint32Array | Int32Array> = {};
  let at = 12 + jsonLength;
  for (const [name, size] of COLUMNS) {
    at += (8 - (at % 8)) % 8;
    const end = at + count * size;
    if (end > buf.length) throw new PacketIndexError('packet index cut short');
    // Copied into arrays of their own: the source's alignment is not known.
    const raw = buf.subarray(at, end);
    const copy = new Uint8Array(raw.length);
    copy.set(raw);
    const ctor =
      size === 8
        ? Float64Array
        : name === 'section' || name === 'interfacesBefore'
          ? Int32Array
          : Uint32Array;
    columns[name] = new ctor(copy.buffer, 0, count);
    at = end;
  }
  return {
    format: meta.format,
    compression: meta.compression,
    captureBytes: meta.captureBytes,
    records: meta.records,
    untimedRecords: meta.untimedRecords,
    linkTypes: meta.linkTypes,
    pcapHeader: meta.pcapHeader === null ? null : Buffer.from(meta.pcapHeader, 'base64'),
    recordHeaderLength: meta.recordHeaderLength,
    sections: (
      meta.sections as { shb: string; interfaces: (Omit<IndexInterface, 'idb'> & { idb: string })[] }[]
    ).map((s) => ({
      shb: Buffer.from(s.shb, 'base64'),
      interfaces: s.interfaces.map((f) => ({ ...f, idb: Buffer.from(f.idb, 'base64') })),
    })),
    blocks: { count, ...columns } as IndexBlocks,
    blockBytes: meta.blockBytes,
    blockRecords: meta.blockRecords,
  };
}
