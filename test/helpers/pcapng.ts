/**
 * Builders for pcap and pcapng bytes in either byte order, for reader and fuzz tests. Every pcapng
 * block comes out padded to 32 bits with matching leading and trailing lengths; options end with
 * opt_endofopt. `le` selects little-endian (true) or big-endian (false) throughout.
 */

/** An append-only byte writer in one byte order. */
export class Bytes {
  private readonly parts: Buffer[] = [];
  private size = 0;
  constructor(readonly le: boolean) {}

  private push(b: Buffer): this {
    this.parts.push(b);
    this.size += b.length;
    return this;
  }
  u8(v: number): this {
    return this.push(Buffer.from([v & 255]));
  }
  u16(v: number): this {
    const b = Buffer.alloc(2);
    if (this.le) b.writeUInt16LE(v & 0xffff);
    else b.writeUInt16BE(v & 0xffff);
    return this.push(b);
  }
  u32(v: number): this {
    const b = Buffer.alloc(4);
    if (this.le) b.writeUInt32LE(v >>> 0);
    else b.writeUInt32BE(v >>> 0);
    return this.push(b);
  }
  i64(v: bigint): this {
    const b = Buffer.alloc(8);
    if (this.le) b.writeBigInt64LE(v);
    else b.writeBigInt64BE(v);
    return this.push(b);
  }
  raw(b: Uint8Array): this {
    return this.push(Buffer.from(b));
  }
  pad4(): this {
    const n = this.size % 4;
    return n ? this.push(Buffer.alloc(4 - n)) : this;
  }
  get length(): number {
    return this.size;
  }
  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** The upper and lower 32 bits of a 64-bit timestamp, as pcapng stores them. */
export function splitTs(ts: bigint): [hi: number, lo: number] {
  const u = BigInt.asUintN(64, ts);
  return [Number(u >> 32n), Number(u & 0xffffffffn)];
}

// ------------------------------------------------------------------------------------ pcapng

export const SHB_TYPE = 0x0a0d0d0a;
export const IDB_TYPE = 1;
export const PB_TYPE = 2;
export const SPB_TYPE = 3;
export const NRB_TYPE = 4;
export const ISB_TYPE = 5;
export const EPB_TYPE = 6;
export const DSB_TYPE = 10;
export const CUSTOM_TYPE = 0x00000bad;
export const CUSTOM_NOCOPY_TYPE = 0x40000bad;

export interface Option {
  code: number;
  value: Uint8Array;
}

/** Encodes options (each padded to 32 bits) followed by opt_endofopt; nothing for no options. */
export function options(le: boolean, opts: Option[]): Buffer {
  if (opts.length === 0) return Buffer.alloc(0);
  const b = new Bytes(le);
  for (const o of opts) b.u16(o.code).u16(o.value.length).raw(o.value).pad4();
  return b.u16(0).u16(0).build();
}

/** opt_comment (code 1), valid in every block. */
export const comment = (text: string): Option => ({ code: 1, value: Buffer.from(text, 'utf8') });

/** if_tsresol: a byte; bit 7 clear means 10^-v seconds, set means 2^-(v & 0x7f) seconds. */
export const tsresol = (v: number): Option => ({ code: 9, value: Uint8Array.of(v) });

/** if_tsoffset: signed 64-bit seconds added to every timestamp of the interface. */
export function tsoffset(le: boolean, seconds: bigint): Option {
  return { code: 14, value: new Bytes(le).i64(seconds).build() };
}

/** if_name (code 2). */
export const ifName = (name: string): Option => ({ code: 2, value: Buffer.from(name, 'utf8') });

/** A block of any type around `body` (padded to 32 bits), with matching leading and trailing lengths. */
export function block(le: boolean, type: number, body: Uint8Array): Buffer {
  const padded = new Bytes(le).raw(body).pad4().build();
  const len = 12 + padded.length;
  return new Bytes(le).u32(type).u32(len).raw(padded).u32(len).build();
}

/** Section Header Block: byte-order magic, version, section length -1 (unknown), options. */
export function shb(le: boolean, major = 1, minor = 0, opts: Option[] = []): Buffer {
  const body = new Bytes(le).u32(0x1a2b3c4d).u16(major).u16(minor).i64(-1n).raw(options(le, opts));
  return block(le, SHB_TYPE, body.build());
}

/** Interface Description Block: link type, reserved, snaplen (0 = none), options. */
export function idb(le: boolean, linkType: number, snaplen = 0, opts: Option[] = []): Buffer {
  const body = new Bytes(le).u16(linkType).u16(0).u32(snaplen).raw(options(le, opts));
  return block(le, IDB_TYPE, body.build());
}

/** Enhanced Packet Block; `ts` is the 64-bit timestamp in the interface's units. */
export function epb(
  le: boolean,
  ifId: number,
  ts: bigint,
  data: Uint8Array,
  origLen = data.length,
  opts: Option[] = [],
): Buffer {
  const [hi, lo] = splitTs(ts);
  const body = new Bytes(le).u32(ifId).u32(hi).u32(lo).u32(data.length).u32(origLen).raw(data).pad4();
  return block(le, EPB_TYPE, body.raw(options(le, opts)).build());
}

/** Simple Packet Block: original length, then as much of the packet as was captured. */
export function spb(le: boolean, origLen: number, data: Uint8Array): Buffer {
  return block(le, SPB_TYPE, new Bytes(le).u32(origLen).raw(data).build());
}

/** The obsolete Packet Block (type 2): 16-bit interface id and a 16-bit drop count. */
export function pb(
  le: boolean,
  ifId: number,
  ts: bigint,
  data: Uint8Array,
  origLen = data.length,
  drops = 0,
): Buffer {
  const [hi, lo] = splitTs(ts);
  const body = new Bytes(le).u16(ifId).u16(drops).u32(hi).u32(lo).u32(data.length).u32(origLen).raw(data);
  return block(le, PB_TYPE, body.build());
}

/** Custom block (0x00000BAD copyable, 0x40000BAD not copyable): a Private Enterprise Number, then data. */
export function custom(le: boolean, data: Uint8Array, copyable = true, pen = 32473): Buffer {
  return block(le, copyable ? CUSTOM_TYPE : CUSTOM_NOCOPY_TYPE, new Bytes(le).u32(pen).raw(data).build());
}

/** Name Resolution Block with IPv4 records (type 1), then nrb_record_end. */
export function nrb(le: boolean, entries: { ip: [number, number, number, number]; name: string }[]): Buffer {
  const b = new Bytes(le);
  for (const e of entries) {
    const value = Buffer.concat([Buffer.from(e.ip), Buffer.from(`${e.name}\0`, 'utf8')]);
    b.u16(1).u16(value.length).raw(value).pad4();
  }
  return block(le, NRB_TYPE, b.u16(0).u16(0).build());
}

/** Interface Statistics Block with isb_ifrecv (code 4) and isb_ifdrop (code 5). */
export function isb(le: boolean, ifId: number, ts: bigint, received = 0n, dropped = 0n): Buffer {
  const [hi, lo] = splitTs(ts);
  const opts: Option[] = [
    { code: 4, value: new Bytes(le).i64(received).build() },
    { code: 5, value: new Bytes(le).i64(dropped).build() },
  ];
  return block(le, ISB_TYPE, new Bytes(le).u32(ifId).u32(hi).u32(lo).raw(options(le, opts)).build());
}

// -------------------------------------------------------------------------------------- pcap

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
/** Alexey Kuznetzov's modified pcap: 24-byte record headers (ifindex, protocol, pkt_type, pad). */
export const PCAP_MAGIC_MODIFIED = 0xa1b2cd34;

export interface PcapRecord {
  sec: number;
  /** Microseconds, or nanoseconds with `nano`. */
  frac: number;
  data: Uint8Array;
  origLen?: number;
  /** The caplen written in the header, when it should lie about `data`. */
  capLen?: number;
}

export interface PcapOptions {
  le?: boolean;
  nano?: boolean;
  /** The modified-pcap magic a1b2cd34 with 24-byte record headers. */
  modified?: boolean;
  /** The whole 32-bit link-type field (FCS and reserved bits included). */
  linkType?: number;
  snaplen?: number;
  major?: number;
  minor?: number;
}

export function pcapFileHeader(opts: PcapOptions = {}): Buffer {
  const magic = opts.modified ? PCAP_MAGIC_MODIFIED : opts.nano ? PCAP_MAGIC_NS : PCAP_MAGIC_US;
  return new Bytes(opts.le ?? true)
    .u32(magic)
    .u16(opts.major ?? 2)
    .u16(opts.minor ?? 4)
    .u32(0) // thiszone
    .u32(0) // sigfigs
    .u32(opts.snaplen ?? 65535)
    .u32(opts.linkType ?? 1)
    .build();
}

export function pcapRecord(r: PcapRecord, le = true, modified = false): Buffer {
  const b = new Bytes(le)
    .u32(r.sec)
    .u32(r.frac)
    .u32(r.capLen ?? r.data.length)
    .u32(r.origLen ?? r.data.length);
  if (modified) b.u32(3).u16(0x0800).u8(0).u8(0); // ifindex, protocol, pkt_type, pad
  return b.raw(r.data).build();
}

/** A pcap file in either byte order; `nano` selects a1b23c4d, `modified` a1b2cd34. */
export function pcap(records: PcapRecord[], opts: PcapOptions = {}): Buffer {
  const le = opts.le ?? true;
  return Buffer.concat([
    pcapFileHeader(opts),
    ...records.map((r) => pcapRecord(r, le, opts.modified ?? false)),
  ]);
}
