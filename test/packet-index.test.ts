import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  blockEnd,
  blockEndRecord,
  blockPrelude,
  type PacketIndex,
  PacketIndexBuilder,
  PacketIndexError,
  parsePacketIndex,
  readCapture,
  readCaptureRanges,
  serializePacketIndex,
} from '../src/capture/index.js';
import { copyRecord, type ReadBack, readAll, smallBlockIndex } from './helpers/extract.js';
import { TCP, tcpFrame, writeCapture } from './helpers/packets.js';
import { epb, idb, shb, spb } from './helpers/pcapng.js';
import { hasSharedPcaps, realCaptures, SHARED_PCAPS } from './helpers/shared.js';

async function indexOf(
  source: string | Buffer,
  blockBytes: number,
  blockRecords: number,
  chunkSize?: number,
) {
  const builder = new PacketIndexBuilder(blockBytes, blockRecords);
  const input = typeof source === 'string' ? source : Readable.from([source]);
  const info = await readCapture(input, () => undefined, { index: builder, chunkSize });
  return builder.finish(info)!;
}

/** Reads every block on its own from the index's offsets, as extraction does. */
async function readEachBlock(path: string, index: PacketIndex): Promise<ReadBack[][]> {
  const fh = await open(path, 'r');
  try {
    const out: ReadBack[][] = [];
    for (let i = 0; i < index.blocks.count; i++) {
      const got: ReadBack[] = [];
      const b = index.blocks;
      await readCaptureRanges(
        fh,
        [
          {
            prelude: blockPrelude(index, i),
            start: b.offset[i],
            end: blockEnd(index, i),
            firstRecord: b.firstRecord[i],
            carrySec: b.carrySec[i],
            carryNsec: b.carryNsec[i],
          },
        ],
        (rec) => {
          // (A plain check: expect() per record would be most of the test's time.)
          if (rec.index !== b.firstRecord[i] + got.length) throw new Error(`record ${rec.index} misnumbered`);
          got.push(copyRecord(rec));
        },
      );
      out.push(got);
    }
    return out;
  } finally {
    await fh.close();
  }
}

/** One hash of the records (deep equality of 100,000 records is slow). */
function digest(records: ReadBack[]): string {
  const h = createHash('sha256');
  for (const r of records) {
    h.update(`${r.sec} ${r.nsec} ${r.capLen} ${r.origLen} ${r.linkType} ${r.ifId} ${r.hasTs}|`);
    h.update(r.data);
  }
  return `${records.length} records, ${h.digest('hex')}`;
}

function later(a: ReadBack, sec: number, nsec: number): boolean {
  return a.sec > sec || (a.sec === sec && a.nsec > nsec);
}

describe('packet index', () => {
  it('blocks of a capture whose clock goes back hold each record once, with the second of the earliest and latest of each', async () => {
    const frames = [];
    // Times jump back and forth so a block's first record is not its earliest.
    const times = [50, 10, 30, 20, 90, 5, 70, 71, 72, 1, 99, 60];
    for (let i = 0; i < 60; i++) {
      const t = times[i % times.length] + Math.floor(i / times.length) * 100;
      frames.push({
        sec: 1_700_000_000 + t,
        nsec: (i * 7919) % 1_000_000_000,
        data: tcpFrame('10.0.0.1', '10.0.0.2', { sport: 1000 + i, dport: 80, flags: TCP.SYN }),
      });
    }
    const path = writeCapture(frames);
    const index = await indexOf(path, 1 << 20, 7);
    const records = await readAll(path);
    expect(index.records).toBe(60);
    expect(index.blocks.count).toBe(Math.ceil(60 / 7));
    const b = index.blocks;
    for (let i = 0; i < b.count; i++) {
      const mine = records.slice(b.firstRecord[i], blockEndRecord(index, i));
      const lo = mine.reduce((m, r) => (later(m, r.sec, r.nsec) ? r : m));
      const hi = mine.reduce((m, r) => (later(r, m.sec, m.nsec) ? r : m));
      expect([b.minSec[i], b.maxSec[i]]).toEqual([lo.sec, hi.sec]);
    }
    expect(blockEnd(index, b.count - 1)).toBe(readFileSync(path).length);
  });

  it('is the same whatever the read chunk size, and cuts blocks by bytes as well as by records', async () => {
    const frames = [];
    for (let i = 0; i < 300; i++) {
      frames.push({
        sec: 1_700_000_000 + i,
        nsec: 0,
        data: tcpFrame('10.0.0.1', '10.0.0.2', {
          sport: 1000,
          dport: 80,
          flags: TCP.ACK,
          payload: Buffer.alloc(i % 700),
        }),
      });
    }
    const path = writeCapture(frames);
    const whole = serializePacketIndex(await indexOf(path, 8192, 1000));
    for (const chunk of [1000, 4096, 65536]) {
      expect(serializePacketIndex(await indexOf(path, 8192, 1000, chunk))).toEqual(whole);
    }
    // From a stream in odd pieces (an upload), as from the file.
    const bytes = readFileSync(path);
    const pieces: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += 777) pieces.push(bytes.subarray(at, at + 777));
    const builder = new PacketIndexBuilder(8192, 1000);
    const info = await readCapture(Readable.from(pieces), () => undefined, { index: builder });
    expect(serializePacketIndex(builder.finish(info)!)).toEqual(whole);
    const index = parsePacketIndex(whole);
    for (let i = 0; i + 1 < index.blocks.count; i++) {
      // A block ends at the first record starting 8192 bytes or more after its own start.
      expect(index.blocks.offset[i + 1] - index.blocks.offset[i]).toBeGreaterThanOrEqual(8192);
      expect(index.blocks.offset[i + 1] - index.blocks.offset[i]).toBeLessThan(8192 + 800);
    }
  });

  it('reads back from its serialised form unchanged, and refuses bytes that are not an index', async () => {
    const path = `${SHARED_PCAPS}/real/pcapng-2if-ether-null_test006-le.pcapng`;
    if (!hasSharedPcaps) return;
    const index = await smallBlockIndex(path, 64, 2);
    const bytes = serializePacketIndex(index);
    const back = parsePacketIndex(bytes);
    expect(back).toEqual(index);
    // An odd start in a larger buffer (as a database driver may hand it back).
    const shifted = Buffer.concat([Buffer.alloc(3), bytes]).subarray(3);
    expect(parsePacketIndex(shifted)).toEqual(index);
    expect(() => parsePacketIndex(Buffer.from('not an index at all'))).toThrow(PacketIndexError);
    expect(() => parsePacketIndex(bytes.subarray(0, bytes.length - 8))).toThrow(PacketIndexError);
  });

  it('keeps each pcapng section header and its interfaces, and which interfaces each block uses', async () => {
    const le = true;
    const data = tcpFrame('10.0.0.1', '10.0.0.2', { sport: 1, dport: 2, flags: TCP.SYN });
    const bytes = Buffer.concat([
      shb(le),
      idb(le, 1),
      epb(le, 0, 1_000_000n, data),
      epb(le, 0, 2_000_000n, data),
      idb(le, 0),
      epb(le, 1, 3_000_000n, data),
      spb(le, data.length, data),
      shb(false),
      idb(false, 1),
      epb(false, 0, 4_000_000n, data),
    ]);
    const path = join(dirname(writeCapture([])), 'sections.pcapng');
    writeFileSync(path, bytes);
    const index = await indexOf(path, 1 << 20, 2);
    expect(index.sections.map((s) => s.interfaces.length)).toEqual([2, 1]);
    expect(index.untimedRecords).toBe(1);
    const b = index.blocks;
    // Blocks of 2 records, and a new block at the second section.
    expect([...b.firstRecord]).toEqual([0, 2, 4]);
    expect([...b.section]).toEqual([0, 0, 1]);
    expect([...b.interfacesBefore]).toEqual([1, 2, 1]);
    expect([...b.interfaceMask]).toEqual([1, 3, 1]);
    // The Simple Packet Block of block 1 repeats the time of the record before it.
    expect([b.carrySec[1], b.carryNsec[1]]).toEqual([2, 0]);
    // Every block read on its own gives the records of a whole read.
    const whole = await readAll(path);
    expect((await readEachBlock(path, index)).flat()).toEqual(whole);
  });

  it('of a gzip capture counts offsets in the inflated bytes: the same blocks as the plain file', async () => {
    if (!hasSharedPcaps) return;
    const path = `${SHARED_PCAPS}/real/eth-dns-http-v4v6_wikipedia.pcap`;
    const gz = join(dirname(writeCapture([])), 'wikipedia.pcap.gz');
    writeFileSync(gz, gzipSync(readFileSync(path)));
    const plain = await smallBlockIndex(path);
    const inflated = await smallBlockIndex(gz);
    expect(inflated.compression).toBe('gzip');
    expect({ ...inflated, compression: null }).toEqual(plain);
  });
});

describe.skipIf(!hasSharedPcaps)('every block of the real captures read on its own', () => {
  for (const file of realCaptures()) {
    it(`${file}: gives exactly the records of a whole read`, async () => {
      const path = `${SHARED_PCAPS}/real/${file}`;
      // Blocks of a few records, at most a few hundred of them per file.
      const size = statSync(path).size;
      const index = await smallBlockIndex(path, Math.max(1024, size / 300), size > 100_000 ? 1e9 : 5);
      const blocks = await readEachBlock(path, index);
      expect(digest(blocks.flat())).toEqual(digest(await readAll(path)));
      expect(index.records).toBe(blocks.flat().length);
    });
  }
});
