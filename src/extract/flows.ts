import type { AddressTable } from '../analysis/address-table.js';
import { protocolName } from '../analysis/flow-stage.js';
import { DEFAULT_TIMEOUTS, type FlowRecord, type FlowTimeouts } from '../analysis/flow-table.js';
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
import { type Address, compareAddresses, isAddress, parseAddress } from './address.js';
import { SelectionError } from './errors.js';
import { boundDouble, inRange, parseTimestamp, type TimeRange, type Timestamp } from './time.js';

/**
 * One flow as the analysis reported it: the fields of a stored flow row or of the summary's
 * `top_flows`, so either can be passed as it is. `src_port`/`dst_port` are ICMP's type and code
 * (an echo flow: the request type and 0). `packets` and `bytes`, when given, let the extraction
 * check that it found exactly that flow; `icmp_id` tells echo flows between the same hosts apart.
 */
export interface FlowRef {
  protocol: string | number;
  src_ip: string;
  dst_ip: string;
  src_port: number;
  dst_port: number;
  first_ts: Timestamp;
  last_ts: Timestamp;
  packets?: number;
  bytes?: number;
  icmp_id?: number;
}

/** The reference of a flow the analysis has just ended (its `onFlow` sees FlowRecords, not rows). */
export function flowRefOf(
  f: FlowRecord,
  addresses: AddressTable,
): FlowRef & { packets: number; bytes: number } {
  return {
    protocol: protocolName(f.proto),
    src_ip: addresses.format(f.srcId),
    dst_ip: addresses.format(f.dstId),
    src_port: f.srcPort,
    dst_port: f.dstPort,
    first_ts: f.firstTs,
    last_ts: f.lastTs,
    packets: f.packets,
    bytes: f.bytes,
  };
}

/** An IP protocol from a name as `protocolName` writes it (TCP, UDP, ICMP, ICMPv6, IP-47) or a number. */
export function parseProtocol(value: string | number, what: string): number {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value <= 255) return value;
    throw new SelectionError(`${what} is not an IP protocol number: ${value}`);
  }
  const t = String(value).trim().toLowerCase();
  if (t === 'tcp') return L4_TCP;
  if (t === 'udp') return L4_UDP;
  if (t === 'icmp') return L4_ICMP;
  if (t === 'icmpv6') return L4_ICMPV6;
  const m = /^(?:ip-)?(\d{1,3})$/.exec(t);
  if (m && Number(m[1]) <= 255) return Number(m[1]);
  throw new SelectionError(`${what} is not a protocol (TCP, UDP, ICMP, ICMPv6 or IP-<number>): '${value}'`);
}

// How a tuple's packets are told apart (mirrors the analysis' keying, analyzer.ts `record`).
const K_PORTS = 0; // TCP, UDP: the two ports, either direction
const K_ICMP = 1; // ICMP, ICMPv6: type (echo-like: the request type) and code (echo-like: the identifier)
const K_ADDRESSES = 2; // other IP protocols: the address pair alone

/** A query ICMP type whose messages carry an identifier; the analysis keys them by it. */
function icmpQuery(proto: number, type: number): boolean {
  return proto === L4_ICMP
    ? type === 0 || type === 8 || (type >= 13 && type <= 18)
    : type === 128 || type === 129;
}

/** The type an echo-like flow is keyed by: an echo reply counts as its request. */
function icmpKeyType(proto: number, type: number): number {
  return proto === L4_ICMP ? (type === 0 ? 8 : type) : type === 129 ? 128 : type;
}

const UNRESOLVED = 0;
/** Found: the packets of `subkey` between two record numbers. */
const BY_RECORDS = 1;
/** Not found by the flow rules (see `FlowSet.settle`): every packet of the tuple in its time span. */
const BY_TIME = 2;

/** One requested flow and, once a scan has found it, where its packets are. */
class FlowTarget {
  state = UNRESOLVED;
  subkey = 0;
  firstRecord = 0;
  lastRecord = 0;

  constructor(
    readonly ref: FlowRef,
    /** The analysis' doubles of its first and last packet time. */
    readonly first: number,
    readonly last: number,
    readonly range: TimeRange,
    /** The range reaching back one flow timeout: where an earlier flow on the tuple could still be open. */
    readonly lookback: TimeRange,
    readonly packets: number,
    readonly bytes: number,
    readonly icmpId: number,
  ) {}
}

/** The simulated flow of one tuple (and ICMP key): what the analysis' flow table keeps to split it. */
class SimFlow {
  live = false;
  first = 0;
  last = 0;
  finOrRst = false;
  packets = 0;
  bytes = 0;
  firstRecord = 0;
  lastRecord = 0;
  /** Where each direction's sequence space starts (as the flow table's START), once `seqSet` has its bit. */
  readonly start = new Int32Array(2);
  seqSet = 0;
}

/** Requested flows sharing a protocol, address pair and ports: one flow table entry's key. */
class FlowTuple {
  readonly targets: FlowTarget[] = [];
  private readonly sims = new Map<number, SimFlow>();
  readonly timeout: number;

  constructor(
    readonly proto: number,
    readonly kind: number,
    readonly a: Address,
    readonly b: Address,
    /** K_PORTS: the ports of `a` and `b`; K_ICMP: the key's type, and code or identifier (-1: any). */
    readonly pa: number,
    readonly pb: number,
    timeouts: FlowTimeouts,
  ) {
    this.timeout =
      proto === L4_TCP
        ? timeouts.tcp
        : proto === L4_UDP
          ? timeouts.udp
          : proto === L4_ICMP || proto === L4_ICMPV6
            ? timeouts.icmp
            : timeouts.other;
  }

  /** The packet's key within the tuple (ICMP: code or identifier; else 0), or -1 when it is not the tuple's. */
  keyOf(pkt: DecodedPacket): number {
    const l4 = pkt.l4;
    if ((l4 !== 0 ? l4 : pkt.ipProto) !== this.proto) return -1;
    const src = pkt.src;
    const dst = pkt.dst;
    const ip = pkt.ip;
    // Both may hold, when the two ends have one address.
    const forward = isAddress(src, ip, this.a) && isAddress(dst, ip, this.b);
    const reverse = isAddress(src, ip, this.b) && isAddress(dst, ip, this.a);
    if (!forward && !reverse) return -1;
    const kind = this.kind;
    if (kind === K_ADDRESSES) return 0;
    const sp = pkt.srcPort;
    const dp = pkt.dstPort;
    if (kind === K_PORTS) {
      return (forward && sp === this.pa && dp === this.pb) || (reverse && sp === this.pb && dp === this.pa)
        ? 0
        : -1;
    }
    const id = pkt.icmpId;
    const type = id >= 0 ? icmpKeyType(l4, sp) : sp;
    const code = id >= 0 ? id : dp;
    if (type !== this.pa) return -1;
    return this.pb < 0 || code === this.pb ? code : -1;
  }

  /** A scan saw one of the tuple's packets: split and account it as the flow table would. */
  observe(key: number, rec: CaptureRecord, pkt: DecodedPacket): void {
    let sim = this.sims.get(key);
    if (sim === undefined) {
      sim = new SimFlow();
      this.sims.set(key, sim);
    }
    const ts = rec.tsSec + rec.tsNsec / 1e9;
    const flags = this.proto === L4_TCP ? pkt.tcpFlags : -1;
    // The direction (0: from `a`), for the sequence space each keeps.
    const side =
      isAddress(pkt.src, pkt.ip, this.a) && (this.kind !== K_PORTS || pkt.srcPort === this.pa) ? 0 : 1;
    const seq = pkt.seq | 0;
    if (sim.live) {
      const idle = ts - sim.last > this.timeout;
      // As the flow table: a SYN after FIN or RST opens a new connection, unless it repeats its
      // direction's first sequence number (the same attempt sent again).
      const reopened =
        flags >= 0 &&
        (flags & (TCP_SYN | TCP_ACK)) === TCP_SYN &&
        sim.finOrRst &&
        ((sim.seqSet & (1 << side)) === 0 || seq !== sim.start[side]);
      if (idle || reopened) this.ended(key, sim);
    }
    if (!sim.live) {
      sim.live = true;
      sim.first = ts;
      sim.last = ts;
      sim.finOrRst = false;
      sim.packets = 0;
      sim.bytes = 0;
      sim.firstRecord = rec.index;
      sim.seqSet = 0;
    }
    if (flags >= 0 && (sim.seqSet & (1 << side)) === 0) {
      sim.seqSet |= 1 << side;
      sim.start[side] = (flags & TCP_SYN) !== 0 ? seq : (seq - 1) | 0;
    }
    sim.packets++;
    sim.bytes += rec.origLen;
    sim.lastRecord = rec.index;
    if (ts > sim.last) sim.last = ts;
    else if (ts < sim.first) sim.first = ts;
    if (flags >= 0 && (flags & (TCP_FIN | TCP_RST)) !== 0) sim.finOrRst = true;
  }

  /** Ends every simulated flow (the end of a scan) and forgets them. */
  endScan(): void {
    for (const [key, sim] of this.sims) if (sim.live) this.ended(key, sim);
    this.sims.clear();
  }

  private ended(key: number, sim: SimFlow): void {
    sim.live = false;
    for (const t of this.targets) {
      if (
        t.state === UNRESOLVED &&
        sim.first === t.first &&
        sim.last === t.last &&
        (t.packets < 0 || sim.packets === t.packets) &&
        (t.bytes < 0 || sim.bytes === t.bytes) &&
        (t.icmpId < 0 || key === t.icmpId)
      ) {
        t.state = BY_RECORDS;
        t.subkey = key;
        t.firstRecord = sim.firstRecord;
        t.lastRecord = sim.lastRecord;
        return;
      }
    }
  }
}

/** The hash a packet's address pair is looked up by: the same whichever way round. */
function pairHash(proto: number, a0: number, b0: number, a3: number, b3: number): number {
  return (a0 ^ b0 ^ a3 ^ b3 ^ (proto << 24)) | 0;
}

/**
 * The flows of a selection, found in two scans: the first replays the analysis' flow splitting on
 * each requested tuple (idle timeouts, a SYN after FIN or RST) over the blocks of each flow's time
 * span and finds the simulated flow with the requested first and last time (and packets and bytes
 * when given), noting the record numbers of its first and last packet; the second writes the
 * tuple's packets between those records. A port pair reused within a flow's time span thus gives
 * only that flow's packets.
 */
export class FlowSet {
  readonly targets: FlowTarget[] = [];
  private readonly byHash = new Map<number, FlowTuple[]>();

  constructor(refs: FlowRef[], timeouts: Partial<FlowTimeouts> = {}) {
    if (refs.length === 0) throw new SelectionError('no flows to extract');
    const t = { ...DEFAULT_TIMEOUTS, ...timeouts };
    const tuples = new Map<string, FlowTuple>();
    const seen = new Set<string>();
    refs.forEach((ref, i) => {
      const what = refs.length === 1 ? 'the flow' : `flow ${i + 1}`;
      const proto = parseProtocol(ref.protocol, `${what}'s protocol`);
      let a = parseAddress(ref.src_ip, `${what}'s source`);
      let b = parseAddress(ref.dst_ip, `${what}'s destination`);
      if (a.v6 !== b.v6) throw new SelectionError(`${what} has an IPv4 and an IPv6 end`);
      const from = parseTimestamp(ref.first_ts, `${what}'s first time`);
      const to = parseTimestamp(ref.last_ts, `${what}'s last time`);
      const first = boundDouble(from);
      const last = boundDouble(to);
      if (first > last) throw new SelectionError(`${what}: its first time is after its last`);
      const kind =
        proto === L4_TCP || proto === L4_UDP
          ? K_PORTS
          : proto === L4_ICMP || proto === L4_ICMPV6
            ? K_ICMP
            : K_ADDRESSES;
      let pa = 0;
      let pb = 0;
      const icmpId = ref.icmp_id ?? -1;
      if (kind === K_PORTS) {
        pa = port(ref.src_port, `${what}'s source port`);
        pb = port(ref.dst_port, `${what}'s destination port`);
        if (compareAddresses(a, b) > 0 || (compareAddresses(a, b) === 0 && pa > pb)) {
          [a, b] = [b, a];
          [pa, pb] = [pb, pa];
        }
      } else {
        if (compareAddresses(a, b) > 0) [a, b] = [b, a];
        if (kind === K_ICMP) {
          const type = icmpField(ref.src_port, `${what}'s ICMP type`);
          pa = icmpKeyType(proto, type);
          // An echo-like flow's row shows code 0, not its identifier: any identifier unless given.
          pb = icmpQuery(proto, type) ? icmpId : icmpField(ref.dst_port, `${what}'s ICMP code`);
        }
      }
      const key = `${proto}|${JSON.stringify(a)}|${JSON.stringify(b)}|${pa}|${pb}`;
      const whole = `${key}|${first}|${last}|${ref.packets ?? ''}|${ref.bytes ?? ''}|${icmpId}`;
      if (seen.has(whole)) return;
      seen.add(whole);
      let tuple = tuples.get(key);
      if (tuple === undefined) {
        tuple = new FlowTuple(proto, kind, a, b, pa, pb, t);
        tuples.set(key, tuple);
        const h = pairHash(proto, a.w0, b.w0, a.w3, b.w3);
        const list = this.byHash.get(h);
        if (list) list.push(tuple);
        else this.byHash.set(h, [tuple]);
      }
      const back = first - tuple.timeout;
      const target = new FlowTarget(
        ref,
        first,
        last,
        { from, to, toExclusive: false },
        { from: { sec: Math.floor(back), nsec: 0, double: back }, to, toExclusive: false },
        count(ref.packets),
        count(ref.bytes),
        icmpId,
      );
      tuple.targets.push(target);
      this.targets.push(target);
    });
  }

  /** Targets a scan still has to find. */
  get unresolved(): FlowTarget[] {
    return this.targets.filter((t) => t.state === UNRESOLVED);
  }

  /** The requested tuples whose address pair hashes as the packet's (none: undefined). */
  private tuplesOf(pkt: DecodedPacket): FlowTuple[] | undefined {
    if (pkt.frame !== FRAME_IP || pkt.malformed !== 0 || pkt.ip === 0) return undefined;
    // In a flow, as the analysis decides: transport packets with their ports (ICMP type and
    // code), other IP protocols unless a later fragment.
    if (pkt.l4 !== 0 ? pkt.srcPort < 0 || pkt.dstPort < 0 : pkt.fragment) return undefined;
    const src = pkt.src;
    const dst = pkt.dst;
    const v6 = pkt.ip === 6;
    return this.byHash.get(
      pairHash(pkt.l4 !== 0 ? pkt.l4 : pkt.ipProto, src[0], dst[0], v6 ? src[3] : 0, v6 ? dst[3] : 0),
    );
  }

  /** First scan: feeds a decoded packet to the simulation of each tuple it belongs to. */
  observe(rec: CaptureRecord, pkt: DecodedPacket): void {
    const tuples = this.tuplesOf(pkt);
    if (tuples === undefined) return;
    for (let i = 0; i < tuples.length; i++) {
      const tuple = tuples[i];
      const key = tuple.keyOf(pkt);
      if (key >= 0) tuple.observe(key, rec, pkt);
    }
  }

  /** Ends a first scan: flows still open end here and are compared with the targets. */
  endScan(): void {
    for (const list of this.byHash.values()) for (const tuple of list) tuple.endScan();
  }

  /**
   * After the scans: a flow the simulation could not find (the capture's timestamps go back by
   * more than a timeout, or the flow was analysed with other timeouts) is taken as every packet of
   * its tuple within its time span. Returns one warning per such flow.
   */
  settle(): string[] {
    const warnings: string[] = [];
    for (const t of this.unresolved) {
      t.state = BY_TIME;
      const r = t.ref;
      warnings.push(
        `flow ${r.protocol} ${r.src_ip} ${r.src_port} → ${r.dst_ip} ${r.dst_port} (${r.first_ts} to ${r.last_ts}): not found as the analysis splits flows (other flow timeouts?); extracted every packet of its addresses and ports in its time span`,
      );
    }
    return warnings;
  }

  /** Second scan: does the packet belong to a requested flow? */
  includes(rec: CaptureRecord, pkt: DecodedPacket): boolean {
    const tuples = this.tuplesOf(pkt);
    if (tuples === undefined) return false;
    for (let i = 0; i < tuples.length; i++) {
      const tuple = tuples[i];
      const key = tuple.keyOf(pkt);
      if (key < 0) continue;
      const targets = tuple.targets;
      for (let j = 0; j < targets.length; j++) {
        const t = targets[j];
        if (t.state === BY_RECORDS) {
          if (key === t.subkey && rec.index >= t.firstRecord && rec.index <= t.lastRecord) return true;
        } else if ((t.icmpId < 0 || key === t.icmpId) && inRange(rec, t.range)) return true;
      }
    }
    return false;
  }
}

export { BY_RECORDS, BY_TIME, type FlowTarget };

function port(v: number, what: string): number {
  if (Number.isInteger(v) && v >= 0 && v <= 65535) return v;
  throw new SelectionError(`${what} is not a port: ${v}`);
}

function icmpField(v: number, what: string): number {
  if (Number.isInteger(v) && v >= 0 && v <= 255) return v;
  throw new SelectionError(`${what} is not 0 to 255: ${v}`);
}

function count(v: number | undefined): number {
  return v === undefined || v === null ? -1 : v;
}
