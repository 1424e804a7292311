import type { MessagePort } from 'node:worker_threads';
import {
  type AddressTable,
  type FlowRecord,
  type FlowSinkEnv,
  flowCommunityId,
  grown,
  type LoadedFlowSink,
  protocolName,
  windowAt,
} from '../analysis/index.js';
import { BinaryRows, utf8 } from '../storage/db/copy-binary.js';
import { type LogFiles, LogSpool } from './log-spool.js';

/**
 * Finished flows as binary COPY rows for `flows`, in batches posted to the thread that loads
 * them, while the capture is still being read. It runs wherever the flow half of the analysis
 * runs (a worker of the pipeline, or the ingest worker). A flow's window id needs the window
 * length, which `auto` knows only from the capture's time span: the loading thread learns it
 * from a quick first pass over the file and shares it (`windowing`); rows written before that
 * carry what is needed to fill the id in later (`patch`).
 */

export interface FlowCopyOptions {
  sessionId: string;
  /** The session's block of flow ids: a flow's id is block * 2^32 + its flow id (migration 5). */
  idBlock: number;
  /** Rows per batch. */
  batchRows: number;
  /** Int32 [0]: 1 once the doubles at byte 8 hold t0, window length and count. */
  windowing: SharedArrayBuffer;
  /**
   * Int32 [0]: batches the loading thread can still take (the sink waits at 0); [1]: non-zero
   * when the load stopped (the sink gives up). Null when the sink shares the loading thread.
   */
  credits: SharedArrayBuffer | null;
  /** Where the protocol logs' rows are spooled (null with logs off). */
  logFiles: LogFiles | null;
}

export interface FlowRowsBatch {
  type: 'rows';
  /** A whole binary COPY input: header, rows, trailer (see BinaryCopy.writeFramed). */
  data: Uint8Array;
  rows: number;
  /** When the window ids were not known yet: where each row's id goes, and its flow's start. */
  patch: { at: Int32Array; start: Float64Array } | null;
}

export interface FlowRowsEnd {
  type: 'end';
  rows: number;
}

export const WINDOWING_BYTES = 32;

/** Writes the windowing for the sinks (loading thread). */
export function shareWindowing(
  buf: SharedArrayBuffer,
  w: { t0: number; lengthS: number; count: number },
): void {
  const d = new Float64Array(buf, 8, 3);
  d[0] = w.t0;
  d[1] = w.lengthS;
  d[2] = w.count;
  Atomics.store(new Int32Array(buf, 0, 2), 0, 1);
}

/** Fills in the window ids of a batch written before the windowing was known. */
export function patchWindows(batch: FlowRowsBatch, w: { t0: number; lengthS: number; count: number }): void {
  if (!batch.patch) return;
  const view = new DataView(batch.data.buffer, batch.data.byteOffset, batch.data.byteLength);
  const { at, start } = batch.patch;
  for (let i = 0; i < at.length; i++) view.setInt32(at[i], windowAt(start[i], w.t0, w.lengthS, w.count));
  batch.patch = null;
}

const FIELDS = 31;

class FlowCopySink {
  private readonly rows = new BinaryRows(1 << 21, true);
  private readonly session: Uint8Array;
  private readonly ready: Int32Array;
  private readonly win: Float64Array;
  private readonly credits: Int32Array | null;
  private known = false;
  private t0 = 0;
  private lengthS = 1;
  private count = 1;
  private patchAt: number[] = [];
  private patchStart: number[] = [];
  private total = 0;
  // Encoded texts, made once: addresses by id (in one arena: no object per address), protocols,
  // connection states.
  private ipAt = new Int32Array(1024); // offset + 1 in ipText, 0 while not encoded
  private ipLen = new Uint8Array(1024);
  private ipText = new Uint8Array(64 * 1024);
  private ipUsed = 0;
  private readonly protocols = new Map<number, Uint8Array>();
  private readonly states = new Map<string, Uint8Array>();

  constructor(
    private readonly options: FlowCopyOptions,
    private readonly port: MessagePort,
    private readonly env: FlowSinkEnv,
  ) {
    this.session = utf8(options.sessionId);
    this.ready = new Int32Array(options.windowing, 0, 2);
    this.win = new Float64Array(options.windowing, 8, 3);
    this.credits = options.credits ? new Int32Array(options.credits) : null;
  }

  flow = (f: FlowRecord, addresses: AddressTable): void => {
    if (!this.known && Atomics.load(this.ready, 0) === 1) {
      this.known = true;
      this.t0 = this.win[0];
      this.lengthS = this.win[1];
      this.count = this.win[2];
    }
    const r = this.rows;
    r.row(FIELDS, 640);
    r.int8Parts(this.options.idBlock, f.flowId);
    r.bytes(this.session);
    r.int8(f.flowId);
    if (this.known) r.int4(windowAt(f.firstTs, this.t0, this.lengthS, this.count));
    else {
      this.patchAt.push(r.pos + 4);
      this.patchStart.push(f.firstTs);
      r.int4(0);
    }
    const src = this.ip(f.srcId, addresses);
    r.bytesAt(this.ipText, src, this.ipLen[f.srcId]);
    const dst = this.ip(f.dstId, addresses);
    r.bytesAt(this.ipText, dst, this.ipLen[f.dstId]);
    r.int4(f.srcPort);
    r.int4(f.dstPort);
    let proto = this.protocols.get(f.proto);
    if (!proto) this.protocols.set(f.proto, (proto = utf8(protocolName(f.proto))));
    r.bytes(proto);
    r.int8(f.srcPackets + f.dstPackets);
    r.int8(f.srcBytes + f.dstBytes);
    r.float8(Math.round((f.lastTs - f.firstTs) * 1e6) / 1e6);
    r.float8(f.firstTs);
    r.float8(f.lastTs);
    r.int8(f.srcPackets);
    r.int8(f.dstPackets);
    r.int8(f.srcBytes);
    r.int8(f.dstBytes);
    r.int4(f.srcFlags);
    r.int4(f.dstFlags);
    let state = this.states.get(f.connState);
    if (!state) this.states.set(f.connState, (state = utf8(f.connState)));
    r.bytes(state);
    r.int4(f.retransmissions);
    const h = f.hints;
    if (h === null) {
      r.reserve(20);
      for (let i = 0; i < 5; i++) r.null();
    } else {
      r.text(h.dnsQuery);
      r.reserve(8);
      if (h.dnsRcode === null) r.null();
      else r.int4(h.dnsRcode);
      r.text(h.tlsSni);
      r.text(h.httpMethod);
      r.text(h.httpHost);
    }
    // Zeek's fields: history, payload bytes by sequence space (TCP), the Community ID.
    r.text(f.history === '' ? null : f.history);
    r.reserve(24);
    if (f.origBytes < 0) r.null();
    else r.int8(f.origBytes);
    if (f.respBytes < 0) r.null();
    else r.int8(f.respBytes);
    r.text(flowCommunityId(f, addresses));
    if (r.rows >= this.options.batchRows) this.send();
  };

  /** Where the address's text starts in ipText (encoded the first time it is asked for). */
  private ip(id: number, addresses: AddressTable): number {
    if (id >= this.ipAt.length) {
      const n = Math.max(2 * this.ipAt.length, id + 1);
      this.ipAt = grown(this.ipAt, n);
      this.ipLen = grown(this.ipLen, n);
    }
    const at = this.ipAt[id];
    if (at !== 0) return at - 1;
    const text = addresses.format(id); // ASCII, at most 45 characters
    if (this.ipUsed + text.length > this.ipText.length) {
      this.ipText = grown(this.ipText, 2 * this.ipText.length);
    }
    const off = this.ipUsed;
    for (let i = 0; i < text.length; i++) this.ipText[off + i] = text.charCodeAt(i);
    this.ipUsed = off + text.length;
    this.ipAt[id] = off + 1;
    this.ipLen[id] = text.length;
    return off;
  }

  private send(): void {
    const { data, rows } = this.rows.take();
    if (rows === 0) return;
    let patch: FlowRowsBatch['patch'] = null;
    if (this.patchAt.length > 0) {
      patch = { at: Int32Array.from(this.patchAt), start: Float64Array.from(this.patchStart) };
      this.patchAt = [];
      this.patchStart = [];
    }
    this.waitForCredit();
    this.total += rows;
    const batch: FlowRowsBatch = { type: 'rows', data, rows, patch };
    const transfer: ArrayBuffer[] = [data.buffer as ArrayBuffer];
    if (patch) transfer.push(patch.at.buffer as ArrayBuffer, patch.start.buffer as ArrayBuffer);
    this.port.postMessage(batch, transfer);
  }

  /** Waits until the loading thread can take another batch (it is slower than the analysis). */
  private waitForCredit(): void {
    const c = this.credits;
    if (c === null) return;
    for (;;) {
      if (Atomics.load(c, 1) !== 0) throw new Error('the load stopped');
      const v = Atomics.load(c, 0);
      if (v > 0) {
        if (Atomics.compareExchange(c, 0, v, v - 1) === v) return;
        continue;
      }
      this.env.beat();
      Atomics.wait(c, 0, v, 200);
    }
  }

  finish = (): void => {
    this.send();
    const end: FlowRowsEnd = { type: 'end', rows: this.total };
    this.port.postMessage(end);
  };
}

/** The sink module's entry (see FlowSinkSpec in the analysis pipeline). */
export function createFlowSink(
  options: unknown,
  port: MessagePort | undefined,
  env: FlowSinkEnv,
): LoadedFlowSink {
  if (!port) throw new Error('the flow copy sink needs a port');
  const o = options as FlowCopyOptions;
  const sink = new FlowCopySink(o, port, env);
  const logs = o.logFiles ? new LogSpool(o.sessionId, o.logFiles) : null;
  return {
    flow: sink.flow,
    log: logs ?? undefined,
    finish: () => {
      logs?.close();
      sink.finish();
    },
  };
}
