/** Builders for pcap and pcapng bytes in either byte order, for reader tests. */

export class Bytes {
  private readonly parts: Buffer[] = [];
  constructor(readonly le: boolean) {}
  u8(v: number): this {
    this.parts.push(Buffer.from([v & 255]));
    return this;
  }
  u16(v: number): this {
    const b = Buffer.alloc(2);
    if (this.le) b.writeUInt16LE(v);
    else b.writeUInt16BE(v);
    this.parts.push(b);
    return this;
  }
  u32(v: number): this {
    const b = Buffer.alloc(4);
    if (this.le) b.writeUInt32LE(v >>> 0);
    else b.writeUInt32BE(v >>> 0);
    this.parts.push(b);
    return this;
  }
  raw(b: Uint8Array): this {
    this.parts.push(Buffer.from(b));
    return this;
  }
  pad4(): this {
    const n = this.length % 4;
    if (n) this.parts.push(Buffer.alloc(4 - n));
    return this;
  }
  get length(): number {
    return this.parts.reduce((n, p) => n + p.length, 0);
  }
  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export interface Option {
  code: number;
  value: Uint8Array;
}

function options(le: boolean, opts: Option[]): Buffer {
  if (opts.length === 0) return Buffer.alloc(0);
  const b = new Bytes(le);
  for (const o of opts) b.u16(o.code).u16(o.value.length).raw(o.value).pad4();
  return b.u16(0).u16(0).build();
}

/** A block with correct, matching leading and trailing lengths around `body` (padded to 4). */
export function block(le: boolean, type: number, body: Buffer): Buffer {
  const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
  const len = 12 + padded.length;
  return new Bytes(le).u32(type).u32(len).raw(padded).u32(len).build();
}

export function shb(le: boolean, major = 1, minor = 0, opts: Option[] = []): Buffer {
  const body = new Bytes(le).u32(0x1a2b3c4d).u16(major).u16(minor).u32(0xffffffff).u32(0xffffffff);
  return block(le, 0x0a0d0d0a, Buffer.concat([body.build(), options(le, opts)]));
}

export function idb(le: boolean, linkType: number, snaplen = 0, opts: Option[] = []): Buffer {
  const body = new Bytes(le).u16(linkType).u16(0).u32(snaplen).build();
  return block(le, 1, Buffer.concat([body, options(le, opts)]));
}

export const tsresol = (v: number): Option => ({ code: 9, value: Uint8Array.of(v) });

export function tsoffset(le: boolean, seconds: bigint): Option {
  const b = Buffer.alloc(8);
  if (le) b.writeBigInt64LE(seconds);
  else b.writeBigInt64BE(seconds);
  return { code: 14, value: b };
}

/** An Enhanced Packet Block with a 64-bit timestamp in the interface's units. */
export function epb(le: boolean, ifId: number, ts: bigint, data: Uint8Array, origLen = data.length): Buffer {
  const body = new Bytes(le)
    .u32(ifId)
    .u32(Number(ts >> 32n))
    .u32(Number(ts & 0xffffffffn))
    .u32(data.length)
    .u32(origLen)
    .raw(data);
  return block(le, 6, body.pad4().build());
}

export function spb(le: boolean, origLen: number, data: Uint8Array): Buffer {
  return block(le, 3, new Bytes(le).u32(origLen).raw(data).pad4().build());
}

/** The obsolete Packet Block (type 2). */
export function pb(le: boolean, ifId: number, ts: bigint, data: Uint8Array, origLen = data.length): Buffer {
  const body = new Bytes(le)
    .u16(ifId)
    .u16(0)
    .u32(Number(ts >> 32n))
    .u32(Number(ts & 0xffffffffn))
    .u32(data.length)
    .u32(origLen)
    .raw(data);
  return block(le, 2, body.pad4().build());
}

export interface PcapRecord {
  sec: number;
  frac: number;
  data: Uint8Array;
  origLen?: number;
}

/** A pcap file in either byte order; `nano` selects the a1b23c4d magic. */
export function pcap(
  records: PcapRecord[],
  opts: {
    le?: boolean;
    nano?: boolean;
    linkType?: number;
    snaplen?: number;
    major?: number;
    minor?: number;
  } = {},
): Buffer {
  const b = new Bytes(opts.le ?? true)
    .u32(opts.nano ? 0xa1b23c4d : 0xa1b2c3d4)
    .u16(opts.major ?? 2)
    .u16(opts.minor ?? 4)
    .u32(0)
    .u32(0)
    .u32(opts.snaplen ?? 65535)
    .u32(opts.linkType ?? 1);
  for (const r of records)
    b.u32(r.sec)
      .u32(r.frac)
      .u32(r.data.length)
      .u32(r.origLen ?? r.data.length)
      .raw(r.data);
  return b.build();
}
