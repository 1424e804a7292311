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
import { AddressTable } from './address-table.js';
import { CaptureStats } from './capture-stats.js';
import { ArpLog, FlowIndex } from './flow-index.js';
import {
  DEFAULT_TIMEOUTS,
  type FlowRecord,
  FlowTable,
  type FlowTimeouts,
  type HintParser,
} from './flow-table.js';
import { LocalNets } from './local-nets.js';
import { durationBucket, F, sizeBucket, WindowAccumulator, type WindowSet } from './windows.js';

export interface AnalyzerOptions {
  /** Window length in seconds, or null for `auto`. */
  windowLength?: number | null;
  localNets?: string[];
  timeouts?: Partial<FlowTimeouts>;
  /** How many entries the rankings keep. */
  topN?: number;
  /** Receives every finished flow (a reused record: copy what you keep). */
  onFlow?: (flow: FlowRecord, analyzer: Analyzer) => void;
  hintParser?: HintParser | null;
  /** Keep a compact index of every finished flow for the detection stage (default true). */
  flowIndex?: boolean;
}

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

export interface Talker {
  id: number;
  bytesSent: number;
  bytesReceived: number;
  packetsSent: number;
  packetsReceived: number;
}

export function protocolName(proto: number): string {
  if (proto === L4_TCP) return 'TCP';
  if (proto === L4_UDP) return 'UDP';
  if (proto === L4_ICMP) return 'ICMP';
  if (proto === L4_ICMPV6) return 'ICMPv6';
  return `IP-${proto}`;
}

const LOCAL = 1;
const REMOTE = 2;

/**
 * The one pass of SPEC §2: every packet updates the capture counters, its base window, its two
 * addresses and its flow; finished flows feed the rankings. Per-packet work touches typed arrays
 * only.
 */
export class Analyzer {
  readonly stats = new CaptureStats();
  readonly addresses = new AddressTable();
  readonly localNets: LocalNets;
  readonly windows: WindowAccumulator;
  readonly flows: FlowTable;
  readonly timeouts: FlowTimeouts;
  private readonly topN: number;

  // Per address id: bytes sent, bytes received, packets sent, packets received (interleaved, so
  // one address is one cache line), and whether it is local.
  private talk = new Float64Array(4 * 1024);
  private locality = new Uint8Array(1024);

  // Direction totals: inbound, outbound, internal, external.
  readonly directionBytes = new Float64Array(4);
  readonly directionPackets = new Float64Array(4);
  retransmissions = 0;

  // From finished flows.
  readonly flowCounts = { total: 0, tcp: 0, udp: 0, icmp: 0, other: 0 };
  readonly flowDurations = new Float64Array(9);
  readonly connStates = new Map<string, number>();
  private readonly ports = new Map<number, PortUsage>();
  private readonly topFlows: FlowSummary[] = [];
  private readonly onFlow: AnalyzerOptions['onFlow'];
  readonly flowIndex: FlowIndex | null;
  /** ARP requests and replies, for the detection of ARP sweeps. */
  readonly arp = new ArpLog();

  private nextSweep = Number.NEGATIVE_INFINITY;
  private maxTs = Number.NEGATIVE_INFINITY;
  private readonly sweepEvery: number;

  constructor(options: AnalyzerOptions = {}) {
    this.localNets = new LocalNets(options.localNets);
    this.windows = new WindowAccumulator(options.windowLength ?? null);
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.topN = options.topN ?? 100;
    this.onFlow = options.onFlow;
    this.flowIndex = options.flowIndex === false ? null : new FlowIndex();
    this.flows = new FlowTable(
      this.timeouts,
      { intern: (ip, words) => this.intern(ip, words), isLocal: (id) => this.isLocal(id) },
      (f) => this.flowEnded(f),
      options.hintParser ?? null,
    );
    this.sweepEvery = Math.max(
      1,
      Math.min(this.timeouts.tcp, this.timeouts.udp, this.timeouts.icmp, this.timeouts.other),
    );
  }

  add(rec: CaptureRecord, pkt: DecodedPacket): void {
    this.stats.add(rec, pkt);
    const sec = rec.tsSec;
    const nsec = rec.tsNsec;
    const len = rec.origLen;
    const win = this.windows;
    let o = win.rowOf(sec, nsec);
    let rows = win.rows;
    rows[o + F.packets]++;
    rows[o + F.bytes] += len;
    rows[o + F.sizeSumSq] += len * len;
    if (len < rows[o + F.sizeMin]) rows[o + F.sizeMin] = len;
    if (len > rows[o + F.sizeMax]) rows[o + F.sizeMax] = len;
    rows[o + F.sizeBucket + sizeBucket(len)]++;

    const ip = pkt.frame === FRAME_IP && pkt.malformed === 0 && pkt.ip !== 0;
    const l4 = ip ? pkt.l4 : 0;
    if (l4 === L4_TCP) rows[o + F.tcp]++;
    else if (l4 === L4_UDP) rows[o + F.udp]++;
    else if (l4 === L4_ICMP || l4 === L4_ICMPV6) rows[o + F.icmp]++;
    else rows[o + F.other]++;
    if (!ip) {
      if (pkt.arpOffset >= 0) this.arp.add(rec, pkt.arpOffset);
      return;
    }

    const flags = pkt.tcpFlags;
    if (l4 === L4_TCP && flags >= 0) {
      if (flags & TCP_SYN) rows[o + (flags & TCP_ACK ? F.synack : F.syn)]++;
      if (flags & TCP_ACK) rows[o + F.ack]++;
      if (flags & TCP_RST) rows[o + F.rst]++;
      if (flags & TCP_FIN) rows[o + F.fin]++;
    }

    // Flows: transport packets with their ports, and other IP protocols by address pair. Later
    // fragments carry no transport header and belong to no flow.
    const inFlow = l4 !== 0 ? pkt.srcPort >= 0 && pkt.dstPort >= 0 : !pkt.fragment;
    let src: number;
    let dst: number;
    let srcLocal: boolean;
    let dstLocal: boolean;
    let note = true;
    const ts = sec + nsec / 1e9;
    if (inFlow) {
      const flows = this.flows;
      flows.packet(pkt, l4 !== 0 ? l4 : pkt.ipProto, ts, len, rec.buf, win.noteKey());
      src = flows.srcId;
      dst = flows.dstId;
      srcLocal = flows.srcLocal;
      dstLocal = flows.dstLocal;
      note = flows.firstInWindow;
      // Ending flows may have moved the window rows: look the row up again (cached per second).
      o = win.rowOf(sec, nsec);
      rows = win.rows;
      if (flows.newFlow) rows[o + F.newFlows]++;
      if (flows.retransmission) {
        rows[o + F.retrans]++;
        this.retransmissions++;
      }
    } else {
      // Not part of a flow: talkers are counted here rather than when a flow ends.
      src = this.intern(pkt.ip, pkt.src);
      dst = this.intern(pkt.ip, pkt.dst);
      srcLocal = this.isLocal(src);
      dstLocal = this.isLocal(dst);
      const talk = this.talk;
      talk[4 * src] += len;
      talk[4 * src + 2]++;
      talk[4 * dst + 1] += len;
      talk[4 * dst + 3]++;
    }
    // Direction index: 0 inbound (remote → local), 1 outbound, 2 internal, 3 external.
    const d = srcLocal ? (dstLocal ? 2 : 1) : dstLocal ? 0 : 3;
    this.directionBytes[d] += len;
    this.directionPackets[d]++;
    rows[o + F.inBytes + d] += len;
    rows[o + F.inPackets + d]++;
    // Distinct values per window: a flow side notes its addresses and port once per window.
    if (note) {
      win.note(0, src);
      win.note(1, dst);
      if ((l4 === L4_TCP || l4 === L4_UDP) && pkt.dstPort >= 0) win.note(2, pkt.dstPort);
    }
    if (ts > this.maxTs) {
      this.maxTs = ts;
      // Idle flows are split exactly when their next packet comes; the sweep only bounds memory.
      if (ts >= this.nextSweep) {
        this.flows.expire(ts);
        this.nextSweep = ts + this.sweepEvery;
      }
    }
  }

  /** Interns an address, growing the per-address arrays with the table. */
  private intern(ip: number, words: Uint32Array): number {
    const id = this.addresses.intern(ip, words);
    if (id >= this.locality.length) this.growAddresses();
    return id;
  }

  isLocal(id: number): boolean {
    let l = this.locality[id];
    if (l === 0) {
      l = this.localNets.contains(this.addresses.familyOf(id), this.addresses.wordsOf(id)) ? LOCAL : REMOTE;
      this.locality[id] = l;
    }
    return l === LOCAL;
  }

  private growAddresses(): void {
    const n = Math.max(this.locality.length * 2, this.addresses.size + 1);
    const talk = new Float64Array(4 * n);
    talk.set(this.talk);
    this.talk = talk;
    const loc = new Uint8Array(n);
    loc.set(this.locality);
    this.locality = loc;
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
    const duration = f.duration;
    this.flowDurations[durationBucket(duration)]++;
    this.windows.flowEnded(f.firstTs, duration);
    this.connStates.set(f.connState, (this.connStates.get(f.connState) ?? 0) + 1);
    if (f.proto === L4_TCP || f.proto === L4_UDP) {
      const key = (f.proto << 16) | f.dstPort;
      let p = this.ports.get(key);
      if (!p) {
        p = { protocol: f.proto === L4_TCP ? 'tcp' : 'udp', port: f.dstPort, flows: 0, packets: 0, bytes: 0 };
        this.ports.set(key, p);
      }
      p.flows++;
      p.packets += f.packets;
      p.bytes += f.bytes;
    }
    this.keepTopFlow(f);
    this.flowIndex?.add(f);
    this.onFlow?.(f, this);
  }

  /** Keeps the topN flows by bytes; only flows that make the list are copied. */
  private keepTopFlow(f: FlowRecord): void {
    const top = this.topFlows;
    const bytes = f.bytes;
    if (top.length >= this.topN && bytes <= top[top.length - 1].bytes) return;
    const entry = this.summarizeFlow(f);
    let i = top.length;
    while (i > 0 && top[i - 1].bytes < bytes) i--;
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

  /** Ends the pass: flushes live flows and rolls the windows up. Call once. */
  finish(): AnalysisReport {
    this.flows.flush();
    const s = this.stats;
    const windows = this.windows.finish(s.minSec, s.minNsec, s.maxSec, s.maxNsec, s.hasTimestamp);
    const talkers: Talker[] = [];
    for (let id = 0; id < this.addresses.size; id++) {
      const t = 4 * id;
      talkers.push({
        id,
        bytesSent: this.talk[t],
        bytesReceived: this.talk[t + 1],
        packetsSent: this.talk[t + 2],
        packetsReceived: this.talk[t + 3],
      });
    }
    const ports = [...this.ports.values()].sort(
      (a, b) => b.packets - a.packets || b.bytes - a.bytes || a.port - b.port,
    );
    let localAddresses = 0;
    for (let id = 0; id < this.addresses.size; id++) if (this.isLocal(id)) localAddresses++;
    return {
      windows,
      talkers,
      ports,
      topFlows: this.topFlows,
      localAddresses,
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
}
