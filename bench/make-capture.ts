import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PcapWriter, readCapture } from '../src/capture/index.js';
import { DecodedPacket, decodePacket } from '../src/decode/index.js';

/**
 * Builds the benchmark capture once: the public Ethernet captures replicated with remapped
 * addresses and shifted timestamps until the file has at least 1 GB, 5M packets and 1M distinct
 * flows. A small companion file (the first tenth) shows whether memory stays flat as files grow.
 */
export interface BenchCapture {
  path: string;
  smallPath: string;
  bytes: number;
  smallBytes: number;
  packets: number;
  distinctFlows: number;
}

const TARGET_BYTES = 1_000_000_000;
const TARGET_PACKETS = 5_000_000;
const TARGET_FLOWS = 1_000_000;
/** Packets per address-remapping segment: each segment gets its own addresses, so its own flows. */
const SEGMENT = 64;
/** Files whose timestamps span more than this are left out (they would stretch the timeline). */
const MAX_FILE_SPAN_S = 3600;
const T0 = 1_700_000_000;

interface Packet {
  data: Buffer;
  origLen: number;
  /** Offset from the start of its replica, in nanoseconds. */
  offsetNs: number;
  ip: number;
  ipOffset: number;
}

export async function ensureBenchCapture(dir: string, corpus: string): Promise<BenchCapture> {
  const manifest = join(dir, 'manifest.json');
  if (existsSync(manifest)) {
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as BenchCapture;
    if (existsSync(m.path) && statSync(m.path).size === m.bytes) return m;
  }
  mkdirSync(dir, { recursive: true });
  const packets = await loadCorpus(corpus);
  const span = packets.reduce((m, p) => Math.max(m, p.offsetNs), 0) + 1e9;
  const path = join(dir, 'bench.pcap');
  const smallPath = join(dir, 'bench-small.pcap');
  const writer = new PcapWriter(path, { linkType: 1, nanosecond: true, bufferSize: 8 << 20 });
  const small = new PcapWriter(smallPath, { linkType: 1, nanosecond: true, bufferSize: 8 << 20 });
  const flows = new Set<number>();
  const pkt = new DecodedPacket();
  let smallOpen = true;
  for (let replica = 0; ; replica++) {
    const base = BigInt(T0) * 1_000_000_000n + BigInt(replica) * BigInt(span);
    for (let i = 0; i < packets.length; i++) {
      const p = packets[i];
      const data = Buffer.from(p.data);
      remap(data, p, hash32(replica * 1_000_003 + Math.floor(i / SEGMENT)));
      const ns = base + BigInt(p.offsetNs);
      const sec = Number(ns / 1_000_000_000n);
      const nsec = Number(ns % 1_000_000_000n);
      writer.write(sec, nsec, data, p.origLen);
      if (smallOpen) small.write(sec, nsec, data, p.origLen);
      decodePacket(data, 0, data.length, p.origLen, 1, pkt);
      if (pkt.l4 !== 0 && pkt.srcPort >= 0) flows.add(flowHash(pkt));
    }
    if (smallOpen && writer.bytesWritten >= TARGET_BYTES / 10) {
      small.close();
      smallOpen = false;
    }
    process.stderr.write(
      `\rbench capture: ${(writer.bytesWritten / 1e9).toFixed(2)} GB, ${writer.records.toLocaleString('en-US')} packets, ${flows.size.toLocaleString('en-US')} flows`,
    );
    if (writer.bytesWritten >= TARGET_BYTES && writer.records >= TARGET_PACKETS && flows.size >= TARGET_FLOWS)
      break;
  }
  writer.close();
  if (smallOpen) small.close();
  process.stderr.write('\n');
  const result: BenchCapture = {
    path,
    smallPath,
    bytes: statSync(path).size,
    smallBytes: statSync(smallPath).size,
    packets: writer.records,
    distinctFlows: flows.size,
  };
  writeFileSync(manifest, `${JSON.stringify(result, null, 2)}\n`); // written last: marks completion
  return result;
}

async function loadCorpus(corpus: string): Promise<Packet[]> {
  const out: Packet[] = [];
  const pkt = new DecodedPacket();
  let offset = 0;
  for (const file of readdirSync(corpus).sort()) {
    const recs: { data: Buffer; origLen: number; ns: bigint; ip: number; ipOffset: number }[] = [];
    let ethernet = true;
    try {
      await readCapture(join(corpus, file), (rec) => {
        if (rec.linkType !== 1) {
          ethernet = false;
          return;
        }
        const data = Buffer.from(rec.buf.subarray(rec.offset, rec.offset + rec.capLen));
        decodePacket(data, 0, data.length, rec.origLen, 1, pkt);
        recs.push({
          data,
          origLen: rec.origLen,
          ns: BigInt(rec.tsSec) * 1_000_000_000n + BigInt(rec.tsNsec),
          ip: pkt.malformed === 0 ? pkt.ip : 0,
          ipOffset: pkt.ipOffset,
        });
      });
    } catch {
      continue;
    }
    if (!ethernet || recs.length === 0) continue;
    let first = recs[0].ns;
    let last = recs[0].ns;
    for (const r of recs) {
      if (r.ns < first) first = r.ns;
      if (r.ns > last) last = r.ns;
    }
    if (last - first > BigInt(MAX_FILE_SPAN_S) * 1_000_000_000n) continue;
    for (const r of recs) {
      out.push({
        data: r.data,
        origLen: r.origLen,
        offsetNs: offset + Number(r.ns - first),
        ip: r.ip,
        ipOffset: r.ipOffset,
      });
    }
    // Files follow each other with a second's gap.
    offset += Number(last - first) + 1e9;
  }
  return out;
}

/** Rewrites the effective IP header's addresses: low 24 bits (IPv4) or last word (IPv6). */
function remap(data: Buffer, p: Packet, key: number): void {
  if (p.ip === 4) {
    for (const at of [p.ipOffset + 12, p.ipOffset + 16]) {
      data.writeUInt32BE((data.readUInt32BE(at) ^ (key & 0x00ffffff)) >>> 0, at);
    }
  } else if (p.ip === 6) {
    for (const at of [p.ipOffset + 20, p.ipOffset + 36]) {
      data.writeUInt32BE((data.readUInt32BE(at) ^ key) >>> 0, at);
    }
  }
}

function hash32(x: number): number {
  let h = Math.imul(x ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A 52-bit hash of the flow's unordered 5-tuple, for counting distinct flows. */
function flowHash(p: DecodedPacket): number {
  let a = p.src[0] ^ Math.imul(p.ip === 6 ? p.src[3] : 0, 31);
  let b = p.dst[0] ^ Math.imul(p.ip === 6 ? p.dst[3] : 0, 31);
  let pa = p.srcPort;
  let pb = p.dstPort;
  if (a > b || (a === b && pa > pb)) {
    [a, b] = [b, a];
    [pa, pb] = [pb, pa];
  }
  const h1 = hash32(a ^ hash32(b ^ hash32(p.l4)));
  const h2 = hash32((pa << 16) ^ pb ^ hash32(h1));
  return (h1 & 0xfffff) * 4294967296 + h2;
}
