import { CONN_STATES } from './conn-states.js';
import type { FlowRecord } from './flow-table.js';

export { CONN_STATES };

/** A state where the responder never completed a handshake: what floods and scans leave. */
export function unansweredState(code: number): boolean {
  const s = CONN_STATES[code];
  return s === 'S0' || s === 'REJ' || s === 'RSTOS0' || s === 'SH' || s === 'RSTRH';
}

const CHUNK = 1 << 16;

export interface FlowIndexState {
  limit: number;
  size: number;
  dropped: number;
  chunks: (Float64Array | Uint32Array)[][];
}

/**
 * A compact column store of every finished flow (48 bytes each, in 64k-flow chunks, so
 * growing never copies): what the detection stage needs to find who scanned, swept, flooded or
 * sent what in each window, long after the flow table has reused the record. Holds at most
 * `limit` flows; beyond that it counts what it dropped, and the detection says so.
 */
export class FlowIndex {
  private startChunks: Float64Array[] = [];
  private endChunks: Float64Array[] = [];
  private srcBytesChunks: Float64Array[] = [];
  private dstBytesChunks: Float64Array[] = [];
  private srcPacketsChunks: Uint32Array[] = [];
  private dstPacketsChunks: Uint32Array[] = [];
  private srcChunks: Uint32Array[] = [];
  private dstChunks: Uint32Array[] = [];
  /** dst port << 16 | protocol << 8 | conn_state code. */
  private metaChunks: Uint32Array[] = [];
  size = 0;
  dropped = 0;

  constructor(readonly limit = 8_000_000) {}

  add(f: FlowRecord): void {
    if (this.size >= this.limit) {
      this.dropped++;
      return;
    }
    const c = this.size >>> 16;
    const i = this.size & (CHUNK - 1);
    if (i === 0 && c === this.startChunks.length) {
      this.startChunks.push(new Float64Array(CHUNK));
      this.endChunks.push(new Float64Array(CHUNK));
      this.srcBytesChunks.push(new Float64Array(CHUNK));
      this.dstBytesChunks.push(new Float64Array(CHUNK));
      this.srcPacketsChunks.push(new Uint32Array(CHUNK));
      this.dstPacketsChunks.push(new Uint32Array(CHUNK));
      this.srcChunks.push(new Uint32Array(CHUNK));
      this.dstChunks.push(new Uint32Array(CHUNK));
      this.metaChunks.push(new Uint32Array(CHUNK));
    }
    this.startChunks[c][i] = f.firstTs;
    this.endChunks[c][i] = f.lastTs;
    this.srcBytesChunks[c][i] = f.srcBytes;
    this.dstBytesChunks[c][i] = f.dstBytes;
    this.srcPacketsChunks[c][i] = Math.min(f.srcPackets, 0xffffffff);
    this.dstPacketsChunks[c][i] = Math.min(f.dstPackets, 0xffffffff);
    this.srcChunks[c][i] = f.srcId;
    this.dstChunks[c][i] = f.dstId;
    this.metaChunks[c][i] = ((f.dstPort & 0xffff) << 16) | ((f.proto & 0xff) << 8) | f.connStateCode;
    this.size++;
  }

  /** The index's columns, to send to another thread (the chunks can be transferred). */
  exportState(): FlowIndexState {
    return {
      limit: this.limit,
      size: this.size,
      dropped: this.dropped,
      chunks: [
        this.startChunks,
        this.endChunks,
        this.srcBytesChunks,
        this.dstBytesChunks,
        this.srcPacketsChunks,
        this.dstPacketsChunks,
        this.srcChunks,
        this.dstChunks,
        this.metaChunks,
      ],
    };
  }

  static restore(state: FlowIndexState): FlowIndex {
    const x = new FlowIndex(state.limit);
    const c = state.chunks;
    x.startChunks = c[0] as Float64Array[];
    x.endChunks = c[1] as Float64Array[];
    x.srcBytesChunks = c[2] as Float64Array[];
    x.dstBytesChunks = c[3] as Float64Array[];
    x.srcPacketsChunks = c[4] as Uint32Array[];
    x.dstPacketsChunks = c[5] as Uint32Array[];
    x.srcChunks = c[6] as Uint32Array[];
    x.dstChunks = c[7] as Uint32Array[];
    x.metaChunks = c[8] as Uint32Array[];
    x.size = state.size;
    x.dropped = state.dropped;
    return x;
  }

  start(n: number): number {
    return this.startChunks[n >>> 16][n & (CHUNK - 1)];
  }
  end(n: number): number {
    return this.endChunks[n >>> 16][n & (CHUNK - 1)];
  }
  srcBytes(n: number): number {
    return this.srcBytesChunks[n >>> 16][n & (CHUNK - 1)];
  }
  dstBytes(n: number): number {
    return this.dstBytesChunks[n >>> 16][n & (CHUNK - 1)];
  }
  srcPackets(n: number): number {
    return this.srcPacketsChunks[n >>> 16][n & (CHUNK - 1)];
  }
  dstPackets(n: number): number {
    return this.dstPacketsChunks[n >>> 16][n & (CHUNK - 1)];
  }
  src(n: number): number {
    return this.srcChunks[n >>> 16][n & (CHUNK - 1)];
  }
  dst(n: number): number {
    return this.dstChunks[n >>> 16][n & (CHUNK - 1)];
  }
  dstPort(n: number): number {
    return this.metaChunks[n >>> 16][n & (CHUNK - 1)] >>> 16;
  }
  proto(n: number): number {
    return (this.metaChunks[n >>> 16][n & (CHUNK - 1)] >>> 8) & 0xff;
  }
  state(n: number): number {
    return this.metaChunks[n >>> 16][n & (CHUNK - 1)] & 0xff;
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
    const ts = new Float64Array(n);
    ts.set(this.ts);
    this.ts = ts;
    const op = new Uint8Array(n);
    op.set(this.op);
    this.op = op;
    const sender = new Uint32Array(n);
    sender.set(this.sender);
    this.sender = sender;
    const target = new Uint32Array(n);
    target.set(this.target);
    this.target = target;
  }
}
