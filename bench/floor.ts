import { grown } from '../src/analysis/grown.js';
import { IdleQueue } from '../src/analysis/idle-queue.js';
import { keyHash4, keyHash6 } from '../src/analysis/packet-records.js';
import { placeSlot, removeSlot } from '../src/analysis/slots.js';
import type { CaptureRecord } from '../src/capture/index.js';
import type { DecodedPacket } from '../src/decode/index.js';
import { BinaryRows, utf8 } from '../src/storage/db/copy-binary.js';
import { STORED_FLOW_COLUMNS } from '../src/storage/index.js';

const IDLE_S = 60;
const KEY_WORDS = 10; // key, end A (4 words), end B (4 words), ports

/**
 * The least an exact one-pass flow analysis does per packet, for the bench's "floor" line: find
 * the packet's bidirectional flow by its numeric 5-tuple, create it when new, end it when idle
 * (60 s), and count its packets and bytes. Nothing else: no windows, TCP state, addresses, talkers,
 * rankings or hints. It is built like the real flow table (open addressing over typed arrays, an
 * idle queue), so the gap between this line and the full analysis is what the other figures cost.
 */
export class BareFlows {
  flows = 0;
  ended = 0;
  private cap = 0;
  private mask = 0;
  /** Pairs (flow + 1, hash), at most half full. */
  private slots = new Int32Array(0);
  private keys = new Int32Array(0);
  private hashes = new Int32Array(0);
  private gen = new Int32Array(0); // the flow's id while it lives, 0 after
  private last = new Float64Array(0);
  private bytes = new Float64Array(0);
  private packets = new Int32Array(0);
  private free: number[] = [];
  private used = 0;
  private nextId = 1;
  // Flows by time queued, as the flow table keeps them; entries of ended flows are skipped.
  private readonly idle = new IdleQueue();
  private nextSweep = Number.NEGATIVE_INFINITY;
  // The packet's key ends (end A the lower address), as the flow table keys them.
  private readonly a = new Int32Array(4);
  private readonly b = new Int32Array(4);

  constructor() {
    this.grow(1024);
  }

  add(rec: CaptureRecord, pkt: DecodedPacket): void {
    if (pkt.ip === 0 || pkt.malformed !== 0) return;
    const ts = rec.tsSec + rec.tsNsec / 1e9;
    const n = pkt.ip === 6 ? 4 : 1;
    const src = pkt.src;
    const dst = pkt.dst;
    let c = 0;
    for (let i = 0; i < n && c === 0; i++) if (src[i] !== dst[i]) c = src[i] < dst[i] ? -1 : 1;
    const sp = pkt.srcPort;
    const dp = pkt.dstPort;
    const swap = c > 0 || (c === 0 && sp > dp);
    const A = this.a;
    const B = this.b;
    for (let i = 0; i < n; i++) {
      A[i] = swap ? dst[i] : src[i];
      B[i] = swap ? src[i] : dst[i];
    }
    for (let i = n; i < 4; i++) A[i] = B[i] = 0;
    const ports = swap ? (dp << 16) | (sp & 0xffff) : (sp << 16) | (dp & 0xffff);
    const key = pkt.l4 | (pkt.ip << 8) | (pkt.l4 === 0 ? pkt.ipProto << 16 : 0);
    const h =
      n === 4 ? keyHash6(key, A[0], B[0], A[1], A[3], B[2], B[3], ports) : keyHash4(key, A[0], B[0], ports);
    let f = this.find(h, key, ports);
    if (f >= 0 && ts - this.last[f] > IDLE_S) {
      this.end(f);
      f = -1;
    }
    if (f < 0) f = this.create(h, key, ports, ts);
    if (ts > this.last[f]) this.last[f] = ts;
    this.bytes[f] += rec.origLen;
    this.packets[f]++;
    if (ts >= this.nextSweep) {
      this.expire(ts);
      this.nextSweep = ts + 1;
    }
  }

  /** Ends the live flows (end of capture). */
  flush(): void {
    for (let f = 0; f < this.used; f++) if (this.gen[f] !== 0) this.end(f);
  }

  private find(h: number, key: number, ports: number): number {
    const slots = this.slots;
    const K = this.keys;
    const A = this.a;
    const B = this.b;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const s = slots[2 * i];
      if (s === 0) return -1;
      if (slots[2 * i + 1] === h) {
        const o = (s - 1) * KEY_WORDS;
        if (
          K[o + 1] === A[0] &&
          K[o + 5] === B[0] &&
          K[o + 9] === ports &&
          K[o] === key &&
          K[o + 2] === A[1] &&
          K[o + 3] === A[2] &&
          K[o + 4] === A[3] &&
          K[o + 6] === B[1] &&
          K[o + 7] === B[2] &&
          K[o + 8] === B[3]
        )
          return s - 1;
      }
      i = (i + 1) & mask;
    }
  }

  private create(h: number, key: number, ports: number, ts: number): number {
    let f: number;
    if (this.free.length > 0) f = this.free.pop()!;
    else {
      if (this.used === this.cap) this.grow(2 * this.cap);
      f = this.used++;
    }
    const K = this.keys;
    const o = f * KEY_WORDS;
    K[o] = key;
    for (let i = 0; i < 4; i++) {
      K[o + 1 + i] = this.a[i];
      K[o + 5 + i] = this.b[i];
    }
    K[o + 9] = ports;
    this.hashes[f] = h;
    this.bytes[f] = 0;
    this.packets[f] = 0;
    this.last[f] = ts;
    const id = this.nextId++;
    this.gen[f] = id;
    placeSlot(this.slots, this.mask, f, h);
    this.idle.push(f, id, ts);
    this.flows++;
    return f;
  }

  /** Ends flows idle for longer than the timeout; one still active is queued again. */
  private expire(now: number): void {
    const q = this.idle;
    while (q.length > 0) {
      const at = q.head;
      if (now - q.stamp[at] <= IDLE_S) break; // queued in time order: the rest is younger
      const f = q.flow[at];
      const id = q.id[at];
      q.shift();
      if (this.gen[f] !== id) continue; // ended already
      if (now - this.last[f] > IDLE_S) this.end(f);
      else q.push(f, id, now);
    }
  }

  private end(f: number): void {
    removeSlot(this.slots, this.mask, f, this.hashes[f]);
    this.gen[f] = 0;
    this.free.push(f);
    this.ended++;
  }

  private grow(cap: number): void {
    this.keys = grown(this.keys, cap * KEY_WORDS);
    this.hashes = grown(this.hashes, cap);
    this.gen = grown(this.gen, cap);
    this.packets = grown(this.packets, cap);
    this.last = grown(this.last, cap);
    this.bytes = grown(this.bytes, cap);
    this.cap = cap;
    this.slots = new Int32Array(4 * cap);
    this.mask = 2 * cap - 1;
    for (let f = 0; f < this.used; f++)
      if (this.gen[f] !== 0) placeSlot(this.slots, this.mask, f, this.hashes[f]);
  }
}

/**
 * One batch of rows shaped like the stored flows (the columns, types and sizes the ingest COPYs:
 * text addresses, a TCP/UDP mix, no hints, as most flows have none), for the bench's "COPY of the
 * flows alone" line: what the database itself takes to load that many flows, with no analysis.
 */
export function flowShapedRows(rows: number, sessionId: string): Uint8Array {
  const r = new BinaryRows(rows * 320);
  const session = utf8(sessionId);
  const tcp = utf8('TCP');
  const udp = utf8('UDP');
  const sf = utf8('SF');
  const s0 = utf8('S0');
  const history = utf8('ShADadFf');
  const udpHistory = utf8('Dd');
  for (let i = 0; i < rows; i++) {
    const isTcp = i % 4 !== 0;
    r.row(STORED_FLOW_COLUMNS.length, 640);
    r.int8Parts(1, i);
    r.bytes(session);
    r.int8(i);
    r.int4(i % 1000);
    r.text(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    r.text(`93.184.${(i >> 4) & 255}.${i & 15}`);
    r.int4(1024 + (i % 60000));
    r.int4(isTcp ? 443 : 53);
    r.bytes(isTcp ? tcp : udp);
    r.int8(4 + (i % 7));
    r.int8(600 + (i % 5000));
    r.float8((i % 1000) / 997);
    r.float8(1_700_000_000 + i / 50);
    r.float8(1_700_000_001 + i / 50);
    r.int8(2 + (i % 4));
    r.int8(2 + (i % 3));
    r.int8(300 + (i % 2000));
    r.int8(300 + (i % 3000));
    r.int4(isTcp ? 0x1b : 0);
    r.int4(isTcp ? 0x1b : 0);
    r.bytes(i % 5 === 0 ? s0 : sf);
    r.int4(i % 50 === 0 ? 1 : 0);
    r.reserve(20);
    for (let k = 0; k < 5; k++) r.null();
    // Zeek's fields: history, payload bytes each way (TCP), the Community ID (28 characters).
    r.bytes(isTcp ? history : udpHistory);
    r.reserve(24);
    if (isTcp) {
      r.int8(200 + (i % 2000));
      r.int8(200 + (i % 3000));
    } else {
      r.null();
      r.null();
    }
    r.text(`1:${(i * 2654435761).toString(36).padStart(26, 'x').slice(0, 26)}=`);
  }
  return r.take().data;
}
