import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { analyzeCapture } from '../../src/analysis/index.js';
import {
  type CaptureInfo,
  type CaptureRecord,
  formatTimestamp,
  type PacketIndex,
  PacketIndexBuilder,
  readCapture,
} from '../../src/capture/index.js';
import { DecodedPacket, decodePacket } from '../../src/decode/index.js';
import { type FlowRef, flowRefOf, parseAddress } from '../../src/extract/index.js';

/** A Writable that keeps what it is given; `highWaterMark` small to exercise back-pressure. */
export class Collect extends Writable {
  readonly chunks: Buffer[] = [];
  constructor(highWaterMark = 16 * 1024) {
    super({ highWaterMark });
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.chunks.push(Buffer.from(chunk));
    // Asynchronous completion, so write() reports a full buffer and the extractor must wait.
    setImmediate(done);
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** One record read back from an extracted file. */
export interface ReadBack {
  sec: number;
  nsec: number;
  capLen: number;
  origLen: number;
  linkType: number;
  ifId: number;
  /** False for a pcapng Simple Packet Block, whose time is only the previous record's. */
  hasTs: boolean;
  data: Buffer;
}

/** A copy of the record the reader handed out (it reuses the object and its buffer). */
export function copyRecord(rec: CaptureRecord): ReadBack {
  return {
    sec: rec.tsSec,
    nsec: rec.tsNsec,
    capLen: rec.capLen,
    origLen: rec.origLen,
    linkType: rec.linkType,
    ifId: rec.interfaceId,
    hasTs: rec.hasTimestamp,
    data: Buffer.from(rec.buf.subarray(rec.offset, rec.offset + rec.capLen)),
  };
}

/** Reads a capture held in memory with Flowlens' own reader, copying each record. */
export async function readBack(bytes: Buffer): Promise<{ info: CaptureInfo; records: ReadBack[] }> {
  const records: ReadBack[] = [];
  const info = await readCapture(Readable.from([bytes]), (rec) => records.push(copyRecord(rec)));
  return { info, records };
}

/** Every record of a capture file, as `readBack` gives them. */
export async function readAll(path: string): Promise<ReadBack[]> {
  const records: ReadBack[] = [];
  await readCapture(path, (rec) => records.push(copyRecord(rec)));
  return records;
}

/** A packet index with small blocks, so that tests on small files cross many block boundaries. */
export async function smallBlockIndex(
  path: string,
  blockBytes = 2048,
  blockRecords = 8,
): Promise<PacketIndex> {
  const builder = new PacketIndexBuilder(blockBytes, blockRecords);
  const info = await readCapture(path, () => undefined, { index: builder });
  const index = builder.finish(info);
  if (index === null) throw new Error(`${path}: no index`);
  return index;
}

/** A finished flow as the analysis reported it: a FlowRef with its packets and bytes. */
export type AnalysedFlow = FlowRef & { flow_id: number; packets: number; bytes: number };

/** Every flow the analysis finds in a capture (in one thread, so `onFlow` sees them). */
export async function analysedFlows(path: string): Promise<AnalysedFlow[]> {
  const flows: AnalysedFlow[] = [];
  await analyzeCapture(path, {
    onFlow: (f, a) => flows.push({ flow_id: f.flowId, ...flowRefOf(f, a.addresses) }),
  });
  return flows;
}

/** Up to `n` items spread evenly over the list (first and last included). */
export function spread<T>(items: T[], n: number): T[] {
  if (items.length <= n) return items;
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(items[Math.round((i * (items.length - 1)) / (n - 1))]);
  return out;
}

/** Whether tshark can run here (CI installs it: there its absence is a failure). */
export function hasTshark(): boolean {
  const ok = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!ok) {
    if (process.env.CI) throw new Error('CI needs tshark, and it is not installed');
    console.warn('skipped: comparisons with tshark (tshark not found)');
  }
  return ok;
}

/**
 * tshark's frames of a capture (optionally through a display filter), each as one string of its
 * time, wire length and a hash of its captured bytes, sorted.
 */
export function tsharkFrames(path: string, filter?: string): string[] {
  // Every frame judged on its own (README, 'What the numbers mean': $NODEFRAG).
  const nodefrag = ['-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE'];
  const args = ['-r', path, '-n', ...nodefrag, '-T', 'json', '-x', '-j', 'frame'];
  if (filter) args.push('-Y', filter);
  const out = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (out.status !== 0) throw new Error(`tshark failed on ${path}: ${out.stderr}`);
  const frames = JSON.parse(out.stdout || '[]') as {
    _source: { layers: { frame_raw: [string]; frame: Record<string, string> } };
  }[];
  return frames
    .map(({ _source: { layers } }) => {
      const f = layers.frame;
      const hash = createHash('sha256').update(layers.frame_raw[0], 'hex').digest('hex');
      return `${f['frame.time_epoch']} ${f['frame.len']} ${hash}`;
    })
    .sort();
}

/** Is the frame's first transport header (README, `protocols`) this one? From `frame.protocols`. */
function firstTransport(proto: string): string {
  return `frame.protocols matches "^(?:(?!(?:tcp|udp|icmp|icmpv6)(?::|$))[^:]+:)*${proto}(?::|$)"`;
}

/** tshark's display filter for a flow: its addresses and ports either way, and its time span. */
export function tsharkFilter(flow: FlowRef, records: ReadBack[]): string {
  const timed = records.filter((r) => r.hasTs);
  let span = '!frame.time_epoch';
  if (timed.length > 0) {
    let lo = timed[0];
    let hi = timed[0];
    for (const r of timed) {
      if (r.sec < lo.sec || (r.sec === lo.sec && r.nsec < lo.nsec)) lo = r;
      if (r.sec > hi.sec || (r.sec === hi.sec && r.nsec > hi.nsec)) hi = r;
    }
    // A Simple Packet Block has no time in tshark (Flowlens repeats the previous record's).
    span = `((frame.time_epoch >= ${formatTimestamp(lo.sec, lo.nsec)} && frame.time_epoch <= ${formatTimestamp(hi.sec, hi.nsec)}) || ${span})`;
  }
  const ip = parseAddress(flow.src_ip, 'source').v6 ? 'ipv6' : 'ip';
  const a = flow.src_ip;
  const b = flow.dst_ip;
  const pair = `((${ip}.src == ${a} && ${ip}.dst == ${b}) || (${ip}.src == ${b} && ${ip}.dst == ${a}))`;
  const proto = String(flow.protocol).toLowerCase();
  if (proto === 'tcp' || proto === 'udp') {
    const p = flow.src_port;
    const q = flow.dst_port;
    const ports = `((${proto}.srcport == ${p} && ${proto}.dstport == ${q}) || (${proto}.srcport == ${q} && ${proto}.dstport == ${p}))`;
    return `${firstTransport(proto)} && ${pair} && ${ports} && ${span}`;
  }
  if (proto === 'icmp' || proto === 'icmpv6') {
    const pkt = new DecodedPacket();
    const first = records[0];
    decodePacket(first.data, 0, first.capLen, first.origLen, first.linkType, pkt);
    const id = pkt.icmpId;
    const ident = proto === 'icmp' ? 'icmp.ident' : 'icmpv6.echo.identifier';
    const kind =
      id >= 0
        ? `${ident} == ${id}`
        : `${proto}.type == ${flow.src_port} && ${proto}.code == ${flow.dst_port}`;
    return `${firstTransport(proto)} && ${pair} && ${kind} && ${span}`;
  }
  // Other IP protocols: no transport header at all, and not a later fragment.
  const none = `!(frame.protocols matches "(?:^|:)(?:tcp|udp|icmp|icmpv6)(?::|$)")`;
  return `${none} && !(ip.frag_offset > 0) && ${pair} && ${span}`;
}
