import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CaptureFormatError,
  type CaptureInfo,
  formatTimestamp,
  PcapWriter,
  pcapHeader,
  type ReadProgress,
  readCapture,
  recordHeader,
} from '../src/capture/index.js';
import {
  block,
  comment,
  custom,
  DSB_TYPE,
  epb,
  idb,
  ifName,
  isb,
  nrb,
  type PcapRecord,
  pb,
  pcap,
  pcapFileHeader,
  pcapRecord,
  shb,
  spb,
  tsoffset,
  tsresol,
} from './helpers/pcapng.js';

// ------------------------------------------------------------------------------------ harness

/** A copy of one record as the reader delivered it (the reader reuses its record object). */
interface Got {
  index: number;
  sec: number;
  nsec: number;
  capLen: number;
  origLen: number;
  linkType: number;
  ifId: number;
  hasTs: boolean;
  data: Buffer;
}

const dir = mkdtempSync(join(tmpdir(), 'flowlens-reader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileCount = 0;
function tempFile(bytes: Uint8Array): string {
  const path = join(dir, `capture-${fileCount++}`);
  writeFileSync(path, bytes);
  return path;
}

/** How to hand the bytes to readCapture: a file (optionally with a read size) or a stream of pieces. */
type Via = { file: true; chunkSize?: number } | { stream: number | number[] };

function pieces(bytes: Buffer, sizes: number | number[]): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  for (let k = 0; i < bytes.length; k++) {
    const n = typeof sizes === 'number' ? sizes : sizes[k % sizes.length];
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}

async function read(
  bytes: Buffer,
  via: Via = { file: true },
  onProgress?: (p: ReadProgress) => void,
): Promise<{ recs: Got[]; info: CaptureInfo }> {
  const recs: Got[] = [];
  const source = 'file' in via ? tempFile(bytes) : Readable.from(pieces(bytes, via.stream));
  const chunkSize = 'file' in via ? via.chunkSize : undefined;
  const info = await readCapture(
    source,
    (r) => {
      recs.push({
        index: r.index,
        sec: r.tsSec,
        nsec: r.tsNsec,
        capLen: r.capLen,
        origLen: r.origLen,
        linkType: r.linkType,
        ifId: r.interfaceId,
        hasTs: r.hasTimestamp,
        data: Buffer.from(r.buf.subarray(r.offset, r.offset + r.capLen)),
      });
    },
    { chunkSize, onProgress },
  );
  return { recs, info };
}

/** The error readCapture rejected with (fails the test when it resolved). */
async function failure(bytes: Buffer, via: Via = { file: true }): Promise<Error> {
  try {
    await read(bytes, via);
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the capture to be rejected, but it was read');
}

/** Distinct bytes per packet, so a record pointing at the wrong place is caught. */
function payload(len: number, seed: number): Buffer {
  const b = Buffer.alloc(len);
  for (let i = 0; i < len; i++) b[i] = (seed * 31 + i * 7) & 255;
  return b;
}

/** Seconds and nanoseconds of a pcapng timestamp, computed exactly with BigInt. */
function exactTs(ts: bigint, unitsPerSec: bigint, offsetSec = 0n): [number, number] {
  const sec = ts / unitsPerSec;
  const rem = ts % unitsPerSec;
  return [Number(sec + offsetSec), Number((rem * 1_000_000_000n) / unitsPerSec)];
}

const FILE: Via = { file: true };
const SOURCES: [string, Via][] = [
  ['a file', FILE],
  ['a stream in 7-byte pieces', { stream: 7 }],
];

// ---------------------------------------------------------------------------------------- pcap

describe('pcap files', () => {
  it.each([
    ['little-endian', 'microsecond', true, false],
    ['big-endian', 'microsecond', false, false],
    ['little-endian', 'nanosecond', true, true],
    ['big-endian', 'nanosecond', false, true],
  ])('a %s %s pcap gives exact timestamps, lengths and link type', async (_order, _res, le, nano) => {
    const full = nano ? 1_000_000_000 : 1_000_000;
    const bytes = pcap(
      [
        { sec: 1_700_000_000, frac: nano ? 123_456_789 : 123_456, data: payload(60, 1), origLen: 1514 },
        { sec: 1_700_000_001, frac: full - 1, data: payload(42, 2) },
        { sec: 0xffffffff, frac: 1, data: payload(0, 3), origLen: 0 }, // 2106, and an empty record
        { sec: 0, frac: 0, data: payload(1, 4) },
      ],
      { le, nano, linkType: 113, snaplen: 65535 },
    );
    const { recs, info } = await read(bytes);
    expect(info).toEqual({
      format: nano ? 'pcap-ns' : 'pcap',
      compression: null,
      linkTypes: [113],
      records: 4,
      bytesRead: bytes.length,
      truncated: false,
      warnings: [],
    });
    const base = { linkType: 113, ifId: 0, hasTs: true };
    expect(recs).toEqual([
      {
        ...base,
        index: 0,
        sec: 1_700_000_000,
        nsec: nano ? 123_456_789 : 123_456_000,
        capLen: 60,
        origLen: 1514,
        data: payload(60, 1),
      },
      {
        ...base,
        index: 1,
        sec: 1_700_000_001,
        nsec: nano ? 999_999_999 : 999_999_000,
        capLen: 42,
        origLen: 42,
        data: payload(42, 2),
      },
      {
        ...base,
        index: 2,
        sec: 4_294_967_295,
        nsec: nano ? 1 : 1000,
        capLen: 0,
        origLen: 0,
        data: Buffer.alloc(0),
      },
      { ...base, index: 3, sec: 0, nsec: 0, capLen: 1, origLen: 1, data: payload(1, 4) },
    ]);
  });

  it.each([
    ['little-endian', true],
    ['big-endian', false],
  ])('a %s modified pcap (magic a1b2cd34, 24-byte record headers) is read', async (_order, le) => {
    const bytes = pcap(
      [
        { sec: 5, frac: 7, data: payload(10, 1), origLen: 70 },
        { sec: 6, frac: 999_999, data: payload(33, 2) },
      ],
      { le, modified: true, linkType: 1 },
    );
    expect(bytes.length).toBe(24 + 24 + 10 + 24 + 33);
    const { recs, info } = await read(bytes);
    expect(info.format).toBe('pcap');
    expect(info.truncated).toBe(false);
    expect(recs.map((r) => [r.sec, r.nsec, r.capLen, r.origLen, r.linkType])).toEqual([
      [5, 7000, 10, 70, 1],
      [6, 999_999_000, 33, 33, 1],
    ]);
    expect(recs[0].data).toEqual(payload(10, 1));
    expect(recs[1].data).toEqual(payload(33, 2));
  });

  it('a capture written by PcapWriter reads back exactly (and the test builder agrees with its layout)', async () => {
    expect(pcapFileHeader({ snaplen: 262144, linkType: 101 })).toEqual(pcapHeader({ linkType: 101 }));
    expect(pcapRecord({ sec: 9, frac: 8, data: Buffer.alloc(0), capLen: 7, origLen: 6 })).toEqual(
      recordHeader(9, 8000, 7, 6),
    );
    const path = join(dir, 'written.pcap');
    const w = new PcapWriter(path, { linkType: 101, nanosecond: true, bufferSize: 1 << 16 });
    w.write(1_700_000_000, 1, payload(20, 1), 1500);
    w.write(1_700_000_002, 999_999_999, payload(100_000, 2)); // larger than the write buffer
    w.close();
    const recs: [number, number, number, number, number][] = [];
    const info = await readCapture(path, (r) =>
      recs.push([r.tsSec, r.tsNsec, r.capLen, r.origLen, r.buf[r.offset + 5]]),
    );
    expect(info.format).toBe('pcap-ns');
    expect(info.linkTypes).toEqual([101]);
    expect(recs).toEqual([
      [1_700_000_000, 1, 20, 1500, payload(20, 1)[5]],
      [1_700_000_002, 999_999_999, 100_000, 100_000, payload(100_000, 2)[5]],
    ]);
  });

  it('FCS bits in the link-type field are allowed; the link type is the low 16 bits', async () => {
    const { recs, info } = await read(
      pcap([{ sec: 1, frac: 0, data: payload(20, 1) }], { linkType: 0x14000001 }),
    );
    expect(info.linkTypes).toEqual([1]);
    expect(recs[0].linkType).toBe(1);
  });

  it('a pcap with minor version 5 is read, with a warning', async () => {
    const { recs, info } = await read(pcap([{ sec: 3, frac: 4, data: payload(20, 1) }], { minor: 5 }));
    expect(recs.map((r) => [r.sec, r.nsec, r.capLen])).toEqual([[3, 4000, 20]]);
    expect(info.truncated).toBe(false);
    expect(info.warnings).toHaveLength(1);
    expect(info.warnings[0]).toMatch(/pcap version 2\.5/);
  });

  it.each([1, 3, 0])('a pcap with major version %i is rejected', async (major) => {
    const err = await failure(pcap([{ sec: 1, frac: 0, data: payload(20, 1) }], { major }));
    expect(err).toBeInstanceOf(CaptureFormatError);
    expect(err.message).toMatch(new RegExp(`unsupported pcap version ${major}\\.4`));
  });

  it.each([
    ['00010001', 0x00010001],
    ['02000001', 0x02000001],
    ['03ff0000', 0x03ff0000],
  ])('a pcap whose link-type field 0x%s has reserved bits set is rejected', async (_hex, linkType) => {
    const err = await failure(pcap([], { linkType }));
    expect(err).toBeInstanceOf(CaptureFormatError);
    expect(err.message).toMatch(/reserved bits/);
  });

  it('a sub-second field of a million or more is carried into the seconds, with a warning', async () => {
    const { recs, info } = await read(pcap([{ sec: 10, frac: 2_500_000, data: payload(20, 1) }]));
    expect(recs.map((r) => [r.sec, r.nsec])).toEqual([[12, 500_000_000]]);
    expect(info.warnings.join('\n')).toMatch(/invalid fractional second/);
  });

  it('a header with just the global header is an empty, complete capture', async () => {
    const { recs, info } = await read(pcap([], { le: false }));
    expect(recs).toEqual([]);
    expect(info).toMatchObject({ format: 'pcap', records: 0, truncated: false, warnings: [] });
  });
});

describe('pcap record length limits', () => {
  const small = (seed: number): PcapRecord => ({ sec: seed, frac: 0, data: payload(10, seed) });

  it('a record above 256 KiB under the default snaplen stops the reading and keeps the records before it', async () => {
    const big: PcapRecord = { sec: 3, frac: 0, data: payload(256 * 1024 + 1, 3) };
    const bytes = pcap([small(1), small(2), big, small(4)], { snaplen: 262144 });
    const { recs, info } = await read(bytes);
    expect(recs.map((r) => r.sec)).toEqual([1, 2]);
    expect(info.records).toBe(2);
    expect(info.truncated).toBe(true);
    expect(info.warnings).toHaveLength(1);
    expect(info.warnings[0]).toMatch(
      /record 3 at offset 76 claims 262145 captured bytes, above the 262144-byte limit/,
    );
  });

  it('a record of exactly 256 KiB is accepted even above a small snaplen (with a warning)', async () => {
    const bytes = pcap([small(1), { sec: 2, frac: 0, data: payload(262144, 2) }, small(3)], {
      snaplen: 65535,
    });
    const { recs, info } = await read(bytes, { file: true, chunkSize: 100_000 });
    expect(recs.map((r) => r.capLen)).toEqual([10, 262144, 10]);
    expect(recs[1].data.equals(payload(262144, 2))).toBe(true);
    expect(info.truncated).toBe(false);
    expect(info.warnings.join('\n')).toMatch(/captured length above snaplen/);
  });

  it('a 300 KiB record is accepted when the header snaplen is 1 MiB', async () => {
    const big = { sec: 2, frac: 0, data: payload(300 * 1024, 2) };
    const bytes = pcap([small(1), big, small(3)], { snaplen: 1 << 20 });
    for (const via of [FILE, { file: true, chunkSize: 4096 } as Via, { stream: 5000 } as Via]) {
      const { recs, info } = await read(bytes, via);
      expect(recs.map((r) => [r.sec, r.capLen])).toEqual([
        [1, 10],
        [2, 307200],
        [3, 10],
      ]);
      expect(recs[1].data.equals(big.data)).toBe(true);
      expect(info).toMatchObject({ truncated: false, warnings: [] });
    }
  });

  it('a record header claiming 17 MiB stops the reading whatever the snaplen says', async () => {
    const lie: PcapRecord = { sec: 2, frac: 0, data: payload(100, 2), capLen: 17 * 1024 * 1024 };
    const { recs, info } = await read(pcap([small(1), lie], { snaplen: 0xffffffff }));
    expect(recs.map((r) => r.sec)).toEqual([1]);
    expect(info.truncated).toBe(true);
    expect(info.warnings[0]).toMatch(/claims 17825792 captured bytes, above the 16777216-byte limit/);
  });
});

// -------------------------------------------------------------------------------------- pcapng

describe('pcapng sections and interfaces', () => {
  it('several sections of mixed byte order each declare their own interfaces', async () => {
    const bytes = Buffer.concat([
      shb(true, 1, 0, [comment('first section')]),
      idb(true, 1, 0, [ifName('eth0')]),
      epb(true, 0, 1_700_000_000_000_001n, payload(30, 1)),
      shb(false),
      idb(false, 101),
      idb(false, 113, 0, [tsresol(9)]),
      epb(false, 1, 1_700_000_000_500_000_000n, payload(31, 2)),
      epb(false, 0, 1_700_000_001_000_000n, payload(32, 3)),
      shb(true, 1, 2), // version 1.2 is also pcapng
      idb(true, 0),
      epb(true, 0, 5_000_000n, payload(33, 4), 1000),
    ]);
    const { recs, info } = await read(bytes);
    expect(info).toEqual({
      format: 'pcapng',
      compression: null,
      linkTypes: [1, 101, 113, 0],
      records: 4,
      bytesRead: bytes.length,
      truncated: false,
      warnings: [],
    });
    expect(
      recs.map((r) => [r.index, r.sec, r.nsec, r.linkType, r.ifId, r.capLen, r.origLen, r.hasTs]),
    ).toEqual([
      [0, 1_700_000_000, 1_000, 1, 0, 30, 30, true],
      [1, 1_700_000_000, 500_000_000, 113, 1, 31, 31, true],
      [2, 1_700_000_001, 0, 101, 0, 32, 32, true],
      [3, 5, 0, 0, 0, 33, 1000, true],
    ]);
    expect(recs.map((r) => r.data)).toEqual([payload(30, 1), payload(31, 2), payload(32, 3), payload(33, 4)]);
  });

  it('an interface declared in an earlier section is not carried into the next one', async () => {
    const bytes = Buffer.concat([
      shb(true),
      idb(true, 1),
      idb(true, 1),
      epb(true, 1, 1_000_000n, payload(20, 1)),
      shb(false),
      idb(false, 101),
      epb(false, 1, 2_000_000n, payload(20, 2)), // interface 1 belonged to the first section
      epb(false, 0, 3_000_000n, payload(20, 3)),
    ]);
    const { recs, info } = await read(bytes);
    expect(recs.map((r) => [r.sec, r.ifId, r.linkType])).toEqual([
      [1, 1, 1],
      [3, 0, 101],
    ]);
    expect(info.truncated).toBe(false);
    expect(info.warnings).toEqual([
      expect.stringMatching(/^packet on an undeclared interface: block at offset \d+ names interface 1 of 1/),
    ]);
  });

  it('an EPB on an undeclared interface is skipped with one warning, and reading goes on', async () => {
    const bytes = Buffer.concat([
      shb(true),
      idb(true, 1),
      epb(true, 0, 1_000_000n, payload(20, 1)),
      epb(true, 7, 2_000_000n, payload(20, 2)),
      pb(true, 9, 3_000_000n, payload(20, 3)),
      epb(true, 0, 4_000_000n, payload(20, 4)),
    ]);
    const { recs, info } = await read(bytes);
    expect(recs.map((r) => [r.index, r.sec, r.data[0]])).toEqual([
      [0, 1, payload(1, 1)[0]],
      [1, 4, payload(1, 4)[0]],
    ]);
    expect(info.records).toBe(2);
    expect(info.truncated).toBe(false);
    expect(info.warnings).toHaveLength(1);
    expect(info.warnings[0]).toMatch(
      /packet on an undeclared interface \(2 records; first: .*interface 7 of 1/,
    );
  });
});

describe('pcapng timestamps', () => {
  // [if_tsresol byte, units per second]
  const resolutions: [string, number, bigint][] = [
    ['10^-9', 9, 1_000_000_000n],
    ['10^-6', 6, 1_000_000n],
    ['10^-3', 3, 1_000n],
    ['10^0', 0, 1n],
    ['10^-10', 10, 10_000_000_000n],
    ['2^-20', 0x80 | 20, 1n << 20n],
    ['2^-30', 0x80 | 30, 1n << 30n],
  ];
  const stamps = (units: bigint): bigint[] =>
    [
      0n,
      1n,
      units - 1n,
      units,
      1_700_000_000n * units + units / 3n,
      1_700_000_000n * units + units - 1n,
      (1n << 53n) - 1n,
      1n << 53n,
      (1n << 53n) + 1n,
      0x200000n << 32n, // the first value whose upper word is 0x200000
      1_700_000_000_123_456_789n,
      (1n << 63n) + 12_345n,
      (1n << 64n) - 1n,
    ].filter((ts) => ts / units < 1n << 53n); // seconds must fit a double exactly

  it.each(resolutions)('if_tsresol %s gives exact seconds and nanoseconds', async (_name, code, units) => {
    for (const le of [true, false]) {
      const ts = stamps(units);
      const bytes = Buffer.concat([
        shb(le),
        idb(le, 1, 0, [tsresol(code)]),
        ...ts.map((t, i) => epb(le, 0, t, payload(8, i))),
      ]);
      const { recs, info } = await read(bytes);
      expect(info.warnings).toEqual([]);
      expect(recs.map((r) => [r.sec, r.nsec])).toEqual(ts.map((t) => exactTs(t, units)));
    }
  });

  it('without if_tsresol the unit is the microsecond', async () => {
    const bytes = Buffer.concat([
      shb(true),
      idb(true, 1),
      epb(true, 0, 1_700_000_000_654_321n, payload(8, 1)),
    ]);
    const { recs } = await read(bytes);
    expect(recs.map((r) => [r.sec, r.nsec])).toEqual([[1_700_000_000, 654_321_000]]);
  });

  it('a nanosecond timestamp above 2^53 (1,700,000,000.123456789 s) comes out exact in both byte orders', async () => {
    const ns = 1_700_000_000_123_456_789n;
    expect(ns > 1n << 53n).toBe(true);
    for (const le of [true, false]) {
      const packet = epb(le, 0, ns, payload(8, 1));
      const bytes = Buffer.concat([shb(le), idb(le, 1, 0, [tsresol(9)]), packet]);
      // The upper and lower words as stored in the block, in the section's byte order.
      const at = bytes.length - packet.length + 12;
      const hi = le ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at);
      const lo = le ? bytes.readUInt32LE(at + 4) : bytes.readUInt32BE(at + 4);
      expect((BigInt(hi) << 32n) | BigInt(lo)).toBe(ns);
      const { recs } = await read(bytes);
      expect(recs.map((r) => [r.sec, r.nsec])).toEqual([[1_700_000_000, 123_456_789]]);
      expect(formatTimestamp(recs[0].sec, recs[0].nsec)).toBe('1700000000.123456789');
    }
  });

  it('if_tsoffset adds whole seconds, positive or negative, in both byte orders', async () => {
    for (const le of [true, false]) {
      const bytes = Buffer.concat([
        shb(le),
        idb(le, 1, 0, [tsoffset(le, 1_000_000n)]),
        idb(le, 1, 0, [tsoffset(le, -100n)]),
        idb(le, 1, 0, [tsresol(9), tsoffset(le, 86_400n)]),
        idb(le, 1, 0, [tsoffset(le, -3_600n), tsresol(3)]),
        idb(le, 1, 0, [tsoffset(le, -(1n << 40n))]),
        epb(le, 0, 2_500_000n, payload(8, 0)), // 2.5 s + 1,000,000 s
        epb(le, 1, 50_250_000n, payload(8, 1)), // 50.25 s - 100 s = -49.75 s
        epb(le, 2, 1_700_000_000_123_456_789n, payload(8, 2)),
        epb(le, 3, 1_700_000_000_007n, payload(8, 3)),
        epb(le, 4, 3_000_000n, payload(8, 4)),
        pb(le, 1, 150_000_001n, payload(8, 5)), // PBs use the interface's offset too
      ]);
      const { recs, info } = await read(bytes);
      expect(info.warnings).toEqual([]);
      expect(recs.map((r) => [r.sec, r.nsec])).toEqual([
        [1_000_002, 500_000_000],
        [-50, 250_000_000],
        [1_700_086_400, 123_456_789],
        [1_699_996_400, 7_000_000],
        [3 - 2 ** 40, 0],
        [50, 1_000],
      ]);
      expect(formatTimestamp(recs[1].sec, recs[1].nsec)).toBe('-49.750000000');
    }
  });
});

describe('pcapng packet blocks', () => {
  it.each([
    ['little-endian', true],
    ['big-endian', false],
  ])(
    '%s Simple Packet Blocks carry no time; their lengths come from the block and the snaplen',
    async (_o, le) => {
      const bytes = Buffer.concat([
        shb(le),
        idb(le, 1, 64),
        epb(le, 0, 7_250_000n, payload(20, 1)),
        spb(le, 1500, payload(64, 2)), // cut to 64 by the snaplen when written
        spb(le, 1500, payload(100, 3)), // a block holding more than the snaplen: snaplen wins
        spb(le, 1500, payload(32, 4)), // a block holding less than the snaplen: the block wins
        spb(le, 40, payload(40, 5)),
        spb(le, 42, payload(42, 6)), // two padding bytes follow: not packet data
        epb(le, 0, 9_000_000n, payload(20, 7)),
      ]);
      const { recs, info } = await read(bytes);
      expect(info).toMatchObject({ records: 7, truncated: false, warnings: [] });
      expect(
        recs.map((r) => [r.index, r.hasTs, r.sec, r.nsec, r.capLen, r.origLen, r.ifId, r.linkType]),
      ).toEqual([
        [0, true, 7, 250_000_000, 20, 20, 0, 1],
        [1, false, 7, 250_000_000, 64, 1500, 0, 1],
        [2, false, 7, 250_000_000, 64, 1500, 0, 1],
        [3, false, 7, 250_000_000, 32, 1500, 0, 1],
        [4, false, 7, 250_000_000, 40, 40, 0, 1],
        [5, false, 7, 250_000_000, 42, 42, 0, 1],
        [6, true, 9, 0, 20, 20, 0, 1],
      ]);
      expect(recs.slice(1, 6).map((r) => r.data)).toEqual([
        payload(64, 2),
        payload(64, 3),
        payload(32, 4),
        payload(40, 5),
        payload(42, 6),
      ]);
    },
  );

  it('a Simple Packet Block without a snaplen is cut by its block only', async () => {
    const bytes = Buffer.concat([shb(true), idb(true, 101), spb(true, 9000, payload(1000, 1))]);
    const { recs } = await read(bytes);
    expect(recs.map((r) => [r.capLen, r.origLen, r.hasTs, r.linkType])).toEqual([[1000, 9000, false, 101]]);
    expect(recs[0].data).toEqual(payload(1000, 1));
  });

  it('obsolete Packet Blocks (type 2) are packets with their 16-bit interface id', async () => {
    for (const le of [true, false]) {
      const bytes = Buffer.concat([
        shb(le),
        idb(le, 1, 0, [tsresol(9)]),
        idb(le, 113),
        pb(le, 1, 5_500_000n, payload(25, 1), 60, 3),
        pb(le, 0, 1_700_000_000_123_456_789n, payload(26, 2)),
        epb(le, 1, 6_000_000n, payload(27, 3)),
      ]);
      const { recs, info } = await read(bytes);
      expect(info).toMatchObject({ linkTypes: [1, 113], truncated: false, warnings: [] });
      expect(recs.map((r) => [r.sec, r.nsec, r.capLen, r.origLen, r.ifId, r.linkType, r.hasTs])).toEqual([
        [5, 500_000_000, 25, 60, 1, 113, true],
        [1_700_000_000, 123_456_789, 26, 26, 0, 1, true],
        [6, 0, 27, 27, 1, 113, true],
      ]);
      expect(recs.map((r) => r.data)).toEqual([payload(25, 1), payload(26, 2), payload(27, 3)]);
    }
  });

  it('EPB options after the packet data do not leak into the packet', async () => {
    const bytes = Buffer.concat([
      shb(true),
      idb(true, 1),
      epb(true, 0, 1_000_000n, payload(13, 1), 13, [comment('a comment after 13 bytes of data')]),
    ]);
    const { recs } = await read(bytes);
    expect(recs.map((r) => [r.capLen, r.origLen])).toEqual([[13, 13]]);
    expect(recs[0].data).toEqual(payload(13, 1));
  });

  it.each([
    ['little-endian', true],
    ['big-endian', false],
  ])(
    '%s custom, name-resolution, statistics, decryption-secrets and unknown blocks are skipped',
    async (_o, le) => {
      const bytes = Buffer.concat([
        shb(le),
        nrb(le, [{ ip: [10, 0, 0, 1], name: 'gateway.example' }]), // before any interface: allowed
        idb(le, 1),
        custom(le, payload(17, 9), true),
        epb(le, 0, 1_000_000n, payload(20, 1)),
        custom(le, payload(3, 9), false),
        isb(le, 0, 1_500_000n, 10n, 1n),
        block(le, DSB_TYPE, Buffer.concat([Buffer.from('TLSK'), Buffer.alloc(4), Buffer.from('secret')])),
        block(le, 0x12345678, payload(5, 9)),
        block(le, 0x80000001, Buffer.alloc(0)), // a local-use block type, empty body
        epb(le, 0, 2_000_000n, payload(20, 2)),
      ]);
      const { recs, info } = await read(bytes);
      expect(info).toEqual({
        format: 'pcapng',
        compression: null,
        linkTypes: [1],
        records: 2,
        bytesRead: bytes.length,
        truncated: false,
        warnings: [],
      });
      expect(recs.map((r) => [r.index, r.sec, r.data])).toEqual([
        [0, 1, payload(20, 1)],
        [1, 2, payload(20, 2)],
      ]);
    },
  );

  it('a section with only a header and an interface is an empty, complete capture', async () => {
    const { recs, info } = await read(Buffer.concat([shb(false), idb(false, 228)]));
    expect(recs).toEqual([]);
    expect(info).toMatchObject({
      format: 'pcapng',
      linkTypes: [228],
      records: 0,
      truncated: false,
      warnings: [],
    });
  });
});

// ---------------------------------------------------------------------------- damage and cuts

describe('truncated and damaged captures keep what was read', () => {
  const pcapGood = pcap([
    { sec: 1, frac: 0, data: payload(100, 1) },
    { sec: 2, frac: 0, data: payload(100, 2) },
    { sec: 3, frac: 0, data: payload(100, 3) },
  ]);
  const rec2 = 24 + 116; // offset of the second record header

  it.each([4, 10, 23])('a pcap cut inside its global header (%i bytes) is rejected', async (cut) => {
    for (const [, via] of SOURCES) {
      const err = await failure(pcapGood.subarray(0, cut), via);
      expect(err).toBeInstanceOf(CaptureFormatError);
      expect(err.message).toMatch(new RegExp(`pcap global header cut short: ${cut} of 24 bytes`));
    }
  });

  it.each([
    ['inside a record header', rec2 + 7],
    ['just after a record header', rec2 + 16],
    ['inside record data', rec2 + 16 + 50],
    ['one byte before the end of a record', rec2 + 115],
  ])('a pcap cut %s delivers every complete record and says it was truncated', async (_w, cut) => {
    for (const [, via] of SOURCES) {
      const { recs, info } = await read(pcapGood.subarray(0, cut), via);
      expect(recs.map((r) => [r.sec, r.capLen])).toEqual([[1, 100]]);
      expect(recs[0].data).toEqual(payload(100, 1));
      expect(info.records).toBe(1);
      expect(info.truncated).toBe(true);
      expect(info.warnings).toEqual([
        `truncated: file ends inside a record at offset ${rec2} (${cut - rec2} bytes left over); kept the 1 records before it`,
      ]);
    }
  });

  it('a pcap that ends exactly between records is complete', async () => {
    const { recs, info } = await read(pcapGood.subarray(0, rec2 + 116));
    expect(recs).toHaveLength(2);
    expect(info).toMatchObject({ truncated: false, warnings: [] });
  });

  const ngHead = Buffer.concat([shb(true), idb(true, 1), epb(true, 0, 1_000_000n, payload(20, 1))]);
  const ngNext = epb(true, 0, 2_000_000n, payload(20, 2));
  const ngLast = epb(true, 0, 3_000_000n, payload(20, 3));

  it.each([
    ['inside the block header', 6],
    ['inside the block body', 30],
    ['before the trailing length', ngNext.length - 4],
    ['inside the trailing length', ngNext.length - 1],
  ])('a pcapng cut %s delivers every complete block', async (_w, cut) => {
    for (const [, via] of SOURCES) {
      const { recs, info } = await read(Buffer.concat([ngHead, ngNext.subarray(0, cut)]), via);
      expect(recs.map((r) => [r.sec, r.data])).toEqual([[1, payload(20, 1)]]);
      expect(info.truncated).toBe(true);
      expect(info.warnings).toHaveLength(1);
      expect(info.warnings[0]).toMatch(/^truncated: file ends inside a record at offset \d+/);
    }
  });

  it('a pcapng block whose leading and trailing lengths differ stops the reading, keeping earlier records', async () => {
    const bad = Buffer.from(ngNext);
    bad.writeUInt32LE(ngNext.length + 4, ngNext.length - 4);
    const { recs, info } = await read(Buffer.concat([ngHead, bad, ngLast]));
    expect(recs.map((r) => r.sec)).toEqual([1]);
    expect(info.truncated).toBe(true);
    expect(info.warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `leading and trailing block lengths differ \\(${ngNext.length} and ${ngNext.length + 4}\\); kept the 1 records`,
        ),
      ),
    ]);
  });

  it.each([
    ['not a multiple of 4', 46],
    ['below the 12-byte minimum', 8],
    ['far above any record', 0x7ffffffc],
  ])('a pcapng block length %s stops the reading, keeping earlier records', async (_w, len) => {
    const bad = Buffer.from(ngNext);
    bad.writeUInt32LE(len, 4);
    const { recs, info } = await read(Buffer.concat([ngHead, bad, ngLast]));
    expect(recs.map((r) => r.sec)).toEqual([1]);
    expect(info.truncated).toBe(true);
    expect(info.warnings.join('\n')).toMatch(new RegExp(`impossible length ${len}`));
  });

  it('an EPB whose captured length runs past its block stops the reading, keeping earlier records', async () => {
    const bad = Buffer.from(ngNext);
    bad.writeUInt32LE(21, 20); // 21 captured bytes in a block with room for 20
    const { recs, info } = await read(Buffer.concat([ngHead, bad, ngLast]));
    expect(recs.map((r) => r.sec)).toEqual([1]);
    expect(info.truncated).toBe(true);
    expect(info.warnings.join('\n')).toMatch(/claims 21 captured bytes/);
  });

  it('a pcapng whose first section header has mismatched lengths is rejected', async () => {
    const bad = Buffer.concat([shb(true), idb(true, 1)]);
    bad.writeUInt32LE(99, 24); // trailing length of the 28-byte SHB
    const err = await failure(bad);
    expect(err).toBeInstanceOf(CaptureFormatError);
    expect(err.message).toMatch(/leading and trailing block lengths differ/);
  });

  it('a pcapng section of version 2.0 is rejected', async () => {
    const err = await failure(Buffer.concat([shb(true, 2, 0), idb(true, 1)]));
    expect(err).toBeInstanceOf(CaptureFormatError);
    expect(err.message).toMatch(/unsupported pcapng version 2\.0/);
  });

  it.each([
    ['only the block type', 4],
    ['the block type and length', 8],
    ['most of the section header', 20],
  ])(
    'a pcapng cut inside its first section header (%s) is rejected like a cut pcap header',
    async (_w, cut) => {
      const err = await failure(Buffer.concat([shb(true), idb(true, 1)]).subarray(0, cut));
      expect(err).toBeInstanceOf(CaptureFormatError);
    },
  );
});

describe('inputs that are not captures', () => {
  it.each([
    ['an empty file', Buffer.alloc(0), /empty file/],
    ['a 3-byte file', Buffer.from([0xd4, 0xc3, 0xb2]), /file too short for a capture header \(3 bytes\)/],
    ['a PNG image', Buffer.from('89504e470d0a1a0a0000000d4948445200000001', 'hex'), /\(a PNG image\)/],
    ['a text file', Buffer.from('time,src,dst\n1,10.0.0.1,10.0.0.2\n'), /not a pcap or pcapng capture/],
  ])('%s is rejected with a one-line CaptureFormatError naming the file', async (_what, bytes, reason) => {
    const path = tempFile(bytes);
    const err = await readCapture(path, () => {}).then(
      () => new Error('was read'),
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(CaptureFormatError);
    expect(err.name).toBe('CaptureFormatError');
    expect(err.message).toMatch(reason);
    expect(err.message.startsWith(`${path}: `)).toBe(true);
    expect(err.message).not.toContain('\n');
    const fromStream = await failure(bytes, { stream: 1 });
    expect(fromStream).toBeInstanceOf(CaptureFormatError);
    expect(fromStream.message).toMatch(reason);
    expect(fromStream.message.startsWith('stream: ')).toBe(true);
  });

  it('a missing file is rejected with a CaptureFormatError saying so', async () => {
    const path = join(dir, 'does-not-exist.pcap');
    await expect(readCapture(path, () => {})).rejects.toThrow(
      expect.objectContaining({ name: 'CaptureFormatError', message: `${path}: cannot open: no such file` }),
    );
  });

  it('gzip-compressed text is rejected as not a capture', async () => {
    const err = await failure(gzipSync(Buffer.from('just some text, compressed\n'.repeat(10))));
    expect(err).toBeInstanceOf(CaptureFormatError);
    expect(err.message).toMatch(/not a pcap or pcapng capture/);
  });
});

// ------------------------------------------------------------------- sources, chunks and gzip

describe('sources, chunk sizes and compression', () => {
  const pcapSample = pcap(
    Array.from({ length: 40 }, (_, i) => ({
      sec: 1_700_000_000 + i,
      frac: i * 24_999,
      data: payload((i * 173) % 1600, i),
      origLen: 1600,
    })),
    { le: false, nano: false, snaplen: 1600, linkType: 1 },
  );
  const pcapngSample = Buffer.concat([
    shb(true, 1, 0, [comment('section one')]),
    idb(true, 1, 0, [tsresol(9)]),
    idb(true, 113, 128),
    ...Array.from({ length: 15 }, (_, i) =>
      epb(true, i % 2, 1_700_000_000_000_000_000n + BigInt(i) * 1_000_000_007n, payload(60 + i * 97, i)),
    ),
    custom(true, payload(10, 1)),
    spb(true, 1500, payload(128, 50)),
    shb(false),
    nrb(false, [{ ip: [192, 168, 0, 1], name: 'router' }]),
    idb(false, 101, 0, [tsresol(0x80 | 20), tsoffset(false, -7n)]),
    ...Array.from({ length: 15 }, (_, i) => epb(false, 0, BigInt(i) << 19n, payload(1 + i * 131, 100 + i))),
    pb(false, 0, 1n << 40n, payload(77, 200)),
    isb(false, 0, 0n),
  ]);
  const samples: [string, Buffer, number][] = [
    ['big-endian pcap', pcapSample, 40],
    ['mixed-order pcapng', pcapngSample, 32],
  ];

  it.each(samples)(
    'a %s read as a stream in 1-, 3- and 7-byte pieces gives the same records',
    async (_n, bytes, n) => {
      const whole = await read(bytes);
      expect(whole.recs).toHaveLength(n);
      for (const size of [1, 3, 7]) {
        const chunked = await read(bytes, { stream: size });
        expect(chunked.recs).toEqual(whole.recs);
        expect(chunked.info).toEqual(whole.info);
      }
      // Irregular pieces: a stream is not obliged to keep any size.
      const odd = await read(bytes, { stream: [1, 2, 500, 3, 4095, 7, 11, 1, 64] });
      expect(odd.recs).toEqual(whole.recs);
    },
  );

  it.each(samples)(
    'a %s read from a file with 5-byte and 64-byte reads gives the same records',
    async (_n, bytes) => {
      const whole = await read(bytes, { stream: bytes.length });
      for (const chunkSize of [5, 64, 1000]) {
        const chunked = await read(bytes, { file: true, chunkSize });
        expect(chunked.recs).toEqual(whole.recs);
        expect(chunked.info).toEqual(whole.info);
      }
    },
  );

  it('a record of 3 MiB, larger than the read size and the reader headroom, is delivered intact', async () => {
    const big = payload(3 * 1024 * 1024, 9);
    const bytes = pcap(
      [
        { sec: 1, frac: 0, data: payload(100, 1) },
        { sec: 2, frac: 0, data: big },
        { sec: 3, frac: 0, data: payload(100, 3) },
      ],
      { snaplen: 4 * 1024 * 1024 },
    );
    const ng = Buffer.concat([
      shb(false),
      idb(false, 1),
      epb(false, 0, 1_000_000n, payload(100, 1)),
      epb(false, 0, 2_000_000n, big),
      epb(false, 0, 3_000_000n, payload(100, 3)),
    ]);
    for (const b of [bytes, ng]) {
      for (const via of [{ file: true, chunkSize: 64 * 1024 } as Via, { stream: 64 * 1024 } as Via]) {
        const { recs, info } = await read(b, via);
        expect(recs.map((r) => [r.sec, r.capLen])).toEqual([
          [1, 100],
          [2, big.length],
          [3, 100],
        ]);
        expect(recs[1].data.equals(big)).toBe(true);
        expect(recs[2].data).toEqual(payload(100, 3));
        expect(info).toMatchObject({ truncated: false, warnings: [], bytesRead: b.length });
      }
    }
  });

  it.each(samples)(
    'a gzip-compressed %s gives the same records from a file and from a stream',
    async (_n, bytes) => {
      const plain = await read(bytes);
      const gz = gzipSync(bytes);
      const fromFile = await read(gz);
      const fromStream = await read(gz, { stream: 100 });
      const fromWholeStream = await read(gz, { stream: gz.length });
      for (const got of [fromFile, fromStream, fromWholeStream]) {
        expect(got.recs).toEqual(plain.recs);
        expect(got.info).toEqual({ ...plain.info, compression: 'gzip' });
      }
    },
  );

  it.each([1, 3, 7])(
    'a gzip-compressed capture streamed in %i-byte pieces is still recognised',
    async (size) => {
      const plain = await read(pcapngSample);
      const got = await read(gzipSync(pcapngSample), { stream: size });
      expect(got.info.compression).toBe('gzip');
      expect(got.recs).toEqual(plain.recs);
    },
  );

  it.each([1, 5])(
    'a gzip-compressed capture file read %i bytes at a time is still recognised',
    async (chunkSize) => {
      const plain = await read(pcapSample);
      const got = await read(gzipSync(pcapSample), { file: true, chunkSize });
      expect(got.info.compression).toBe('gzip');
      expect(got.recs).toEqual(plain.recs);
    },
  );

  it('a cut gzip file keeps the records inflated before the cut', async () => {
    const plain = await read(pcapSample);
    const gz = gzipSync(pcapSample, { level: 1 });
    const { recs, info } = await read(gz.subarray(0, Math.floor(gz.length * 0.6)));
    expect(info.compression).toBe('gzip');
    expect(recs.length).toBeGreaterThan(5);
    expect(recs.length).toBeLessThan(40);
    expect(recs).toEqual(plain.recs.slice(0, recs.length));
    expect(info.truncated).toBe(true);
    expect(info.warnings.join('\n')).toMatch(/compressed data damaged/);
  });

  it('onProgress reports bytes read rising to the file size', async () => {
    const seen: ReadProgress[] = [];
    const { info } = await read(pcapngSample, { file: true, chunkSize: 512 }, (p) => seen.push({ ...p }));
    expect(seen.length).toBeGreaterThan(5);
    for (let i = 1; i < seen.length; i++)
      expect(seen[i].bytesRead).toBeGreaterThanOrEqual(seen[i - 1].bytesRead);
    expect(seen.every((p) => p.totalBytes === pcapngSample.length)).toBe(true);
    expect(seen.at(-1)).toEqual({
      bytesRead: pcapngSample.length,
      totalBytes: pcapngSample.length,
      records: 32,
    });
    expect(info.bytesRead).toBe(pcapngSample.length);
  });

  it('onProgress counts compressed bytes for a gzip file and stream bytes for a stream', async () => {
    const gz = gzipSync(pcapSample);
    const fileSeen: ReadProgress[] = [];
    await read(gz, { file: true, chunkSize: 256 }, (p) => fileSeen.push({ ...p }));
    expect(fileSeen.at(-1)).toEqual({ bytesRead: gz.length, totalBytes: gz.length, records: 40 });
    const streamSeen: ReadProgress[] = [];
    await read(pcapSample, { stream: 1000 }, (p) => streamSeen.push({ ...p }));
    expect(streamSeen.at(-1)).toEqual({ bytesRead: pcapSample.length, totalBytes: null, records: 40 });
  });

  it('an aborted read stops with the abort, not a format error', async () => {
    const path = tempFile(pcapSample);
    const err = await readCapture(path, () => {}, { signal: AbortSignal.abort() }).then(
      () => new Error('was read'),
      (e: Error) => e,
    );
    expect(err.name).toBe('AbortError');
    expect(err).not.toBeInstanceOf(CaptureFormatError);
  });
});

describe('reading that ends early', () => {
  /** What a promise came to within `ms`, or 'still pending' (a hang). */
  async function settled<T>(
    p: Promise<T>,
    ms = 3000,
  ): Promise<{ value: T } | { error: Error } | 'still pending'> {
    let timer: NodeJS.Timeout | undefined;
    const pending = new Promise<'still pending'>((resolve) => {
      timer = setTimeout(() => resolve('still pending'), ms);
    });
    try {
      return await Promise.race([
        p.then(
          (value) => ({ value }),
          (error: Error) => ({ error }),
        ),
        pending,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  // 3,000 records of 1,000 bytes, about 33 KB compressed: more than zlib's 16 KiB write buffer, so
  // the reader is still feeding the inflater when it stops. The third record header claims 1 GiB.
  const damaged = pcap(
    Array.from({ length: 3000 }, (_, i) => ({
      sec: i,
      frac: 0,
      data: payload(1000, i),
      capLen: i === 2 ? 0x40000000 : undefined,
    })),
  );
  const damagedGz = gzipSync(damaged);
  const intactGz = gzipSync(
    pcap(Array.from({ length: 3000 }, (_, i) => ({ sec: i, frac: 0, data: payload(1000, i) }))),
  );

  it('a plain capture with a damaged record header part-way stops with the records before it', async () => {
    expect(damagedGz.length).toBeGreaterThan(16 * 1024);
    expect(intactGz.length).toBeGreaterThan(16 * 1024);
    for (const via of [FILE, { stream: damaged.length } as Via]) {
      const { recs, info } = await read(damaged, via);
      expect(recs.map((r) => r.sec)).toEqual([0, 1]);
      expect(info.truncated).toBe(true);
    }
  });

  it.each([
    ['a file', () => tempFile(damagedGz)],
    ['a stream', () => Readable.from([damagedGz])],
  ])(
    'a gzip capture from %s with a damaged record header part-way stops instead of hanging',
    async (_w, source) => {
      let records = 0;
      const outcome = await settled(readCapture(source(), () => records++));
      expect(outcome).not.toBe('still pending');
      expect(outcome).toMatchObject({ value: { compression: 'gzip', records: 2, truncated: true } });
      expect(records).toBe(2);
    },
  );

  it('an exception thrown by onRecord rejects readCapture with it (plain file and stream)', async () => {
    const bytes = pcap(Array.from({ length: 20 }, (_, i) => ({ sec: i, frac: 0, data: payload(100, i) })));
    for (const source of [tempFile(bytes), Readable.from([bytes])]) {
      let n = 0;
      const outcome = await settled(
        readCapture(source, () => {
          if (++n === 5) throw new Error('consumer gave up');
        }),
      );
      expect(outcome).toEqual({ error: new Error('consumer gave up') });
    }
  });

  it.each([
    ['a file', () => tempFile(intactGz)],
    ['a stream', () => Readable.from([intactGz])],
  ])(
    'an exception thrown by onRecord while reading a gzip capture from %s rejects instead of hanging',
    async (_w, source) => {
      let n = 0;
      const outcome = await settled(
        readCapture(source(), () => {
          if (++n === 5) throw new Error('consumer gave up');
        }),
      );
      expect(outcome).toEqual({ error: new Error('consumer gave up') });
    },
  );

  it.each([
    ['a file', (b: Buffer) => tempFile(b)],
    ['a stream', (b: Buffer) => Readable.from([b])],
  ])(
    'a gzip capture from %s damaged in its compressed data keeps the records before the damage instead of hanging',
    async (_w, source) => {
      const bad = Buffer.from(intactGz);
      for (let k = 0; k < 8; k++) bad[Math.floor(bad.length / 2) + k * 13] ^= 0x55;
      let records = 0;
      const outcome = await settled(readCapture(source(bad), () => records++));
      expect(outcome).not.toBe('still pending');
      expect(outcome).toHaveProperty('value.compression', 'gzip');
      // Either zlib notices the damage, or the garbage it inflated stops the reading: a warning either way.
      const info = (outcome as { value: CaptureInfo }).value;
      expect(info.warnings.join('\n')).toMatch(/compressed data damaged|truncated/);
      expect(records).toBeGreaterThan(1000); // the damage is half-way through 3,000 records
    },
  );

  it('aborting the read of a stream part-way rejects with the AbortError', async () => {
    const bytes = pcap(Array.from({ length: 200 }, (_, i) => ({ sec: i, frac: 0, data: payload(100, i) })));
    const ac = new AbortController();
    let n = 0;
    const outcome = await settled(
      readCapture(
        Readable.from(pieces(bytes, 500)),
        () => {
          if (++n === 5) ac.abort();
        },
        { signal: ac.signal },
      ),
    );
    expect(outcome).toMatchObject({ error: { name: 'AbortError' } });
    expect(n).toBeLessThan(200);
  });

  it('aborting the read of a gzip capture part-way rejects with the abort instead of hanging', async () => {
    const ac = new AbortController();
    let n = 0;
    const outcome = await settled(
      readCapture(
        tempFile(intactGz),
        () => {
          if (++n === 5) ac.abort();
        },
        { signal: ac.signal, chunkSize: 4096 },
      ),
    );
    expect(outcome).not.toBe('still pending');
    expect(outcome).toMatchObject({ error: { name: 'AbortError' } });
  });
});
