import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { Analyzer, WindowLimitError } from '../src/analysis/index.js';
import { CaptureFormatError, readCapture } from '../src/capture/index.js';
import { DecodedPacket, decodePacket } from '../src/decode/index.js';
import { hasSharedPcaps, realCaptures, SHARED_PCAPS } from './helpers/shared.js';

/** mulberry32: a small seeded PRNG, so a failing case can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = Number(process.env.FUZZ_SEED ?? 20261124);
const CASES_PER_FILE = Number(process.env.FUZZ_CASES ?? 100);
const INTERESTING = [0, 1, 0x7f, 0xff, 0xffff, 0x10000, 0x3ffff, 0x40000, 0x7fffffff, 0xffffffff];

/** Offsets of length-like fields: pcap record headers, pcapng block lengths, IPv4/TCP header bytes. */
function lengthFields(buf: Buffer): number[] {
  const out: number[] = [];
  const magic = buf.length >= 4 ? buf.readUInt32LE(0) : 0;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) {
    for (let p = 24; p + 16 <= buf.length && out.length < 400; ) {
      out.push(p + 8, p + 12);
      p += 16 + buf.readUInt32LE(p + 8);
    }
  } else if (magic === 0x0a0d0d0a) {
    for (let p = 0; p + 12 <= buf.length && out.length < 400; ) {
      const len = buf.readUInt32LE(p + 4);
      out.push(p + 4, p + len - 4, p + 20);
      if (len < 12) break;
      p += len;
    }
  }
  // IPv4 headers after an Ethernet header (version/IHL 0x45): IHL, total length, TCP data offset.
  for (let p = 14; p + 34 < buf.length && out.length < 800; p++) {
    if (buf[p] === 0x45 && buf[p - 2] === 0x08 && buf[p - 1] === 0x00) out.push(p, p + 2, p + 20 + 12);
  }
  return out;
}

function mutate(src: Buffer, rnd: () => number): Buffer {
  const buf = Buffer.from(src);
  const pick = (n: number) => Math.floor(rnd() * n);
  switch (pick(5)) {
    case 0: // flip a few bytes
      for (let i = 1 + pick(8); i > 0; i--) buf[pick(buf.length)] ^= 1 << pick(8);
      return buf;
    case 1: // truncate
      return buf.subarray(0, pick(buf.length));
    case 2: {
      // rewrite a length field with an interesting value
      const fields = lengthFields(buf);
      if (fields.length === 0) return buf.subarray(0, pick(buf.length));
      const at = fields[pick(fields.length)];
      if (at + 4 <= buf.length) buf.writeUInt32LE(INTERESTING[pick(INTERESTING.length)] >>> 0, at);
      else if (at < buf.length) buf[at] = pick(256);
      return buf;
    }
    case 3: {
      // a single header byte (IHL, version, data offset) set at random
      const fields = lengthFields(buf);
      if (fields.length > 0) {
        const at = fields[pick(fields.length)];
        if (at < buf.length) buf[at] = pick(256);
      }
      return buf;
    }
    default: {
      // insert random bytes
      const at = pick(buf.length);
      const junk = Buffer.from(Array.from({ length: 1 + pick(64) }, () => pick(256)));
      return Buffer.concat([buf.subarray(0, at), junk, buf.subarray(at)]);
    }
  }
}

/** Runs reader, decoder and the full analysis; returns what was read, or the rejection. */
async function runAll(source: string | Readable, size: number, chunkSize?: number): Promise<number> {
  const pkt = new DecodedPacket();
  const analyzer = new Analyzer();
  let records = 0;
  await readCapture(
    source,
    (rec) => {
      records++;
      // A record never claims bytes its buffer does not hold.
      if (rec.offset + rec.capLen > rec.buf.length)
        throw new Error(`record ${rec.index} overruns its buffer`);
      decodePacket(rec.buf, rec.offset, rec.capLen, rec.origLen, rec.linkType, pkt);
      analyzer.add(rec, pkt);
    },
    { chunkSize },
  );
  analyzer.finish();
  // Every record has at least a 12-byte header (SPB) in the input.
  expect(records).toBeLessThanOrEqual(Math.ceil(size / 12));
  return records;
}

describe.skipIf(!hasSharedPcaps)(
  'fuzzing the reader, decoder and analysis with damaged real captures',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowlens-fuzz-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    // Small and medium captures covering pcap, pcapng, every link type and the tunnels.
    const inputs = realCaptures().filter((f) => statSync(`${SHARED_PCAPS}/real/${f}`).size < 60_000);

    it('has inputs of every kind', () => {
      expect(inputs.length).toBeGreaterThanOrEqual(30);
      expect(inputs.some((f) => f.endsWith('.pcapng'))).toBe(true);
    });

    it.each(inputs)(
      '%s: no mutation throws anything but a clean rejection, or hangs',
      { timeout: 60_000 },
      async (file) => {
        const original = readFileSync(`${SHARED_PCAPS}/real/${file}`);
        const rnd = prng(SEED ^ [...file].reduce((h, c) => Math.imul(h, 31) + c.charCodeAt(0), 7));
        let rejected = 0;
        for (let i = 0; i < CASES_PER_FILE; i++) {
          const input = mutate(original, rnd);
          // Mostly the stream path; every tenth case the file path with a tiny read size.
          const viaFile = i % 10 === 0;
          const path = join(dir, `case-${i}`);
          if (viaFile) writeFileSync(path, input);
          try {
            await runAll(viaFile ? path : Readable.from([input]), input.length, viaFile ? 7 : undefined);
          } catch (err) {
            if (!(err instanceof CaptureFormatError || err instanceof WindowLimitError)) {
              throw new Error(`case ${i} (seed ${SEED}) of ${file}: ${(err as Error).stack}`);
            }
            rejected++;
          }
        }
        // Most mutations must still be read (not all rejected at the header), or the fuzzing proves little;
        // the header-only files have nothing else to mutate.
        if (CASES_PER_FILE >= 50 && original.length > 100) expect(rejected).toBeLessThan(CASES_PER_FILE / 2);
      },
    );
  },
);
