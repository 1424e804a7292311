import { L4_ICMP, L4_ICMPV6, L4_TCP, L4_UDP } from '../decode/index.js';
import { AddressTable, type AddressTableState } from './address-table.js';
import { CONN_STATES } from './conn-states.js';
import { FlowIndex, type FlowIndexState } from './flow-index.js';
import {
  type AddressBook,
  DIRECTION,
  type FlowRecord,
  FlowTable,
  type FlowTimeouts,
  type HintParser,
} from './flow-table.js';
import { grown } from './grown.js';
import { isGroupAddress, isUnspecifiedAddress, LocalNets } from './local-nets.js';
import { LOG_ROW_CAP, LogRowCollector, type LogRows, settleLogRows } from './log-rows.js';
import { FlowLogs, type LogSink, type LogTotals } from './logs.js';
import {
  KIND_MASK,
  R_END,
  R_FLOW,
  R_IP,
  R_NOTE_PORT,
  R_SIDE_B,
  R_SWEEP,
  R_TIME,
  R_V6,
} from './packet-records.js';
import type { AnalysisSettings } from './settings.js';
import { COL, durationBucket, WindowAccumulator, type WindowAccumulatorState } from './windows.js';

/** A finished flow kept for the report (top flows by bytes). */
export interface FlowSummary {
  flow_id: number;
  protocol: string;
  src_ip: string;
  dst_ip: string;
  src_port: number;
  dst_port: number;
  first_ts: number;
  last_ts: number;
  duration_s: number;
  packets: number;
  bytes: number;
  src_packets: number;
  dst_packets: number;
  src_bytes: number;
  dst_bytes: number;
  conn_state: string;
  retransmissions: number;
  dns_query: string | null;
  dns_rcode: number | null;
  tls_sni: string | null;
  http_method: string | null;
  http_host: string | null;
}

export interface PortUsage {
  protocol: 'tcp' | 'udp';
  port: number;
  flows: number;
  packets: number;
  bytes: number;
}

/** The top flows' order: more bytes first, then the lower id (the earlier first frame). */
export function topFlowOrder(a: FlowSummary, b: FlowSummary): number {
  return b.bytes - a.bytes || a.flow_id - b.flow_id;
}

/** Ends between idle sweeps, in capture seconds (every flow shard sweeps at the same times). */
export function sweepInterval(t: FlowTimeouts): number {
  return Math.max(1, Math.min(t.tcp, t.udp, t.icmp, t.other));
}

export function protocolName(proto: number): string {
  if (proto === L4_TCP) return 'TCP';
  if (proto === L4_UDP) return 'UDP';
  if (proto === L4_ICMP) return 'ICMP';
  if (proto === L4_ICMPV6) return 'ICMPv6';
  return `IP-${proto}`;
}

/** Receives every finished flow (a reused record: copy what you keep) with the addresses. */
export type FlowSink = (flow: FlowRecord, addresses: AddressTable) => void;

export interface FlowStageOptions {
  localNets: LocalNets;
  timeouts: FlowTimeouts;
  topN: number;
  hintParser: HintParser | null;
  flowIndex: boolean;
  /** The flow index keeps flow ids (a flow shard's: merging the shards orders by them). */
  flowIndexIds?: boolean;
  onFlow?: FlowSink | null;
  /** Run the protocol-log parsers (settings.logs); their rows go to `onLog` when given. */
  logs: boolean;
  onLog?: LogSink | null;
  /** With logs: rows of each kind kept for the detection (`LogRows`; default LOG_ROW_CAP, 0 none). */
  logRows?: number;
}

/**
 * The flow half's options from the analysis settings, built in whichever thread runs it: the
 * settings cross threads as data, the local networks are parsed here once per flow half.
 */
export function flowStageOptions(
  settings: AnalysisSettings,
  hooks: {
    hintParser: HintParser | null;
    flowIndex: boolean;
    flowIndexIds?: boolean;
    onFlow: FlowSink | null;
    onLog?: LogSink | null;
    logRows?: number;
  },
): FlowStageOptions {
  return {
    localNets: new LocalNets(settings.localNets),
    timeouts: settings.timeouts,
    topN: settings.topN,
    logs: settings.logs,
    ...hooks,
  };
}

/** A finished flow stage as sent between threads. */
export interface FlowStageState {
  addresses: AddressTableState;
  /** Per address id: the frame that first showed it × 2 + its place in that frame (0 or 1). */
  firstSeen: Float64Array;
  talk: Float64Array;
  locality: Uint8Array;
  directionBytes: Float64Array;
  directionPackets: Float64Array;
  retransmissions: number;
  flowCounts: FlowStage['flowCounts'];
  flowDurations: Float64Array;
  stateCounts: Float64Array;
  stateFirst: Float64Array;
  portFlows: Float64Array;
  portPackets: Float64Array;
  portBytes: Float64Array;
  portOrder: number[];
  topFlows: FlowSummary[];
  flowIndex: FlowIndexState | null;
  windows: WindowAccumulatorState;
  logs: LogTotals | null;
  logRows: LogRows | null;
}

const LOCAL = 1;
const REMOTE = 2;
/** Multicast or broadcast: local, and in a flow on its sender's side. */
const GROUP = 3;

/**
 * The flow half of the one pass: reads the packet records of `packet-records.ts` and keeps
 * everything that needs a packet's addresses or flow: the flow table, the address table, talkers,
 * direction, the per-window flow columns (new flows, retransmissions, direction, flow durations,
 * distinct addresses and ports), and what finished flows feed (flow counts and durations,
 * connection states, port usage, top flows, the flow index). It runs in the calling thread or in a
 * worker of its own (see `pipeline.ts`).
 */
export class FlowStage implements AddressBook {
  readonly addresses: AddressTable;
  readonly localNets: LocalNets;
  readonly flows: FlowTable;
  readonly timeouts: FlowTimeouts;
  private readonly topN: number;

  // Per address id: bytes sent, bytes received, packets sent, packets received (interleaved, so
  // one address is one cache line), and whether it is local.
  talk: Float64Array = new Float64Array(4 * 1024);
  locality: Uint8Array = new Uint8Array(1024);
  /**
   * Per address id: the frame that first showed it × 2 + its place there (0 the first address
   * interned, 1 the second). Merging shards orders the addresses by it, as one thread would have.
   */
  firstSeen: Float64Array = new Float64Array(1024);
  /** Frame of the record being read, and how many addresses it has interned. */
  private frame = 0;
  private internedHere = 0;

  // Direction totals: inbound, outbound, internal, external.
  readonly directionBytes = new Float64Array(4);
  readonly directionPackets = new Float64Array(4);
  retransmissions = 0;

  // From finished flows.
  readonly flowCounts = { total: 0, tcp: 0, udp: 0, icmp: 0, other: 0 };
  readonly flowDurations = new Float64Array(9);
  /**
   * Flows per conn_state code, TCP flows at [code] and the others at [CONN_STATES.length + code]
   * (TCP health shows TCP's alone), and per code the first flow (lowest id) that ended in it: states
   * are listed in the order their first flows started, whichever thread saw them.
   */
  stateCounts: Float64Array = new Float64Array(2 * CONN_STATES.length);
  stateFirst: Float64Array = new Float64Array(CONN_STATES.length).fill(Number.POSITIVE_INFINITY);
  /** Port usage by transport (TCP 0, UDP 1) × 65536 + service port: flows, packets, bytes. */
  portFlows: Float64Array = new Float64Array(2 * 65536);
  portPackets: Float64Array = new Float64Array(2 * 65536);
  portBytes: Float64Array = new Float64Array(2 * 65536);
  /** Keys of portFlows in the order they were first seen. */
  portOrder: number[] = [];
  readonly topFlows: FlowSummary[] = [];
  readonly flowIndex: FlowIndex | null;
  private readonly onFlow: FlowSink | null;
  /** The protocol logs' parsers (null with logs off, and in a stage rebuilt from its state). */
  private readonly logs: FlowLogs | null;
  /** Their counters and tallies, for the summary (null with logs off). */
  logTotals: LogTotals | null;
  /** The transactions kept for the detection (null with logs off). */
  logRows: LogRows | null = null;

  /** Whole seconds of the records being read (from the last time record), and their row (or -1). */
  private sec = 0;
  private secRow = -1;

  constructor(
    options: FlowStageOptions,
    /** The per-window flow columns go here (the packet half has its own accumulator). */
    readonly windows: WindowAccumulator,
    addresses?: AddressTableState,
    flowIndex?: FlowIndexState | null,
  ) {
    this.localNets = options.localNets;
    this.timeouts = options.timeouts;
    this.topN = options.topN;
    this.onFlow = options.onFlow ?? null;
    this.addresses = addresses ? AddressTable.restore(addresses) : new AddressTable();
    if (flowIndex !== undefined) this.flowIndex = flowIndex ? FlowIndex.restore(flowIndex) : null;
    else this.flowIndex = options.flowIndex ? new FlowIndex(undefined, options.flowIndexIds === true) : null;
    this.logs = null;
    if (options.logs && addresses === undefined) {
      const cap = options.logRows ?? LOG_ROW_CAP;
      const onLog = options.onLog ?? null;
      let sink = onLog;
      if (cap > 0) {
        // Rows name their flow by id; the flow's ends are read from the table while it is there.
        const collector = new LogRowCollector(
          (flowId, out) => {
            const f = this.logs?.slotOf(flowId) ?? -1;
            if (f < 0) return false;
            this.flows.endsOf(f, out);
            return true;
          },
          (id) => this.addresses.format(id),
          cap,
        );
        this.logRows = collector.rows;
        sink = onLog
          ? {
              dns: (r) => {
                collector.dns(r);
                onLog.dns(r);
              },
              http: (r) => {
                collector.http(r);
                onLog.http(r);
              },
              tls: (r) => {
                collector.tls(r);
                onLog.tls(r);
              },
            }
          : collector;
      }
      this.logs = new FlowLogs(sink);
    }
    this.logTotals = this.logs?.totals ?? null;
    const index = this.flowIndex;
    this.flows = new FlowTable(
      this.timeouts,
      this,
      (f) => this.flowEnded(f),
      options.hintParser,
      this.logs,
      index ? () => index.reserve() : null,
    );
  }

  /** Reads the records in W[start, end). */
  consume(W: Int32Array, start: number, end: number): void {
    const bytes = new Uint8Array(W.buffer, W.byteOffset, W.byteLength);
    const F64 = new Float64Array(W.buffer, W.byteOffset, W.length >> 1);
    let p = start;
    while (p < end) {
      const hdr = W[p];
      const kind = hdr & KIND_MASK;
      if (kind === R_TIME) {
        this.sec = W[p + 1] * 4294967296 + (W[p + 2] >>> 0);
        this.secRow = -1;
        p += 4;
        continue;
      }
      if (kind === R_SWEEP) {
        this.sweep(F64[(p + 2) >> 1]);
        p += 4;
        continue;
      }
      if (kind !== R_IP) {
        if (kind === R_END) break; // the batch ends early
        throw new Error(`damaged record batch at word ${p}`);
      }
      p = this.ip(W, F64, bytes, p, hdr);
    }
  }

  /** One IP packet record at W[p]; returns where the next record starts. */
  private ip(W: Int32Array, F64: Float64Array, bytes: Uint8Array, p: number, hdr: number): number {
    const len = W[p + 1];
    const ts = F64[(p + 2) >> 1];
    const win = this.windows;
    // The row: with whole-second bases, one lookup per second (the time record) is enough.
    let o = this.secRow;
    if (o < 0) {
      o = win.rowOfTime(this.sec, ts);
      if (win.wholeSeconds) this.secRow = o;
    }
    let src: number;
    let dst: number;
    let d: number;
    let note = true;
    let q: number;
    const v6 = (hdr & R_V6) !== 0;
    this.internedHere = 0;
    if ((hdr & R_FLOW) !== 0) {
      this.frame = W[(v6 ? p + 12 : p + 6) + 2];
      const flows = this.flows;
      q = flows.packet(W, F64, bytes, p, hdr, win.noteKey());
      d = flows.direction;
      note = flows.firstInWindow;
      src = note ? flows.senderId : 0;
      dst = note ? flows.receiverId : 0;
      const rows = win.rows;
      if (flows.newFlow) rows[o + COL.newFlows]++;
      if (flows.retransmission) {
        rows[o + COL.retrans]++;
      }
    } else {
      // Not part of a flow: talkers are counted here rather than when a flow ends.
      const ip = v6 ? 6 : 4;
      q = v6 ? p + 12 : p + 6;
      this.frame = W[q];
      src = this.intern(ip, W, p + 4);
      dst = this.intern(ip, W, v6 ? p + 8 : p + 5);
      q++;
      const srcLocal = this.isLocal(src) ? 1 : 0;
      d = DIRECTION[(srcLocal << 1) | (this.isGroup(dst) ? srcLocal : this.isLocal(dst) ? 1 : 0)];
      const talk = this.talk;
      talk[4 * src] += len;
      talk[4 * src + 2]++;
      talk[4 * dst + 1] += len;
      talk[4 * dst + 3]++;
    }
    // Direction index: 0 inbound (remote → local), 1 outbound, 2 internal, 3 external. The
    // capture's totals are the sums of the windows' (see `finish`).
    const rows = win.rows;
    rows[o + COL.inBytes + d] += len;
    rows[o + COL.inPackets + d]++;
    // Distinct values per window: a flow side notes its addresses and port once per window.
    if (note) {
      win.note(0, src);
      win.note(1, dst);
      if ((hdr & R_NOTE_PORT) !== 0) {
        // The packet's destination port: the key's, in the sender's order.
        const ports = W[(hdr & R_V6) !== 0 ? p + 12 : p + 6];
        win.note(2, (hdr & R_SIDE_B) !== 0 ? ports >>> 16 : ports & 0xffff);
      }
    }
    return q + (q & 1);
  }

  /**
   * Ends flows idle at capture time `ts` and DNS queries unanswered for too long (a sweep record:
   * the packet half sends the same ones to every shard). Idle flows are split exactly when their
   * next packet comes; the sweep bounds memory and times the unanswered queries.
   */
  private sweep(ts: number): void {
    this.flows.expire(ts);
    if (this.logs !== null) {
      this.logs.clock[0] = ts;
      this.logs.expire();
    }
    this.secRow = -1;
  }

  /** Interns an address, growing the per-address arrays with the table. */
  intern(ip: number, words: Int32Array, at: number): number {
    const before = this.addresses.size;
    const id = this.addresses.intern(ip, words, at);
    if (id >= this.locality.length) this.growAddresses();
    if (id === before) this.firstSeen[id] = this.frame * 2 + this.internedHere;
    this.internedHere++;
    return id;
  }

  /**
   * Whether an address is on the local side: in a local network, unspecified (a host without an
   * address yet), or multicast or broadcast.
   */
  isLocal(id: number): boolean {
    return this.localityOf(id) !== REMOTE;
  }

  /** Whether an address is multicast or broadcast: a flow's direction puts it on its sender's side. */
  isGroup(id: number): boolean {
    return this.localityOf(id) === GROUP;
  }

  private localityOf(id: number): number {
    let l = this.locality[id];
    if (l === 0) {
      const family = this.addresses.familyOf(id);
      const words = this.addresses.wordsOf(id);
      if (isGroupAddress(family, words)) l = GROUP;
      else l = this.localNets.contains(family, words) || isUnspecifiedAddress(family, words) ? LOCAL : REMOTE;
      this.locality[id] = l;
    }
    return l;
  }

  private growAddresses(): void {
    const n = Math.max(this.locality.length * 2, this.addresses.size + 1);
    this.talk = grown(this.talk, 4 * n);
    this.locality = grown(this.locality, n);
    this.firstSeen = grown(this.firstSeen, n);
  }

  private flowEnded(f: FlowRecord): void {
    // Talkers from the flow's totals each way.
    const talk = this.talk;
    const s = 4 * f.srcId;
    const d = 4 * f.dstId;
    talk[s] += f.srcBytes;
    talk[s + 1] += f.dstBytes;
    talk[s + 2] += f.srcPackets;
    talk[s + 3] += f.dstPackets;
    talk[d] += f.dstBytes;
    talk[d + 1] += f.srcBytes;
    talk[d + 2] += f.dstPackets;
    talk[d + 3] += f.srcPackets;
    const c = this.flowCounts;
    c.total++;
    if (f.proto === L4_TCP) c.tcp++;
    else if (f.proto === L4_UDP) c.udp++;
    else if (f.proto === L4_ICMP || f.proto === L4_ICMPV6) c.icmp++;
    else c.other++;
    const bucket = durationBucket(f.lastTs - f.firstTs);
    this.flowDurations[bucket]++;
    this.windows.flowEnded(f, bucket);
    const code = f.connStateCode;
    if (f.flowId < this.stateFirst[code]) this.stateFirst[code] = f.flowId;
    this.stateCounts[f.proto === L4_TCP ? code : CONN_STATES.length + code]++;
    if (f.proto === L4_TCP || f.proto === L4_UDP) {
      const key = (f.proto === L4_TCP ? 0 : 65536) + f.dstPort;
      if (this.portFlows[key]++ === 0) this.portOrder.push(key);
      this.portPackets[key] += f.packets;
      this.portBytes[key] += f.bytes;
    }
    this.keepTopFlow(f);
    if (f.indexRow >= 0) this.flowIndex?.fill(f.indexRow, f);
    this.onFlow?.(f, this.addresses);
  }

  /** Keeps the topN flows by bytes, ties by id (`topFlowOrder`); only flows that make the list are copied. */
  private keepTopFlow(f: FlowRecord): void {
    const top = this.topFlows;
    const bytes = f.bytes;
    const id = f.flowId;
    if (top.length >= this.topN) {
      const last = top[top.length - 1];
      if (bytes < last.bytes || (bytes === last.bytes && id > last.flow_id)) return;
    }
    const entry = this.summarizeFlow(f);
    let i = top.length;
    while (i > 0 && topFlowOrder(top[i - 1], entry) > 0) i--;
    top.splice(i, 0, entry);
    if (top.length > this.topN) top.pop();
  }

  summarizeFlow(f: FlowRecord): FlowSummary {
    const h = f.hints;
    return {
      flow_id: f.flowId,
      protocol: protocolName(f.proto),
      src_ip: this.addresses.format(f.srcId),
      dst_ip: this.addresses.format(f.dstId),
      src_port: f.srcPort,
      dst_port: f.dstPort,
      first_ts: f.firstTs,
      last_ts: f.lastTs,
      duration_s: Math.round(f.duration * 1e6) / 1e6, // times are kept to the microsecond
      packets: f.packets,
      bytes: f.bytes,
      src_packets: f.srcPackets,
      dst_packets: f.dstPackets,
      src_bytes: f.srcBytes,
      dst_bytes: f.dstBytes,
      conn_state: f.connState,
      retransmissions: f.retransmissions,
      dns_query: h?.dnsQuery ?? null,
      dns_rcode: h?.dnsRcode ?? null,
      tls_sni: h?.tlsSni ?? null,
      http_method: h?.httpMethod ?? null,
      http_host: h?.httpHost ?? null,
    };
  }

  /** The conn_state codes seen, in the order their first flows started. */
  private get stateOrder(): number[] {
    const codes: number[] = [];
    for (let c = 0; c < CONN_STATES.length; c++)
      if (this.stateFirst[c] !== Number.POSITIVE_INFINITY) codes.push(c);
    return codes.sort((a, b) => this.stateFirst[a] - this.stateFirst[b]);
  }

  /** Flows per conn_state, in the order their first flows started. */
  get connStates(): Map<string, number> {
    const n = CONN_STATES.length;
    return new Map(
      this.stateOrder.map((code) => [CONN_STATES[code], this.stateCounts[code] + this.stateCounts[n + code]]),
    );
  }

  /** TCP flows per conn_state, in the same order (states TCP had). */
  get tcpConnStates(): Map<string, number> {
    const tcp = this.stateOrder.filter((code) => this.stateCounts[code] > 0);
    return new Map(tcp.map((code) => [CONN_STATES[code], this.stateCounts[code]]));
  }

  /** Port usage by (transport, service port), in the order first seen. */
  get ports(): PortUsage[] {
    return this.portOrder.map((key) => ({
      protocol: key < 65536 ? 'tcp' : 'udp',
      port: key & 0xffff,
      flows: this.portFlows[key],
      packets: this.portPackets[key],
      bytes: this.portBytes[key],
    }));
  }

  /** Ends the pass: ends every live flow, and sums the windows' direction and retransmissions. */
  finish(): void {
    this.flows.flush();
    this.logs?.finish();
    // An order that must not depend on when each transaction was written (nor on the shard).
    if (this.logRows !== null) settleLogRows(this.logRows);
    const totals = this.windows.columnTotals();
    for (let d = 0; d < 4; d++) {
      this.directionBytes[d] = totals[COL.inBytes + d];
      this.directionPackets[d] = totals[COL.inPackets + d];
    }
    this.retransmissions = totals[COL.retrans];
  }

  /** Everything the report needs, to send to another thread; `transfer` lists its big buffers. */
  exportState(): { state: FlowStageState; transfer: ArrayBuffer[] } {
    const addresses = this.addresses.exportState();
    const index = this.flowIndex?.exportState() ?? null;
    const windows = this.windows.exportState();
    const state: FlowStageState = {
      addresses,
      firstSeen: this.firstSeen,
      talk: this.talk,
      locality: this.locality,
      directionBytes: this.directionBytes,
      directionPackets: this.directionPackets,
      retransmissions: this.retransmissions,
      flowCounts: this.flowCounts,
      flowDurations: this.flowDurations,
      stateCounts: this.stateCounts,
      stateFirst: this.stateFirst,
      portFlows: this.portFlows,
      portPackets: this.portPackets,
      portBytes: this.portBytes,
      portOrder: this.portOrder,
      topFlows: this.topFlows,
      flowIndex: index,
      windows,
      logs: this.logTotals,
      logRows: this.logRows,
    };
    const buffers = new Set<ArrayBuffer>();
    const add = (a: ArrayBufferView) => {
      if (a.buffer instanceof ArrayBuffer) buffers.add(a.buffer);
    };
    for (const a of [addresses.words, addresses.family, this.talk, this.locality, this.firstSeen]) add(a);
    for (const a of [this.portFlows, this.portPackets, this.portBytes]) add(a);
    for (const a of index?.doubles ?? []) add(a);
    for (const a of index?.words ?? []) add(a);
    for (const a of index?.ids ?? []) add(a);
    for (const page of windows.pages.values()) add(page);
    for (const e of windows.entries) add(e);
    return { state, transfer: [...buffers] };
  }

  /** A finished stage rebuilt from `exportState` (in the thread that reports). */
  static restore(state: FlowStageState, options: FlowStageOptions): FlowStage {
    const stage = new FlowStage(
      options,
      WindowAccumulator.restore(state.windows),
      state.addresses,
      state.flowIndex,
    );
    stage.talk = state.talk;
    stage.locality = state.locality;
    stage.firstSeen = state.firstSeen;
    stage.directionBytes.set(state.directionBytes);
    stage.directionPackets.set(state.directionPackets);
    stage.retransmissions = state.retransmissions;
    Object.assign(stage.flowCounts, state.flowCounts);
    stage.flowDurations.set(state.flowDurations);
    stage.stateCounts = state.stateCounts;
    stage.stateFirst = state.stateFirst;
    stage.portFlows = state.portFlows;
    stage.portPackets = state.portPackets;
    stage.portBytes = state.portBytes;
    stage.portOrder = state.portOrder;
    stage.topFlows.push(...state.topFlows);
    stage.logTotals = state.logs;
    stage.logRows = state.logRows;
    return stage;
  }
}
