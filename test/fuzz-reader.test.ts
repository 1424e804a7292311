/**
 * Bounded, seeded fuzzing of the capture reader and the packet decoder with damaged real captures.
 * Every case is replayable: it is generated from (FUZZ_SEED, file, case number) alone.
 *
 *   FUZZ_SEED=123 FUZZ_READER_CASES=3000 npx vitest run test/fuzz-reader.test.ts
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureFormatError, type CaptureInfo, readCapture } from '../src/capture/index.js';
import { DecodedPacket, decodePacket } from '../src/decode/index.js';

const SHARED_PCAPS = fileURLToPath(new URL('../../shared/pcaps', import.meta.url));
const REAL = join(SHARED_PCAPS, 'real');
const present = existsSync(REAL);

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_124) >>> 0;
const TOTAL_CASES = Math.max(1, Number(process.env.FUZZ_READER_CASES ?? 3000));
/** Every tenth case is also read from a file with a random read size, and must agree with the stream. */
const FILE_EVERY = 10;
/** A single case that takes longer than this is a hang. */
const CASE_TIMEOUT_MS = 3_000;

/**
 * Small and medium captures covering pcap µs/ns in both byte orders, pcapng with several sections
 * of mixed byte order, SPB/EPB/NRB, many interfaces, and Ethernet, SLL, SLL2, raw IP, NULL, VLAN,
 * MPLS, GRE and IPv6 extension headers.
 */
const PREFERRED = [
  'eth-dns-http-v4v6_wikipedia.pcap',
  'be-v2.1-eth-nfs-udp_nfs3-01.pcap',
  'eth-nsec-http-to-ssh_get-to-ssh-server.pcap',
  'sll-tcp-handshake-nsec_tcp-handshake-nano.pcap',
  'pcapng-3shb-mixed-endian-all-blocks_test202.pcapng',
  'pcapng-spb-epb-snaplen_test012.pcapng',
  'pcapng-126if-nrb-vlan-ipv6-ldap_modify-request.pcapng',
  'eth-gre-tunnel-tcp-udp-icmp_gre-sample.pcap',
  'rawip-tls-clienthello-sni_tls-alpn-log-detect-02.pcap',
  'eth-vlan-mpls-trailer_mixed-vlan-mpls.pcap',
  'sll2-tls-clienthello-sni_openjdk-zeek-org.pcap',
  'pcapng-be-2if-ether-null_test006-be.pcapng',
];

function chooseInputs(): string[] {
  if (!present) return [];
  const available = new Set(readdirSync(REAL));
  const chosen = PREFERRED.filter((f) => available.has(f));
  if (chosen.length >= 6) return chosen;
  // The corpus changed: fall back to its smallest files that are more than a header.
  return [...available]
    .filter((f) => /\.pcap(ng)?$/.test(f))
    .map((f) => ({ f, size: statSync(join(REAL, f)).size }))
    .filter((x) => x.size > 200 && x.size < 60_000)
    .sort((a, b) => a.size - b.size || a.f.localeCompare(b.f))
    .slice(0, 12)
    .map((x) => x.f);
}

// -------------------------------------------------------------------------------- randomness

/** mulberry32: a tiny seeded PRNG (no Math.random anywhere in this file). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  u32(): number {
    return (this.int(0x10000) * 0x10000 + this.int(0x10000)) >>> 0;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

// ------------------------------------------------------------------------- where the fields are

interface Field {
  at: number;
  width: 1 | 2 | 4;
  le: boolean;
  kind: 'length' | 'ihl' | 'tcp-offset' | 'linktype' | 'blocktype' | 'optcode' | 'optlen' | 'tsresol';
}

function read32(b: Buffer, p: number, le: boolean): number {
  return le ? b.readUInt32LE(p) : b.readUInt32BE(p);
}

/** pcap record caplen/len fields and the snaplen; pcapng block lengths and packet-length fields. */
function structuralFields(buf: Buffer): Field[] {
  const out: Field[] = [];
  if (buf.length < 24) return out;
  const magics = [0xa1b2c3d4, 0xa1b23c4d, 0xa1b2cd34];
  const le = magics.includes(buf.readUInt32LE(0));
  if (le || magics.includes(buf.readUInt32BE(0))) {
    const hdr = read32(buf, 0, le) === 0xa1b2cd34 ? 24 : 16;
    out.push({ at: 16, width: 4, le, kind: 'length' }, { at: 20, width: 4, le, kind: 'linktype' });
    for (let p = 24; p + hdr <= buf.length && out.length < 4000; ) {
      out.push({ at: p + 8, width: 4, le, kind: 'length' }, { at: p + 12, width: 4, le, kind: 'length' });
      p += hdr + read32(buf, p + 8, le);
    }
  } else if (buf.readUInt32LE(0) === 0x0a0d0d0a) {
    let sectionLe = true;
    for (let p = 0; p + 12 <= buf.length && out.length < 4000; ) {
      const type = read32(buf, p, sectionLe);
      if (type === 0x0a0d0d0a) sectionLe = buf.readUInt32LE(p + 8) === 0x1a2b3c4d;
      const len = read32(buf, p + 4, sectionLe);
      if (len < 12 || p + len > buf.length) break;
      const f = (at: number) => out.push({ at: p + at, width: 4, le: sectionLe, kind: 'length' });
      f(4);
      f(len - 4);
      out.push({ at: p, width: 4, le: sectionLe, kind: 'blocktype' });
      if ((type === 6 || type === 2) && len >= 32) {
        f(20); // captured length
        f(24); // original length
        const cap = read32(buf, p + 20, sectionLe);
        if (cap <= len) options(buf, p + 28 + ((cap + 3) & ~3), p + len - 4, sectionLe, out);
      } else if (type === 3 && len >= 16)
        f(8); // SPB original length
      else if (type === 1 && len >= 20) {
        f(12); // IDB snaplen
        out.push({ at: p + 8, width: 2, le: sectionLe, kind: 'linktype' });
        options(buf, p + 16, p + len - 4, sectionLe, out);
      } else if (type === 0x0a0d0d0a && len >= 28) options(buf, p + 24, p + len - 4, sectionLe, out);
      p += len;
    }
  }
  return out;
}

/** The option list of a pcapng block, from `at` to `end`: codes, lengths and if_tsresol values. */
function options(buf: Buffer, at: number, end: number, le: boolean, out: Field[]): void {
  for (let p = at; p + 4 <= end && out.length < 4000; ) {
    const code = le ? buf.readUInt16LE(p) : buf.readUInt16BE(p);
    const len = le ? buf.readUInt16LE(p + 2) : buf.readUInt16BE(p + 2);
    out.push({ at: p, width: 2, le, kind: 'optcode' }, { at: p + 2, width: 2, le, kind: 'optlen' });
    if (code === 9 && len === 1 && p + 4 < end) out.push({ at: p + 4, width: 1, le, kind: 'tsresol' });
    if (code === 0) break;
    p += 4 + ((len + 3) & ~3);
  }
}

/** IPv4 headers found by their checksum: IHL byte, total length, TCP data offset, UDP length. */
function packetFields(buf: Buffer): Field[] {
  const out: Field[] = [];
  for (let p = 0; p + 20 <= buf.length && out.length < 4000; p++) {
    const vihl = buf[p];
    if (vihl >> 4 !== 4 || (vihl & 15) < 5) continue;
    const ihl = (vihl & 15) * 4;
    if (p + ihl > buf.length) continue;
    let sum = 0;
    for (let i = 0; i < ihl; i += 2) sum += (buf[p + i] << 8) | buf[p + i + 1];
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    if (sum !== 0xffff || buf.readUInt16BE(p + 2) < ihl) continue;
    out.push({ at: p, width: 1, le: false, kind: 'ihl' }, { at: p + 2, width: 2, le: false, kind: 'length' });
    const l4 = p + ihl;
    if (buf[p + 9] === 6 && l4 + 13 <= buf.length)
      out.push({ at: l4 + 12, width: 1, le: false, kind: 'tcp-offset' });
    if (buf[p + 9] === 17 && l4 + 6 <= buf.length)
      out.push({ at: l4 + 4, width: 2, le: false, kind: 'length' });
    p += ihl - 1;
  }
  return out;
}

// ---------------------------------------------------------------------------------- mutations

const LENGTHS_32 = [
  0, 1, 3, 4, 11, 12, 13, 15, 16, 20, 28, 32, 0xffff, 0x10000, 0x3ffff, 0x40000, 0x40001, 0xffffff, 0x1000000,
  0x1000001, 0x7fffffff, 0x80000000, 0xfffffff0, 0xfffffffc, 0xffffffff,
];
const LENGTHS_16 = [0, 1, 7, 8, 19, 20, 21, 40, 0x7fff, 0xfffe, 0xffff];

// Link types the decoder knows, some it does not, and the reserved bits of the pcap field.
const LINK_TYPES = [
  0, 1, 9, 12, 14, 101, 105, 108, 113, 127, 228, 229, 274, 276, 0xffff, 0x3ffffff, 0xfc000001,
];
// pcapng block types: every standard one, custom blocks, an obsolete one, nonsense.
const BLOCK_TYPES = [
  1, 2, 3, 4, 5, 6, 7, 8, 9, 0xa, 0xbad, 0x40000bad, 0x80000001, 0x0a0d0d0a, 0, 0xffffffff,
];
const OPTION_CODES = [0, 1, 2, 3, 4, 9, 10, 11, 12, 13, 14, 15, 0x8000, 2988, 2989, 19372, 0xffff];

function overwrite(buf: Buffer, f: Field, rng: Rng): void {
  if (f.at + f.width > buf.length) return;
  if (f.kind === 'linktype' || f.kind === 'blocktype' || f.kind === 'optcode') {
    const table = f.kind === 'linktype' ? LINK_TYPES : f.kind === 'blocktype' ? BLOCK_TYPES : OPTION_CODES;
    const v = (rng.chance(0.85) ? rng.pick(table) : rng.u32()) >>> 0;
    if (f.width === 2) {
      if (f.le) buf.writeUInt16LE(v & 0xffff, f.at);
      else buf.writeUInt16BE(v & 0xffff, f.at);
    } else if (f.le) buf.writeUInt32LE(v, f.at);
    else buf.writeUInt32BE(v, f.at);
    return;
  }
  if (f.kind === 'tsresol') {
    // Decimal and binary resolutions, including ones no clock has (2^-127, 10^-255).
    buf[f.at] = rng.pick([0, 3, 6, 9, 12, 19, 20, 63, 0x80, 0x94, 0xbf, 0xff, rng.int(256)]);
    return;
  }
  if (f.kind === 'ihl') {
    buf[f.at] = rng.chance(0.8) ? 0x40 | rng.int(16) : rng.int(256);
    return;
  }
  if (f.kind === 'tcp-offset') {
    buf[f.at] = (rng.int(16) << 4) | (buf[f.at] & 0x0f);
    return;
  }
  if (f.width === 2) {
    const cur = f.le ? buf.readUInt16LE(f.at) : buf.readUInt16BE(f.at);
    const v = rng.pick([...LENGTHS_16, cur + 1, cur - 1, cur + 4, cur * 2, rng.int(0x10000)]) & 0xffff;
    if (f.le) buf.writeUInt16LE(v, f.at);
    else buf.writeUInt16BE(v, f.at);
    return;
  }
  const cur = read32(buf, f.at, f.le);
  const v =
    rng.pick([...LENGTHS_32, cur + 1, cur - 1, cur + 4, cur - 4, cur * 2, cur + 0x10000, rng.u32()]) >>> 0;
  if (f.le) buf.writeUInt32LE(v, f.at);
  else buf.writeUInt32BE(v, f.at);
}

interface Prepared {
  bytes: Buffer;
  structural: Field[];
  packet: Field[];
}

function prepare(file: string): Prepared {
  const bytes = readFileSync(join(REAL, file));
  return { bytes, structural: structuralFields(bytes), packet: packetFields(bytes) };
}

/** One to three mutations: field rewrites and flips first, then insertions, removals and a cut. */
function mutate(src: Prepared, rng: Rng): { bytes: Buffer; ops: string[] } {
  let buf = Buffer.from(src.bytes);
  const ops: string[] = [];
  const count = 1 + rng.int(3);
  const kinds = Array.from({ length: count }, () => rng.int(100)).sort((a, b) => a - b);
  for (const k of kinds) {
    if (buf.length === 0) break;
    if (k < 25 && src.structural.length > 0) {
      const f = rng.pick(src.structural);
      overwrite(buf, f, rng);
      ops.push(`length@${f.at}`);
    } else if (k < 45 && src.packet.length > 0) {
      for (let n = 1 + rng.int(3); n > 0; n--) {
        const f = rng.pick(src.packet);
        overwrite(buf, f, rng);
        ops.push(`${f.kind}@${f.at}`);
      }
    } else if (k < 65) {
      const n = 1 + rng.int(rng.chance(0.2) ? 64 : 8);
      for (let i = 0; i < n; i++) {
        const at = rng.int(buf.length);
        if (rng.chance(0.5)) buf[at] ^= 1 << rng.int(8);
        else buf[at] = rng.int(256);
      }
      ops.push(`flip×${n}`);
    } else if (k < 78) {
      const at = rng.int(buf.length + 1);
      const junk = rng.chance(0.3) ? Buffer.alloc(1 + rng.int(16), 0xff) : rng.bytes(1 + rng.int(64));
      buf = Buffer.concat([buf.subarray(0, at), junk, buf.subarray(at)]);
      ops.push(`insert${junk.length}@${at}`);
    } else if (k < 85) {
      const at = rng.int(buf.length);
      const n = 1 + rng.int(32);
      buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + n)]);
      ops.push(`remove${n}@${at}`);
    } else {
      // Cut near a length field half of the time: that is where the reader has to wait or give up.
      const near = src.structural.length > 0 && rng.chance(0.5);
      const at = near ? rng.pick(src.structural).at + rng.int(24) - 8 : rng.int(buf.length);
      const cut = Math.max(0, Math.min(buf.length, at));
      buf = buf.subarray(0, cut);
      ops.push(`cut@${cut}`);
    }
  }
  return { bytes: buf, ops };
}

/**
 * Splits a stream into pieces: whole, tiny, or random sizes. `minFirst` keeps the first piece at
 * least that long (gzip streams: a 1-byte first piece is a known reader bug, see reader.test.ts).
 */
function split(bytes: Buffer, rng: Rng, minFirst = 1): Buffer[] {
  const mode = rng.int(4);
  if (mode === 0 || bytes.length === 0) return [bytes];
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; ) {
    let n = mode === 1 ? 1 + rng.int(7) : mode === 2 ? 1 + rng.int(4096) : 1 + rng.int(65536);
    if (i === 0) n = Math.max(n, minFirst);
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}

// ------------------------------------------------------------------------------------- running

class InvariantError extends Error {}

interface Outcome {
  rejected: string | null;
  info: CaptureInfo | null;
  records: number;
  digest: string;
}

/**
 * Reads one input with readCapture and decodes every record, checking the record and decoder
 * invariants. `plainSize` is the size of the uncompressed capture (null when unknown).
 */
async function runOne(
  source: string | Readable,
  plainSize: number | null,
  chunkSize?: number,
): Promise<Outcome> {
  const pkt = new DecodedPacket();
  const hash = createHash('sha1');
  let records = 0;
  let captured = 0;
  const fail = (what: string): never => {
    throw new InvariantError(what);
  };
  let info: CaptureInfo;
  try {
    info = await readCapture(
      source,
      (rec) => {
        if (rec.index !== records) fail(`record index ${rec.index}, expected ${records}`);
        records++;
        const { offset, capLen } = rec;
        if (!Number.isInteger(capLen) || capLen < 0) fail(`record ${rec.index}: capLen ${capLen}`);
        if (!Number.isInteger(offset) || offset < 0 || offset + capLen > rec.buf.length)
          fail(
            `record ${rec.index}: bytes [${offset}, ${offset + capLen}) outside a ${rec.buf.length}-byte buffer`,
          );
        if (plainSize !== null && capLen > plainSize)
          fail(`record ${rec.index}: capLen ${capLen} above the ${plainSize}-byte input`);
        if (!Number.isInteger(rec.tsNsec) || rec.tsNsec < 0 || rec.tsNsec >= 1e9)
          fail(`record ${rec.index}: tsNsec ${rec.tsNsec}`);
        if (!Number.isFinite(rec.tsSec)) fail(`record ${rec.index}: tsSec ${rec.tsSec}`);
        captured += capLen;
        hash.update(
          `${rec.tsSec}.${rec.tsNsec}/${capLen}/${rec.origLen}/${rec.linkType}/${rec.interfaceId};`,
        );
        hash.update(rec.buf.subarray(offset, offset + capLen));

        decodePacket(rec.buf, offset, capLen, rec.origLen, rec.linkType, pkt);
        if (pkt.payloadCaptured > 0) {
          const end = pkt.payloadOffset + pkt.payloadCaptured;
          if (pkt.payloadOffset < offset || end > offset + capLen)
            fail(`record ${rec.index}: decoded payload [${pkt.payloadOffset}, ${end}) outside the record`);
        }
      },
      { chunkSize },
    );
  } catch (err) {
    if (err instanceof CaptureFormatError) {
      if (!err.message.includes(': '))
        throw new InvariantError(`rejection without a source name: ${err.message}`);
      return { rejected: err.message, info: null, records, digest: '' };
    }
    throw err;
  }
  if (info.records !== records) fail(`info.records ${info.records} but ${records} records delivered`);
  if (info.truncated && info.warnings.length === 0) fail('truncated without a warning');
  if (plainSize !== null) {
    // Each record has a header of at least 16 bytes (pcap record header, SPB) besides its data.
    if (captured + 16 * records > plainSize)
      fail(`${records} records with ${captured} captured bytes from a ${plainSize}-byte input`);
    if (info.bytesRead > plainSize) fail(`bytesRead ${info.bytesRead} above the ${plainSize}-byte input`);
  }
  return { rejected: null, info, records, digest: hash.digest('hex') };
}

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not finish within ${CASE_TIMEOUT_MS} ms`)),
      CASE_TIMEOUT_MS,
    );
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

// --------------------------------------------------------------------------------------- tests

const inputs = chooseInputs();

if (!present) {
  console.warn(`skipped: ../shared/pcaps not found (looked for ${REAL}); the fuzz test needs real captures`);
  describe.skip('fuzzing the reader and decoder with damaged real captures', () => {
    it('skipped: ../shared/pcaps not found', () => {});
  });
} else {
  describe('fuzzing the reader and decoder with damaged real captures', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowlens-fuzz-'));
    const perFile = Math.ceil(TOTAL_CASES / Math.max(1, inputs.length));
    const stats = { cases: 0, fileCases: 0, rejected: 0, truncated: 0, records: 0, ms: 0 };
    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
      console.log(
        `fuzz: seed ${SEED}, ${stats.cases} cases (+${stats.fileCases} re-read from files) over ${inputs.length} captures ` +
          `in ${(stats.ms / 1000).toFixed(1)} s; ${stats.rejected} rejected, ${stats.truncated} truncated, ` +
          `${stats.records} records decoded (replay with FUZZ_SEED=${SEED} FUZZ_READER_CASES=${TOTAL_CASES})`,
      );
    });

    it('has a mix of pcap and pcapng inputs', () => {
      expect(inputs.length).toBeGreaterThanOrEqual(6);
      expect(inputs.some((f) => f.endsWith('.pcapng'))).toBe(true);
      expect(inputs.some((f) => f.endsWith('.pcap'))).toBe(true);
    });

    it.each(inputs)(
      '%s: damaged copies are read or cleanly rejected, never crash, hang or overrun',
      { timeout: 45_000 },
      async (file) => {
        const started = performance.now();
        try {
          await fuzzFile(file);
        } finally {
          stats.ms += performance.now() - started;
        }
      },
    );

    async function fuzzFile(file: string): Promise<void> {
      const src = prepare(file);
      // The undamaged capture reads cleanly: otherwise the mutations prove nothing.
      const clean = await runOne(Readable.from([src.bytes]), src.bytes.length);
      expect(clean.rejected).toBeNull();
      expect(clean.info?.truncated).toBe(false);
      expect(clean.records).toBeGreaterThan(0);

      const fileSeed = (SEED ^ hashString(file)) >>> 0;
      let read = 0;
      for (let i = 0; i < perFile; i++) {
        const rng = new Rng((fileSeed + Math.imul(i, 0x9e3779b1)) >>> 0);
        const { bytes, ops } = mutate(src, rng);
        // A few cases go through gzip: intact compression of damaged data, or damaged compression.
        const g = rng.int(100);
        let input = bytes;
        let plainSize: number | null = bytes.length;
        if (g < 8) input = gzipSync(bytes, { level: 1 });
        else if (g < 11) {
          input = Buffer.from(gzipSync(src.bytes, { level: 1 }));
          if (rng.chance(0.5)) input = input.subarray(0, 10 + rng.int(Math.max(1, input.length - 10)));
          else
            for (let n = 1 + rng.int(4); n > 0; n--)
              input[10 + rng.int(input.length - 10)] ^= 1 << rng.int(8);
          plainSize = null;
        }
        const how =
          g < 8 ? `${ops.join(', ')}, then gzip` : g < 11 ? 'damaged gzip of the original' : ops.join(', ');
        const label = `case ${i} of ${file} (FUZZ_SEED=${SEED}; ${how})`;
        /** Keeps the failing input beside the temp folder, so it can be replayed by hand. */
        const keep = (): string => {
          const path = join(tmpdir(), `flowlens-fuzz-failure-${SEED}-${i}-${file}`);
          writeFileSync(path, input);
          return path;
        };
        const pieces = split(input, rng, g < 11 ? 2 : 1);
        let outcome: Outcome;
        try {
          outcome = await withTimeout(runOne(Readable.from(pieces), plainSize), label);
        } catch (err) {
          throw new Error(`${label}, input kept in ${keep()}: ${(err as Error).stack ?? err}`);
        }
        stats.cases++;
        if (outcome.rejected) stats.rejected++;
        else read++;
        if (outcome.info?.truncated) stats.truncated++;
        stats.records += outcome.records;

        if (i % FILE_EVERY === 0) {
          // The file path has its own buffering: it must see exactly what the stream saw.
          const path = join(dir, `case-${i}`);
          writeFileSync(path, input);
          // Read sizes from 2 up: gzip files read 1 byte at a time are a known bug (see reader.test.ts).
          // Tiny reads cost one system call each, so they are kept for small inputs.
          const sizes = input.length <= 4096 ? [2, 3, 5, 16, 100, 4096] : [16, 100, 1000, 4096, 65536];
          const chunkSize = rng.pick(sizes);
          const what = `${label}, read from a file in ${chunkSize}-byte reads`;
          let viaFile: Outcome;
          try {
            viaFile = await withTimeout(runOne(path, plainSize, chunkSize), what);
          } catch (err) {
            throw new Error(`${what}, input kept in ${keep()}: ${(err as Error).stack ?? err}`);
          }
          const strip = (o: Outcome) => ({ ...o, rejected: o.rejected?.replace(/^[^:]*: /, '') ?? null });
          // Damaged compressed data is the exception: how much zlib inflates before it notices the
          // damage depends on how the input was cut into pieces.
          if (plainSize !== null) {
            const same = JSON.stringify(strip(viaFile)) === JSON.stringify(strip(outcome));
            expect(strip(viaFile), same ? what : `${what}, input kept in ${keep()}`).toEqual(strip(outcome));
          }
          stats.fileCases++;
        }
      }
      // Most damaged copies still have a readable header: the reader, not just detection, is exercised.
      expect(read).toBeGreaterThan(perFile / 2);
    }
  });
}
