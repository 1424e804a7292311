import type { CaptureRecord } from '../capture/index.js';
import {
  type DecodedPacket,
  FRAME_IP,
  L4_ICMP,
  L4_ICMPV6,
  L4_TCP,
  L4_UDP,
  TCP_ACK,
  TCP_FIN,
  TCP_RST,
  TCP_SYN,
} from '../decode/index.js';
import { ATTACH_MAX, AttachPolicy } from '../protocols/index.js';
import type { AddressTable } from './address-table.js';
import { CaptureStats } from './capture-stats.js';
import { ArpLog, type FlowIndex } from './flow-index.js';
import {
  FlowStage,
  type FlowStageOptions,
  type FlowStageState,
  type FlowSummary,
  flowStageOptions,
  type PortUsage,
  sweepInterval,
} from './flow-stage.js';
import type { FlowRecord, FlowTimeouts, HintParser } from './flow-table.js';
import { hintBytes, parseFlowHints } from './hints.js';
import type { LocalNets } from './local-nets.js';
import type { LogRows } from './log-rows.js';
import type { LogSink, LogTotals } from './logs.js';
import {
  FLAGS_SHIFT,
  HINT_BYTES_MAX,
  keyHash4,
  keyHash6,
  MAX_FIXED_WORDS,
  MIN_BATCH_WORDS,
  PROTO_SHIFT,
  R_ECHO,
  R_END,
  R_FLOW,
  R_HINT,
  R_IP,
  R_LOG,
  R_NO_PORTS,
  R_NOTE_PORT,
  R_PAYLOAD,
  R_SIDE_B,
  R_SWEEP,
  R_TCP,
  R_TIME,
  R_V6,
} from './packet-records.js';
import { type AnalysisSettings, DEFAULT_SETTINGS } from './settings.js';
import { mergeShards } from './shard-merge.js';
import { COL, sizeBucket, WindowAccumulator, type WindowSet } from './windows.js';

export { type FlowSummary, type PortUsage, protocolName } from './flow-stage.js';

export interface AnalyzerOptions {
  /** Window length, local networks, timeouts, top-N (see `resolveSettings`); the defaults if absent. */
  settings?: AnalysisSettings;
  /** Receives every finished flow (a reused record: copy what you keep). */
  onFlow?: (flow: FlowRecord, analyzer: Analyzer) => void;
  hintParser?: HintParser | null;
  /** Keep a compact index of every finished flow for the detection stage (default true). */
  flowIndex?: boolean;
  /** Receives every protocol-log transaction (in this thread; with settings.logs). */
  onLog?: LogSink | null;
  /** Rows of each log kind kept for the detection (`report.logRows`; default LOG_ROW_CAP, 0 none). */
  logRows?: number;
}

export interface Talker {
  id: number;
  bytesSent: number;
  bytesReceived: number;
  packetsSent: number;
  packetsReceived: number;
}

/** Where the packet half hands its records to the flow half (see `packet-records.ts`). */
export interface RecordOutlet {
  /** The batch being written (records go at `pos`; a full batch is handed over by `next`). */
  words: Int32Array;
  /** Hands the first `used` words over and returns the batch to write next. */
  next(used: number): Int32Array;
}

/** Batch size of the in-thread hand-over: large enough for the biggest record. */
const LOCAL_BATCH_WORDS = 1 << 17;

/**
 * The one pass that makes every figure the README defines, in two halves. The packet half (here) updates the capture counters and
 * the per-window packet counters and writes one compact record per IP packet; the flow half
 * (`FlowStage`) reads them and keeps flows, addresses, talkers, direction and rankings. Both run in
 * this thread, or the flow half in a worker (`pipeline.ts`). Per-packet work touches typed arrays
 * only.
 */
export class Analyzer {
  readonly stats = new CaptureStats();
  readonly settings: AnalysisSettings;
  readonly localNets: LocalNets;
  readonly windows: WindowAccumulator;
  readonly timeouts: FlowTimeouts;
  /** ARP requests and replies, for the detection of ARP sweeps. */
  readonly arp = new ArpLog();
  /**
   * The flow half: in this thread, or (with an outlet, once `finishWith` has run) rebuilt from what
   * the worker sent back. Its figures (addresses, flows, talkers…) are complete after `finish`.
   */
  stage!: FlowStage;
  readonly stageOptions: FlowStageOptions;
  private readonly hintParser: HintParser | null;
  private readonly exactHints: boolean;
  /** Which payload bytes the protocol-log parsers need (null with logs off). */
  private readonly attach: AttachPolicy | null;

  // The record batch being written (with shards: the current shard's; the others' wait in *Of).
  private out: Int32Array;
  private outBytes: Buffer;
  private outF64: Float64Array;
  private pos = 0;
  private limit: number;
  private lastSec = Number.NaN;
  private readonly outlets: RecordOutlet[] | null;
  /** Flow shards the records are spread over (1 in this thread). */
  private readonly shards: number;
  private cur = 0;
  private readonly outOf: Int32Array[] = [];
  private readonly bytesOf: Buffer[] = [];
  private readonly f64Of: Float64Array[] = [];
  private readonly posOf: Int32Array;
  private readonly lastSecOf: Float64Array;
  /** Frame number of the record being read (1-based, every record counted, as tshark numbers them). */
  private frame = 0;
  // Idle sweeps: when the next is due, by the latest IP packet time (see `clock`).
  private maxTs = Number.NEGATIVE_INFINITY;
  /** Time of the IP packet being recorded, in seconds (for `clock`: a double argument is boxed). */
  private now = 0;
  private nextSweep = Number.NEGATIVE_INFINITY;
  private readonly sweepEvery: number;

  /**
   * `outlets`: one per flow shard, each feeding a flow half in a worker (`pipeline.ts`); without,
   * the flow half runs in this thread.
   */
  constructor(options: AnalyzerOptions = {}, outlets: RecordOutlet[] | null = null) {
    const settings = options.settings ?? DEFAULT_SETTINGS;
    this.settings = settings;
    this.windows = new WindowAccumulator(settings.windowLength);
    this.timeouts = settings.timeouts;
    this.hintParser = options.hintParser ?? null;
    this.exactHints = this.hintParser === parseFlowHints;
    const onFlow = options.onFlow;
    this.stageOptions = flowStageOptions(settings, {
      hintParser: this.hintParser,
      flowIndex: options.flowIndex !== false,
      onFlow: onFlow ? (f) => onFlow(f, this) : null,
      onLog: options.onLog ?? null,
      logRows: options.logRows,
    });
    this.attach = settings.logs ? new AttachPolicy() : null;
    this.localNets = this.stageOptions.localNets;
    const t = this.timeouts;
    this.sweepEvery = sweepInterval(t);
    if (outlets !== null && outlets.length === 0) throw new RangeError('no flow shards');
    if (outlets === null)
      this.stage = new FlowStage(this.stageOptions, new WindowAccumulator(settings.windowLength));
    this.outlets = outlets;
    this.shards = outlets ? outlets.length : 1;
    this.posOf = new Int32Array(this.shards);
    this.lastSecOf = new Float64Array(this.shards).fill(Number.NaN);
    for (let i = 0; i < this.shards; i++)
      this.takeBatch(i, outlets ? outlets[i].words : new Int32Array(LOCAL_BATCH_WORDS));
    this.out = this.outOf[0];
    this.outBytes = this.bytesOf[0];
    this.outF64 = this.f64Of[0];
    if (this.out.length < MIN_BATCH_WORDS) throw new RangeError('record batch too small');
    this.limit = this.out.length - MAX_FIXED_WORDS;
  }

  get addresses(): AddressTable {
    return this.stage.addresses;
  }
  get flowIndex(): FlowIndex | null {
    return this.stage.flowIndex;
  }
  get directionBytes(): Float64Array {
    return this.stage.directionBytes;
  }
  get directionPackets(): Float64Array {
    return this.stage.directionPackets;
  }
  get retransmissions(): number {
    return this.stage.retransmissions;
  }
  get flowCounts(): FlowStage['flowCounts'] {
    return this.stage.flowCounts;
  }
  get flowDurations(): Float64Array {
    return this.stage.flowDurations;
  }
  get connStates(): Map<string, number> {
    return this.stage.connStates;
  }

  get tcpConnStates(): Map<string, number> {
    return this.stage.tcpConnStates;
  }
  isLocal(id: number): boolean {
    return this.stage.isLocal(id);
  }
  summarizeFlow(f: FlowRecord): FlowSummary {
    return this.stage.summarizeFlow(f);
  }

  add(rec: CaptureRecord, pkt: DecodedPacket): void {
    this.frame++;
    this.stats.add(rec, pkt);
    const sec = rec.tsSec;
    const nsec = rec.tsNsec;
    const len = rec.origLen;
    const win = this.windows;
    const o = win.rowOf(sec, nsec);
    const rows = win.rows;
    rows[o + COL.packets]++;
    rows[o + COL.bytes] += len;
    rows[o + COL.sizeSumSq] += len * len;
    if (len < rows[o + COL.sizeMin]) rows[o + COL.sizeMin] = len;
    if (len > rows[o + COL.sizeMax]) rows[o + COL.sizeMax] = len;
    rows[o + COL.sizeBucket + sizeBucket(len)]++;

    const ip = pkt.frame === FRAME_IP && pkt.malformed === 0 && pkt.ip !== 0;
    const l4 = ip ? pkt.l4 : 0;
    if (l4 === L4_TCP) rows[o + COL.tcp]++;
    else if (l4 === L4_UDP) rows[o + COL.udp]++;
    else if (l4 === L4_ICMP || l4 === L4_ICMPV6) rows[o + COL.icmp]++;
    else rows[o + COL.other]++;
    if (!ip) {
      if (pkt.arpOffset >= 0) this.arp.add(rec, pkt.arpOffset);
      return;
    }
    const flags = pkt.tcpFlags;
    if (l4 === L4_TCP && flags >= 0) {
      if (flags & TCP_SYN) rows[o + (flags & TCP_ACK ? COL.synack : COL.syn)]++;
      if (flags & TCP_ACK) rows[o + COL.ack]++;
      if (flags & TCP_RST) rows[o + COL.rst]++;
      if (flags & TCP_FIN) rows[o + COL.fin]++;
    }
    this.record(rec, pkt, l4);
  }

  /** Writes the IP packet's record for the flow half (for a flow, to the shard its key's hash names). */
  private record(rec: CaptureRecord, pkt: DecodedPacket, l4: number): void {
    // (Times are read here, not passed: seconds beyond 2^30 would be boxed on every call.)
    const sec = rec.tsSec;
    const nsec = rec.tsNsec;
    const len = rec.origLen;
    // Flows: transport packets with their ports, and other IP protocols by address pair. Later
    // fragments carry no transport header and belong to no flow.
    const sport = pkt.srcPort;
    const dport = pkt.dstPort;
    const inFlow = l4 !== 0 ? sport >= 0 && dport >= 0 : !pkt.fragment;
    const proto = l4 !== 0 ? l4 : pkt.ipProto;
    // The hint parsers read the payload from the record: attach what they could use.
    let hint = -1;
    const captured = pkt.payloadCaptured;
    if (inFlow && captured > 0 && this.hintParser !== null) {
      hint = this.exactHints
        ? hintBytes(proto, sport, dport, rec.buf, pkt.payloadOffset, captured)
        : Math.min(captured, HINT_BYTES_MAX);
    }
    // The log parsers' share is known only below, with the flow key's hash: room for the most.
    const attach = this.attach;
    const room =
      attach !== null && inFlow && captured > 0 ? Math.max(hint, Math.min(captured, ATTACH_MAX)) : hint;
    const src = pkt.src;
    const dst = pkt.dst;
    const v6 = pkt.ip === 6;
    let hdr = R_IP;
    let kpa = 0;
    let kpb = 0;
    let swap = false;
    let ports = 0;
    let hash = 0;
    let noPorts = false;
    if (inFlow) {
      // The flow key in canonical order: the lower address (then port) is end A.
      let c = 0;
      if (src[0] !== dst[0]) c = src[0] < dst[0] ? -1 : 1;
      else if (v6) {
        for (let i = 1; i < 4; i++) {
          if (src[i] !== dst[i]) {
            c = src[i] < dst[i] ? -1 : 1;
            break;
          }
        }
      }
      hdr |= R_FLOW | (proto << PROTO_SHIFT);
      if (proto === L4_ICMP || proto === L4_ICMPV6) {
        kpa = sport;
        kpb = dport;
        // Echo request and reply are one flow, told apart from other pings by the identifier.
        const id = pkt.icmpId;
        if (id >= 0) {
          hdr |= R_ECHO;
          kpa = proto === L4_ICMP ? (sport === 0 ? 8 : sport) : sport === 129 ? 128 : sport;
          kpb = id;
        }
        swap = c > 0;
      } else {
        let sp = 0;
        let dp = 0;
        if (proto === L4_TCP || proto === L4_UDP) {
          sp = sport;
          dp = dport;
        }
        swap = c > 0 || (c === 0 && sp > dp);
        kpa = swap ? dp : sp;
        kpb = swap ? sp : dp;
      }
      if (swap) hdr |= R_SIDE_B;
      noPorts = kpa < 0;
      if (noPorts) hdr |= R_NO_PORTS;
      ports = noPorts ? 0 : (kpa << 16) | (kpb & 0xffff);
      const key = proto | ((v6 ? 6 : 4) << 8) | (noPorts ? 1 << 16 : 0);
      const a = swap ? dst : src;
      const b = swap ? src : dst;
      hash = v6
        ? keyHash6(key, a[0] | 0, b[0] | 0, a[1] | 0, a[3] | 0, b[2] | 0, b[3] | 0, ports)
        : keyHash4(key, a[0] | 0, b[0] | 0, ports);
      // The shard from the hash's high bits: the flow table indexes by its low bits.
      if (this.shards > 1) this.select(Math.floor(((hash >>> 0) * this.shards) / 4294967296));
    } else if (this.shards > 1) this.select(0);
    let W = this.out;
    let p = this.pos;
    if (p > this.limit || (room >= 0 && p + MAX_FIXED_WORDS + 2 + (room >> 2) > W.length)) {
      W = this.handOver(p);
      p = 0;
    }
    if (sec !== this.lastSec) {
      this.lastSec = sec;
      W[p] = R_TIME;
      W[p + 1] = Math.floor(sec / 4294967296);
      W[p + 2] = sec >>> 0;
      W[p + 3] = 0;
      p += 4;
    }
    const h = p;
    W[p + 1] = len;
    this.now = sec + nsec / 1e9;
    this.outF64[(p + 2) >> 1] = this.now;
    if (!inFlow) {
      if (v6) {
        hdr |= R_V6;
        for (let i = 0; i < 4; i++) {
          W[p + 4 + i] = src[i];
          W[p + 8 + i] = dst[i];
        }
        p += 12;
      } else {
        W[p + 4] = src[0];
        W[p + 5] = dst[0];
        p += 6;
      }
      W[p] = this.frame;
      p++;
      W[h] = hdr;
      this.pos = p + (p & 1);
      this.clock();
      return;
    }
    const a = swap ? dst : src;
    const b = swap ? src : dst;
    if (v6) {
      hdr |= R_V6;
      for (let i = 0; i < 4; i++) {
        W[p + 4 + i] = a[i];
        W[p + 8 + i] = b[i];
      }
      p += 12;
    } else {
      W[p + 4] = a[0];
      W[p + 5] = b[0];
      p += 6;
    }
    W[p] = ports;
    W[p + 1] = hash;
    W[p + 2] = this.frame;
    p += 3;
    if ((l4 === L4_TCP || l4 === L4_UDP) && dport >= 0) hdr |= R_NOTE_PORT;
    const flags = proto === L4_TCP ? pkt.tcpFlags : -1;
    if (flags >= 0) {
      hdr |= R_TCP | (flags << FLAGS_SHIFT);
      W[p] = pkt.seq;
      W[p + 1] = pkt.payloadLength;
      W[p + 2] = pkt.ack;
      W[p + 3] = pkt.window;
      p += 4;
    }
    if (captured > 0 && this.hintParser !== null) hdr |= R_PAYLOAD;
    let n = hint;
    if (hint >= 0) hdr |= R_HINT;
    if (attach !== null && captured > 0 && !noPorts && (proto === L4_TCP || proto === L4_UDP)) {
      const sel = attach.select(
        proto,
        sport,
        dport,
        hash,
        swap ? 1 : 0,
        pkt.seq,
        rec.buf,
        pkt.payloadOffset,
        captured,
      );
      if (sel > 0) {
        hdr |= R_LOG;
        if (sel > n) n = sel;
      }
    }
    if (n >= 0) {
      W[p] = n;
      const off = pkt.payloadOffset;
      rec.buf.copy(this.outBytes, (p + 1) * 4, off, off + n);
      p += 1 + ((n + 3) >> 2);
    }
    W[h] = hdr;
    this.pos = p + (p & 1);
    this.clock();
  }

  /**
   * Keeps the latest IP packet time and, every `sweepEvery` seconds of capture time, tells every
   * shard to end its idle flows (a sweep record after this packet's).
   */
  private clock(): void {
    const ts = this.now;
    if (ts <= this.maxTs) return;
    this.maxTs = ts;
    if (ts < this.nextSweep) return;
    this.nextSweep = ts + this.sweepEvery;
    const back = this.cur;
    for (let s = 0; s < this.shards; s++) {
      if (this.shards > 1) this.select(s);
      let W = this.out;
      let p = this.pos;
      if (p > this.limit) {
        W = this.handOver(p);
        p = 0;
      }
      W[p] = R_SWEEP;
      W[p + 1] = 0;
      this.outF64[(p + 2) >> 1] = ts;
      this.pos = p + 4;
    }
    if (this.shards > 1) this.select(back);
  }

  /** Makes shard `s`'s batch the one being written (saving the current one's position). */
  private select(s: number): void {
    const c = this.cur;
    if (s === c) return;
    this.posOf[c] = this.pos;
    this.lastSecOf[c] = this.lastSec;
    this.cur = s;
    this.out = this.outOf[s];
    this.outBytes = this.bytesOf[s];
    this.outF64 = this.f64Of[s];
    this.limit = this.out.length - MAX_FIXED_WORDS;
    this.pos = this.posOf[s];
    this.lastSec = this.lastSecOf[s];
  }

  /** Hands the current batch over (up to `used` words) and starts the next one. */
  private handOver(used: number): Int32Array {
    if (used < this.out.length) this.out[used] = R_END;
    let next: Int32Array;
    if (this.outlets) next = this.outlets[this.cur].next(used);
    else {
      this.stage.consume(this.out, 0, used);
      next = this.out;
    }
    if (next !== this.out) this.takeBatch(this.cur, next);
    this.pos = 0;
    // A new batch starts with the time again.
    this.lastSec = Number.NaN;
    return next;
  }

  /** Makes `words` shard s's batch, with its byte and double views made once per batch. */
  private takeBatch(s: number, words: Int32Array): void {
    this.outOf[s] = words;
    this.bytesOf[s] = Buffer.from(words.buffer, words.byteOffset, words.byteLength);
    this.f64Of[s] = new Float64Array(words.buffer, words.byteOffset, words.length >> 1);
    if (s === this.cur) {
      this.out = words;
      this.outBytes = this.bytesOf[s];
      this.outF64 = this.f64Of[s];
      this.limit = words.length - MAX_FIXED_WORDS;
    }
  }

  /** Flow shards this analysis spreads flows over (1: the flow half in one thread). */
  get shardCount(): number {
    return this.shards;
  }

  /** Words of shard s's records written but not handed over yet (for its last hand-over). */
  pendingWordsOf(s: number): number {
    return s === this.cur ? this.pos : this.posOf[s];
  }

  /** Ends the pass: flushes live flows and rolls the windows up. Call once (in-thread analysis). */
  finish(): AnalysisReport {
    if (this.outlets !== null) throw new Error('a pipelined analysis ends with finishWith');
    this.stage.consume(this.out, 0, this.pos);
    this.pos = 0;
    this.stage.finish();
    return this.report();
  }

  /**
   * Ends a pipelined pass with the flow halves' results (sent back by their workers, one per shard):
   * merged as one thread would have made them (`shard-merge.ts`).
   */
  finishWith(states: FlowStageState[]): AnalysisReport {
    if (states.length === 1) {
      this.stage = FlowStage.restore(states[0], this.stageOptions);
      return this.report();
    }
    const merged = mergeShards(states, this.settings.topN);
    merged.windows.forEach((w, s) => {
      this.windows.absorb(WindowAccumulator.restore(w), merged.ids[s]);
    });
    this.stage = FlowStage.restore(merged.state, this.stageOptions);
    return this.report();
  }

  /** The report, once the flow half has finished (in this thread or in its worker). */
  report(): AnalysisReport {
    const stage = this.stage;
    this.windows.absorb(stage.windows);
    const s = this.stats;
    const windows = this.windows.finish(s.minSec, s.minNsec, s.maxSec, s.maxNsec, s.hasTimestamp);
    const talkers: Talker[] = [];
    const talk = stage.talk;
    const n = stage.addresses.size;
    for (let id = 0; id < n; id++) {
      const t = 4 * id;
      talkers.push({
        id,
        bytesSent: talk[t],
        bytesReceived: talk[t + 1],
        packetsSent: talk[t + 2],
        packetsReceived: talk[t + 3],
      });
    }
    const ports = stage.ports.sort(
      (a, b) =>
        b.packets - a.packets ||
        b.bytes - a.bytes ||
        a.port - b.port ||
        (a.protocol === b.protocol ? 0 : a.protocol === 'tcp' ? -1 : 1),
    );
    let localAddresses = 0;
    for (let id = 0; id < n; id++) if (stage.isLocal(id)) localAddresses++;
    const logs = stage.logTotals;
    if (logs !== null) logs.attach = this.attach?.stats ?? null;
    return {
      windows,
      talkers,
      ports,
      topFlows: stage.topFlows,
      localAddresses,
      logs,
      logRows: stage.logRows,
    };
  }
}

export interface AnalysisReport {
  windows: WindowSet;
  /** Every address seen, by id; rank as needed. */
  talkers: Talker[];
  /** Port usage by (transport, service port), most packets first. */
  ports: PortUsage[];
  topFlows: FlowSummary[];
  localAddresses: number;
  /** The protocol logs' counters and tallies (null with logs off). */
  logs: LogTotals | null;
  /** The transactions the detection's log rules read (bounded; null with logs off). */
  logRows: LogRows | null;
}
