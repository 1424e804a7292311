import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureFormatError, type CaptureInfo, readCapture } from '../src/capture/index.js';
import { block, epb, idb, pb, pcap, shb, spb, tsoffset, tsresol } from './helpers/pcapng.js';

interface Got {
  sec: number;
  nsec: number;
  capLen: number;
  origLen: number;
  linkType: number;
  ifId: number;
  hasTs: boolean;
  first: number;
}

const dir = mkdtempSync(join(tmpdir(), 'flowlens-reader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(bytes: Buffer): string {
  const path = join(dir, `f${n++}`);
  writeFileSync(path, bytes);
  return path;
}

async function read(
  source: Buffer | string,
  opts: { chunkSize?: number; stream?: boolean; streamChunk?: number } = {},
): Promise<{ recs: Got[]; info: CaptureInfo }> {
  const recs: Got[] = [];
  let input: string | Readable;
  if (typeof source === 'string') input = source;
  else if (opts.stream) {
    const size = opts.streamChunk ?? source.length;
    const parts: Buffer[] = [];
    for (let i = 0; i < source.length; i += size) parts.push(source.subarray(i, i + size));
    input = Readable.from(parts);
  } else input = file(source);
  const info = await readCapture(
    input,
    (r) => {
      recs.push({
        sec: r.tsSec,
        nsec: r.tsNsec,
        capLen: r.capLen,
        origLen: r.origLen,
        linkType: r.linkType,
        ifId: r.interfaceId,
        hasTs: r.hasTimestamp,
        first: r.capLen > 0 ? r.buf[r.offset] : -1,
      });
    },
    { chunkSize: opts.chunkSize },
  );
  return { recs, info };
}

const data = (len: number, first = 0xaa) => Buffer.alloc(len, first);

describe('pcap', () => {
  it.each([
    ['little-endian microseconds', true, false],
    ['big-endian microseconds', false, false],
    ['little-endian nanoseconds', true, true],
    ['big-endian nanoseconds', false, true],
  ])('%s: timestamps, lengths and link type come out exactly', async (_name, le, nano) => {
    const bytes = pcap(
      [
        { sec: 1_700_000_000, frac: nano ? 123_456_789 : 123_456, data: data(60, 1), origLen: 1514 },
        { sec: 1_700_000_001, frac: 0, data: data(42, 2) },
      ],
      { le, nano, linkType: 113 },
    );
    const { recs, info } = await read(bytes);
    expect(info.format).toBe(nano ? 'pcap-ns' : 'pcap');
    expect(info.linkTypes).toEqual([113]);
    expect(recs).toEqual([
      {
        sec: 1_700_000_000,
        nsec: nano ? 123_456_789 : 123_456_000,
        capLen: 60,
        origLen: 1514,
        linkType: 113,
        ifId: 0,
        hasTs: true,
        first: 1,
      },
      { sec: 1_700_000_001, nsec: 0, capLen: 42, origLen: 42, linkType: 113, ifId: 0, hasTs: true, first: 2 },
    ]);
  });

  it('the modified-pcap magic (24-byte record headers) is read', async () => {
    const header = pcap([], {});
    header.writeUInt32LE(0xa1b2cd34, 0);
    const rec = Buffer.alloc(24 + 10);
    rec.writeUInt32LE(5, 0);
    rec.writeUInt32LE(7, 4);
    rec.writeUInt32LE(10, 8);
    rec.writeUInt32LE(10, 12);
    rec.fill(0x33, 24);
    const { recs } = await read(Buffer.concat([header, rec]));
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatchObject({ sec: 5, nsec: 7000, capLen: 10, first: 0x33 });
  });

  it('a record over 256 KiB stops the reading unless the snaplen allows it', async () => {
    const big = { sec: 1, frac: 0, data: data(300 * 1024) };
    const small = { sec: 0, frac: 0, data: data(10) };
    const strict = await read(pcap([small, big], { snaplen: 65535 }));
    expect(strict.recs).toHaveLength(1);
    expect(strict.info.truncated).toBe(true);
    expect(strict.info.warnings.join()).toMatch(/record 2 .*307200 captured bytes/);
    const allowed = await read(pcap([small, big], { snaplen: 1 << 20 }), { chunkSize: 4096 });
    expect(allowed.recs.map((r) => r.capLen)).toEqual([10, 300 * 1024]);
    expect(allowed.info.truncated).toBe(false);
  });

  it('minor version 5 is read with a warning; major version 1 and reserved link-type bits are refused', async () => {
    const odd = await read(pcap([{ sec: 1, frac: 0, data: data(20) }], { minor: 5 }));
    expect(odd.recs).toHaveLength(1);
    expect(odd.info.warnings.join()).toMatch(/2\.5/);
    await expect(read(pcap([], { major: 1 }))).rejects.toThrow(CaptureFormatError);
    await expect(read(pcap([], { linkType: 0x00300001 }))).rejects.toThrow(/reserved bits/);
  });

  it('a sub-second field of a million or more carries into the seconds, with a warning', async () => {
    const { recs, info } = await read(pcap([{ sec: 10, frac: 2_500_000, data: data(20) }]));
    expect(recs[0]).toMatchObject({ sec: 12, nsec: 500_000_000 });
    expect(info.warnings.join()).toMatch(/fractional second/);
  });
});

describe('truncated and foreign files', () => {
  const good = pcap([
    { sec: 1, frac: 0, data: data(100) },
    { sec: 2, frac: 0, data: data(100) },
  ]);

  it.each([
    ['inside the global header', 10, 'error'],
    ['inside a record header', 24 + 116 + 7, 1],
    ['inside record data', 24 + 116 + 16 + 50, 1],
  ])('a file cut %s keeps every complete record', async (_where, cut, want) => {
    const bytes = good.subarray(0, cut as number);
    if (want === 'error') {
      await expect(read(bytes)).rejects.toThrow(/global header cut short/);
      return;
    }
    const { recs, info } = await read(bytes);
    expect(recs).toHaveLength(want as number);
    expect(info.truncated).toBe(true);
    expect(info.warnings.join()).toMatch(/file ends inside a record/);
  });

  it.each([
    ['an empty file', Buffer.alloc(0), /empty file/],
    ['a 3-byte file', Buffer.from([0xd4, 0xc3, 0xb2]), /too short/],
    ['a PNG', Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), /PNG image/],
    ['text', Buffer.from('time,src,dst\n1,a,b\n'), /not a pcap or pcapng capture/],
  ])('%s is refused with a one-line reason naming the file', async (_what, bytes, message) => {
    const path = file(bytes);
    const err = await readCapture(path, () => {}).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CaptureFormatError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message.startsWith(path)).toBe(true);
    expect((err as Error).message).not.toContain('\n');
  });
});

describe('pcapng', () => {
  it('several sections of either byte order each declare their own interfaces', async () => {
    const bytes = Buffer.concat([
      shb(true),
      idb(true, 1),
      epb(true, 0, 1_700_000_000_000_001n, data(30, 1)),
      shb(false),
      idb(false, 101),
      idb(false, 113),
      epb(false, 1, 1_700_000_000_500_000n, data(31, 2)),
      epb(false, 0, 1_700_000_001_000_000n, data(32, 3)),
    ]);
    const { recs, info } = await read(bytes);
    expect(info.format).toBe('pcapng');
    expect(info.linkTypes).toEqual([1, 101, 113]);
    expect(recs.map((r) => [r.sec, r.nsec, r.linkType, r.ifId, r.capLen, r.first])).toEqual([
      [1_700_000_000, 1_000, 1, 0, 30, 1],
      [1_700_000_000, 500_000_000, 113, 1, 31, 2],
      [1_700_000_001, 0, 101, 0, 32, 3],
    ]);
  });

  it('if_tsresol (decimal and binary) and if_tsoffset give exact times', async () => {
    const le = true;
    const bytes = Buffer.concat([
      shb(le),
      idb(le, 1, 0, [tsresol(9)]),
      idb(le, 1, 0, [tsresol(3)]),
      idb(le, 1, 0, [tsresol(0x80 | 20)]),
      idb(le, 1, 0, [tsoffset(le, 1_000_000n)]),
      idb(le, 1, 0, [tsoffset(le, -100n)]),
      // Nanoseconds since 1970 are above 2^53: the reader must not lose the last digits.
      epb(le, 0, 1_700_000_000_123_456_789n, data(10)),
      epb(le, 1, 1_700_000_000_123n, data(10)),
      epb(le, 2, (5n << 20n) + (1n << 19n), data(10)), // 5.5 s in units of 2^-20 s
      epb(le, 3, 2_000_000n, data(10)), // 2 s of µs, plus 1,000,000 s
      epb(le, 4, 50_000_000n, data(10)), // 50 s of µs, minus 100 s
    ]);
    const { recs } = await read(bytes);
    expect(recs.map((r) => [r.sec, r.nsec])).toEqual([
      [1_700_000_000, 123_456_789],
      [1_700_000_000, 123_000_000],
      [5, 500_000_000],
      [1_000_002, 0],
      [-50, 0],
    ]);
  });

  it('Simple and obsolete Packet Blocks are packets; custom, name and statistics blocks are skipped', async () => {
    const le = false;
    const bytes = Buffer.concat([
      shb(le),
      idb(le, 1, 64),
      epb(le, 0, 7_000_000n, data(20, 1)),
      spb(le, 1500, data(64, 2)), // original 1500 bytes, 64 captured (snaplen)
      block(le, 0x00000bad, Buffer.alloc(16, 9)), // custom block
      block(le, 4, Buffer.alloc(8)), // name resolution
      block(le, 5, Buffer.alloc(20)), // interface statistics
      block(le, 0x12345678, Buffer.alloc(4)), // unknown
      pb(le, 0, 9_000_000n, data(20, 3)),
    ]);
    const { recs, info } = await read(bytes);
    expect(info.truncated).toBe(false);
    expect(recs.map((r) => [r.first, r.capLen, r.origLen, r.hasTs, r.sec])).toEqual([
      [1, 20, 20, true, 7],
      [2, 64, 1500, false, 7], // no timestamp of its own: the previous one is carried
      [3, 20, 20, true, 9],
    ]);
  });

  it('damage after good blocks keeps them: a cut block, mismatched lengths, an undeclared interface', async () => {
    const head = Buffer.concat([shb(true), idb(true, 1), epb(true, 0, 1n, data(20))]);
    const next = epb(true, 0, 2n, data(20));
    const cut = await read(Buffer.concat([head, next.subarray(0, 30)]));
    expect(cut.recs).toHaveLength(1);
    expect(cut.info.truncated).toBe(true);
    const bad = Buffer.from(next);
    bad.writeUInt32LE(next.length + 4, next.length - 4);
    const mismatch = await read(Buffer.concat([head, bad, next]));
    expect(mismatch.recs).toHaveLength(1);
    expect(mismatch.info.warnings.join()).toMatch(/block lengths differ/);
    const stray = await read(Buffer.concat([head, epb(true, 7, 3n, data(20)), next]));
    expect(stray.recs).toHaveLength(2);
    expect(stray.info.warnings.join()).toMatch(/interface 7/);
  });

  it('unsupported section versions and options that overrun a section header are refused', async () => {
    await expect(read(Buffer.concat([shb(true, 1, 1), idb(true, 1)]))).rejects.toThrow(/version 1\.1/);
    const overrun = shb(true, 1, 0, [{ code: 2, value: Buffer.from('hi') }]);
    overrun.writeUInt16LE(200, 26); // the option's length now runs past the block
    await expect(read(overrun)).rejects.toThrow(/runs past the end of the block/);
  });
});

describe('sources', () => {
  const bytes = Buffer.concat([
    shb(true),
    idb(true, 1, 0, [tsresol(9)]),
    ...Array.from({ length: 50 }, (_, i) => epb(true, 0, BigInt(i) * 1_000_000_007n, data(60 + i * 37, i))),
  ]);

  it('gzip-compressed captures are read from a file and from a stream, recognised by magic', async () => {
    const plain = await read(bytes);
    const gz = gzipSync(bytes);
    const fromFile = await read(gz);
    const fromStream = await read(gz, { stream: true, streamChunk: 100 });
    expect(fromFile.info.compression).toBe('gzip');
    expect(fromFile.recs).toEqual(plain.recs);
    expect(fromStream.recs).toEqual(plain.recs);
  });

  it.each([1, 3, 7, 64])('a stream in %i-byte chunks gives the same records as one read', async (size) => {
    const whole = await read(bytes);
    const chunked = await read(bytes, { stream: true, streamChunk: size });
    expect(chunked.recs).toEqual(whole.recs);
    expect(chunked.recs).toHaveLength(50);
  });

  it('a file read in tiny chunks, with records larger than a chunk, gives the same records', async () => {
    const whole = await read(bytes);
    for (const chunkSize of [5, 64, 1000])
      expect((await read(bytes, { chunkSize })).recs).toEqual(whole.recs);
  });

  it('progress reaches the file size', async () => {
    const path = file(bytes);
    let last = { bytesRead: 0, totalBytes: null as number | null, records: 0 };
    await readCapture(path, () => {}, {
      chunkSize: 512,
      onProgress: (p) => {
        last = p;
      },
    });
    expect(last).toEqual({ bytesRead: bytes.length, totalBytes: bytes.length, records: 50 });
  });
});
