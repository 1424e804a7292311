import { CONN_STATES } from './conn-states.js';
import type { FlowRecord } from './flow-table.js';
import { grown } from './grown.js';

export { CONN_STATES };

/** A state where the responder never completed a handshake: what floods and scans leave. */
export function unansweredState(code: number): boolean {
  const s = CONN_STATES[code];
  return s === 'S0' || s === 'REJ' || s === 'RSTOS0' || s === 'SH' || s === 'RSTRH';
}

const CHUNK = 1 << 16;
const EMPTY_D = new Float64Array(0);
const EMPTY_U = new Uint32Array(0);
// Per flow: 4 doubles (start, end, source bytes, destination bytes) and 5 words (source packets,
// destination packets, source and destination address ids, and dst port << 16 | protocol << 8 |
// conn_state code), each chunk's rows in one Float64Array and one Uint32Array; and, when the index
// is a flow shard's, the flow ids in a Uint32Array per chunk (what merging the shards orders by).
const DW = 4;
const UW = 5;

/** Flows per chunk, and the doubles and words of a flow's row in a chunk (in the order above). */
export const FLOW_CHUNK = CHUNK;
export const FLOW_DOUBLES = DW;
export const FLOW_WORDS = UW;

export interface FlowIndexState {
  limit: number;
  size: number;
  dropped: number;
  doubles: Float64Array[];
  words: Uint32Array[];
  ids: Uint32Array[] | null;
}

/**
 * A compact store of every finished flow (52 bytes each, 56 in a flow shard, in 64k-flow chunks, so growing never
 * copies): what the detection stage needs to find who scanned, swept, flooded or sent what in
 * each window, long after the flow table has reused the record. Holds at most `limit` flows;
 * beyond that it counts what it dropped, and the detection says so. Rows are in flow id order
 * (each reserved as its flow starts; `merge` keeps that for shards), not in the order flows happened
 * to end, so what reads them does not depend on that order.
 */
export class FlowIndex {
  private doubles: Float64Array[] = [];
  private words: Uint32Array[] = [];
  /** Flow ids per chunk (null unless asked for: only merging shards needs them). */
  private ids: Uint32Array[] | null;
  size = 0;
  dropped = 0;

  constructor(
    readonly limit = 8_000_000,
    keepIds = false,
  ) {
    this.ids = keepIds ? [] : null;
  }

  /**
   * Reserves the next row for a flow that starts now, or -1 past the limit (counted as dropped).
   * Flows start in id order, so rows are in id order whenever they are filled.
   */
  reserve(): number {
    const n = this.size;
    if (n >= this.limit) {
      this.dropped++;
      return -1;
    }
    const c = n >>> 16;
    if ((n & (CHUNK - 1)) === 0 && c === this.doubles.length) {
      this.doubles.push(new Float64Array(CHUNK * DW));
      this.words.push(new Uint32Array(CHUNK * UW));
      this.ids?.push(new Uint32Array(CHUNK));
    }
    this.size = n + 1;
    return n;
  }

  /** Writes a finished flow into its reserved row. */
  fill(n: number, f: FlowRecord): void {
    const c = n >>> 16;
    const i = n & (CHUNK - 1);
    const d = this.doubles[c];
    const w = this.words[c];
    const o = i * DW;
    d[o] = f.firstTs;
    d[o + 1] = f.lastTs;
    d[o + 2] = f.srcBytes;
    d[o + 3] = f.dstBytes;
    const u = i * UW;
    w[u] = Math.min(f.srcPackets, 0xffffffff);
    w[u + 1] = Math.min(f.dstPackets, 0xffffffff);
    w[u + 2] = f.srcId;
    w[u + 3] = f.dstId;
    w[u + 4] = ((f.dstPort & 0xffff) << 16) | ((f.proto & 0xff) << 8) | f.connStateCode;
    if (this.ids !== null) this.ids[c][i] = f.flowId;
  }

  /** The flow id of row n (an index made with `keepIds`). */
  id(n: number): number {
    if (this.ids === null) throw new Error('this flow index keeps no flow ids');
    return this.ids[n >>> 16][n & (CHUNK - 1)];
  }

  /**
   * One index from the shards' (each in id order), in id order, with each shard's address ids
   * turned into the merged table's (`ids[s][local]`). Each shard's chunks are let go as soon as the
   * merge has passed them, so the memory stays near one index.
   */
  static merge(parts: FlowIndex[], ids: Int32Array[]): FlowIndex {
    const out = new FlowIndex(parts.length > 0 ? parts[0].limit : undefined);
    const at = new Array<number>(parts.length).fill(0);
    for (const p of parts) out.dropped += p.dropped;
    for (;;) {
      let best = -1;
      let bestId = 0;
      for (let s = 0; s < parts.length; s++) {
        if (at[s] >= parts[s].size) continue;
        const id = parts[s].id(at[s]);
        if (best < 0 || id < bestId) {
          best = s;
          bestId = id;
        }
      }
      if (best < 0) break;
      const p = parts[best];
      const n = at[best]++;
      if (out.size >= out.limit) {
        out.dropped++;
      } else {
        const m = out.size;
        const c = m >>> 16;
        const i = m & (CHUNK - 1);
        if (i === 0 && c === out.doubles.length) {
          out.doubles.push(new Float64Array(CHUNK * DW));
          out.words.push(new Uint32Array(CHUNK * UW));
        }
        const fd = p.doubles[n >>> 16];
        const fw = p.words[n >>> 16];
        const fi = n & (CHUNK - 1);
        const td = out.doubles[c];
        const tw = out.words[c];
        for (let j = 0; j < DW; j++) td[i * DW + j] = fd[fi * DW + j];
        for (let j = 0; j < UW; j++) tw[i * UW + j] = fw[fi * UW + j];
        const map = ids[best];
        tw[i * UW + 2] = map[tw[i * UW + 2]];
        tw[i * UW + 3] = map[tw[i * UW + 3]];
        out.size = m + 1;
      }
      // This shard's chunk is behind the merge now.
      if ((at[best] & (CHUNK - 1)) === 0) {
        const done = (at[best] >>> 16) - 1;
        p.doubles[done] = EMPTY_D;
        p.words[done] = EMPTY_U;
        if (p.ids !== null) p.ids[done] = EMPTY_U;
      }
    }
    return out;
  }

  /** The index's rows, to send to another thread (the chunks can be transferred). */
  exportState(): FlowIndexState {
    return {
      limit: this.limit,
      size: this.size,
      dropped: this.dropped,
      doubles: this.doubles,
      words: this.words,
      ids: this.ids,
    };
  }

  /**
   * The chunks, for a reader that walks every flow (flow n is row n & (FLOW_CHUNK - 1) of chunk
   * n >>> 16): before such a loop is compiled, a call per field costs it several times its work.
   */
  chunks(): { doubles: readonly Float64Array[]; words: readonly Uint32Array[] } {
    return { doubles: this.doubles, words: this.words };
  }

  static restore(state: FlowIndexState): FlowIndex {
    const x = new FlowIndex(state.limit);
    x.doubles = state.doubles;
    x.words = state.words;
    x.ids = state.ids;
    x.size = state.size;
    x.dropped = state.dropped;
    return x;
  }

  start(n: number): number {
    return this.doubles[n >>> 16][(n & (CHUNK - 1)) * DW];
  }
  end(n: number): number {
    return this.doubles[n >>> 16][(n & (CHUNK - 1)) * DW + 1];
  }
  srcBytes(n: number): number {
    return this.doubles[n >>> 16][(n & (CHUNK - 1)) * DW + 2];
  }
  dstBytes(n: number): number {
    return this.doubles[n >>> 16][(n & (CHUNK - 1)) * DW + 3];
  }
  srcPackets(n: number): number {
    return this.words[n >>> 16][(n & (CHUNK - 1)) * UW];
  }
  dstPackets(n: number): number {
    return this.words[n >>> 16][(n & (CHUNK - 1)) * UW + 1];
  }
  src(n: number): number {
    return this.words[n >>> 16][(n & (CHUNK - 1)) * UW + 2];
  }
  dst(n: number): number {
    return this.words[n >>> 16][(n & (CHUNK - 1)) * UW + 3];
  }
  dstPort(n: number): number {
    return this.words[n >>> 16][(n & (CHUNK - 1)) * UW + 4] >>> 16;
  }
  proto(n: number): number {
    return (this.words[n >>> 16][(n & (CHUNK - 1)) * UW + 4] >>> 8) & 0xff;
  }
  state(n: number): number {
    return this.words[n >>> 16][(n & (CHUNK - 1)) * UW + 4] & 0xff;
  }
}

/**
 * ARP requests and replies (time, operation, sender and target IPv4 address), at most `limit` of
 * them: ARP is a small part of any capture, and a sweep shows in its first hundred thousand.
 */
export class ArpLog {
  ts = new Float64Array(1024);
  op = new Uint8Array(1024);
  sender = new Uint32Array(1024);
  target = new Uint32Array(1024);
  size = 0;
  dropped = 0;

  constructor(readonly limit = 1_000_000) {}

  add(rec: { buf: Uint8Array; tsSec: number; tsNsec: number }, p: number): void {
    const b = rec.buf;
    const op = (b[p + 6] << 8) | b[p + 7];
    if (op !== 1 && op !== 2) return;
    if (this.size >= this.limit) {
      this.dropped++;
      return;
    }
    if (this.size === this.ts.length) this.grow();
    const i = this.size++;
    this.ts[i] = rec.tsSec + rec.tsNsec / 1e9;
    this.op[i] = op;
    this.sender[i] = ((b[p + 14] << 24) | (b[p + 15] << 16) | (b[p + 16] << 8) | b[p + 17]) >>> 0;
    this.target[i] = ((b[p + 24] << 24) | (b[p + 25] << 16) | (b[p + 26] << 8) | b[p + 27]) >>> 0;
  }

  private grow(): void {
    const n = this.ts.length * 2;
    this.ts = grown(this.ts, n);
    this.op = grown(this.op, n);
    this.sender = grown(this.sender, n);
    this.target = grown(this.target, n);
  }
}
