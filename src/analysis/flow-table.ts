import { L4_ICMP, L4_ICMPV6, L4_TCP, L4_UDP, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../decode/index.js';

/** Idle timeouts in seconds (SPEC §2): a flow quiet for longer ends, and its tuple starts anew. */
export interface FlowTimeouts {
  tcp: number;
  udp: number;
  icmp: number;
  other: number;
}

export const DEFAULT_TIMEOUTS: FlowTimeouts = { tcp: 300, udp: 60, icmp: 60, other: 60 };

/** Application hints seen in a flow's first payload packets. */
export interface FlowHints {
  dnsQuery: string | null;
  dnsRcode: number | null;
  tlsSni: string | null;
  httpMethod: string | null;
  httpHost: string | null;
}

/**
 * A finished flow, handed to the flow sink. One instance is reused: copy what you keep. `src` is
 * the initiator (sender of the SYN without ACK when one was seen, else of the first packet).
 */
export class FlowRecord {
  flowId = 0;
  proto = 0;
  srcId = 0;
  dstId = 0;
  srcPort = 0;
  dstPort = 0;
  firstTs = 0;
  lastTs = 0;
  srcPackets = 0;
  dstPackets = 0;
  srcBytes = 0;
  dstBytes = 0;
  srcFlags = 0;
  dstFlags = 0;
  connState = 'OTH';
  retransmissions = 0;
  hints: FlowHints | null = null;

  get packets(): number {
    return this.srcPackets + this.dstPackets;
  }
  get bytes(): number {
    return this.srcBytes + this.dstBytes;
  }
  get duration(): number {
    return this.lastTs - this.firstTs;
  }
}

// Per-side state bits, in order of what conn_state needs to know.
const S_SYN = 1; // SYN without ACK sent
const S_SYNACK = 2;
const S_FIN = 4;
const S_RST = 8;

/** tshark's default out-of-order threshold (its `ooo_thres` when no round trip is known). */
const OUT_OF_ORDER_S = 0.003;

/** How many payload packets of a flow are offered to the application-hint parsers. */
const HINT_PACKETS = 4;

export type HintParser = (
  flowHints: FlowHints | null,
  proto: number,
  srcPort: number,
  dstPort: number,
  buf: Uint8Array,
  offset: number,
  length: number,
) => FlowHints | null;

/**
 * Live bidirectional flows in struct-of-arrays form: numeric keys (protocol, address ids, ports)
 * in an open-addressing table, counters in typed arrays, no allocation per packet. Finished flows
 * leave the table at once through `onEnd`, so memory holds only live flows.
 */
export class FlowTable {
  /** Set by `packet`: whether this packet opened a flow, and whether it was a retransmission. */
  newFlow = false;
  retransmission = false;
  /** Flows ended so far, and flows alive now. */
  ended = 0;
  live = 0;

  private cap = 0;
  private slots = new Int32Array(0);
  private mask = 0;
  private used = 0; // high-water mark of flow indexes
  private freeList = new Int32Array(0);
  private freeCount = 0;
  private nextId = 1;

  private proto = new Int32Array(0);
  private keyA = new Int32Array(0);
  private keyB = new Int32Array(0);
  private portA = new Int32Array(0);
  private portB = new Int32Array(0);
  private echo = new Uint8Array(0);
  private alive = new Uint8Array(0);
  private initA = new Uint8Array(0);
  private synDecided = new Uint8Array(0);
  private hintPackets = new Uint8Array(0);
  private hasHints = new Uint8Array(0);
  private id = new Float64Array(0);
  private first = new Float64Array(0);
  private last = new Float64Array(0);
  private retrans = new Uint32Array(0);
  // Per side (index 2f + side, side 0 = key A).
  private pkts = new Float64Array(0);
  private bytes = new Float64Array(0);
  private flags = new Uint16Array(0);
  private state = new Uint8Array(0);
  private seqSet = new Uint8Array(0);
  private highEnd = new Float64Array(0);
  private advancedAt = new Float64Array(0); // capture time the highest end last moved

  private readonly hints = new Map<number, FlowHints>();
  private readonly rec = new FlowRecord();

  constructor(
    private readonly timeouts: FlowTimeouts,
    private readonly onEnd: (flow: FlowRecord) => void,
    private readonly parseHints: HintParser | null = null,
  ) {
    this.grow(1024);
  }

  /**
   * Accounts one packet of the effective packet's flow. `ts` in seconds. For ICMP, `sport` and
   * `dport` are type and code and `icmpId` the echo identifier (-1 otherwise).
   */
  packet(
    proto: number,
    srcId: number,
    dstId: number,
    sport: number,
    dport: number,
    icmpId: number,
    tcpFlags: number,
    seq: number,
    payloadLength: number,
    ts: number,
    wireLen: number,
    buf: Uint8Array,
    payloadOffset: number,
    payloadCaptured: number,
  ): void {
    this.newFlow = false;
    this.retransmission = false;
    // Canonical key: the lower (address, port) end is A. ICMP "ports" belong to no end.
    let isEcho = 0;
    let kpa = sport;
    let kpb = dport;
    let swap: boolean;
    if (proto === L4_ICMP || proto === L4_ICMPV6) {
      // Echo request and reply are one flow, told apart from other pings by the identifier.
      if (icmpId >= 0) {
        isEcho = 1;
        kpa = proto === L4_ICMP ? (sport === 0 ? 8 : sport) : sport === 129 ? 128 : sport;
        kpb = icmpId;
      }
      swap = srcId > dstId;
    } else {
      swap = srcId > dstId || (srcId === dstId && sport > dport);
      if (swap) {
        kpa = dport;
        kpb = sport;
      }
    }
    const ka = swap ? dstId : srcId;
    const kb = swap ? srcId : dstId;
    const side = swap ? 1 : 0;

    let h = Math.imul(ka ^ Math.imul(kb, 0x85ebca6b) ^ Math.imul(proto + 1, 0x27d4eb2d), 0x9e3779b1);
    h = Math.imul(h ^ ((kpa << 16) | (kpb & 0xffff)), 0xc2b2ae35);
    h ^= h >>> 15;
    const mask = this.mask;
    const slots = this.slots;
    let i = h & mask;
    let f = -1;
    for (;;) {
      const s = slots[i];
      if (s === 0) break;
      const g = s - 1;
      if (
        this.keyA[g] === ka &&
        this.keyB[g] === kb &&
        this.portA[g] === kpa &&
        this.portB[g] === kpb &&
        this.proto[g] === proto
      ) {
        f = g;
        break;
      }
      i = (i + 1) & mask;
    }
    if (f >= 0) {
      const idle = ts - this.last[f] > this.timeoutOf(proto);
      // A SYN on a tuple whose flow already closed (FIN or RST) starts a new connection.
      const reopened =
        proto === L4_TCP &&
        tcpFlags >= 0 &&
        (tcpFlags & (TCP_SYN | TCP_ACK)) === TCP_SYN &&
        ((this.state[2 * f] | this.state[2 * f + 1]) & (S_FIN | S_RST)) !== 0;
      if (idle || reopened) {
        this.end(f);
        f = -1;
      }
    }
    if (f < 0) {
      f = this.create(proto, ka, kb, kpa, kpb, isEcho, side, ts);
      this.newFlow = true;
    }

    const k = 2 * f + side;
    this.pkts[k]++;
    this.bytes[k] += wireLen;
    if (ts > this.last[f]) this.last[f] = ts;
    else if (ts < this.first[f]) this.first[f] = ts;

    if (proto === L4_TCP && tcpFlags >= 0) this.tcp(f, k, side, tcpFlags, seq, payloadLength, ts);

    if (payloadCaptured > 0 && this.parseHints !== null && this.hintPackets[f] < HINT_PACKETS) {
      this.hintPackets[f]++;
      const before = this.hasHints[f] === 1 ? (this.hints.get(f) ?? null) : null;
      const after = this.parseHints(before, proto, sport, dport, buf, payloadOffset, payloadCaptured);
      if (after !== null && after !== before) {
        this.hints.set(f, after);
        this.hasHints[f] = 1;
      }
    }
  }

  private tcp(
    f: number,
    k: number,
    side: number,
    flags: number,
    seq: number,
    payloadLength: number,
    ts: number,
  ): void {
    this.flags[k] |= flags;
    const syn = (flags & TCP_SYN) !== 0;
    const ack = (flags & TCP_ACK) !== 0;
    if (syn && !ack) {
      this.state[k] |= S_SYN;
      // The first SYN without ACK names the initiator, even when the flow began mid-stream.
      if (this.synDecided[f] === 0) {
        this.synDecided[f] = 1;
        this.initA[f] = side === 0 ? 1 : 0;
      }
    } else if (syn) this.state[k] |= S_SYNACK;
    if (flags & TCP_FIN) this.state[k] |= S_FIN;
    if (flags & TCP_RST) this.state[k] |= S_RST;

    // Retransmission: a segment with sequence space (payload, SYN or FIN) that lies wholly at or
    // below the highest sequence end already seen this way; keep-alives excepted.
    const segLen = payloadLength + (syn ? 1 : 0) + (flags & TCP_FIN ? 1 : 0);
    if (segLen === 0 || flags & TCP_RST) return;
    const end = (seq + segLen) >>> 0;
    if (this.seqSet[k] === 0) {
      this.seqSet[k] = 1;
      this.highEnd[k] = end;
      this.advancedAt[k] = ts;
      return;
    }
    const high = this.highEnd[k];
    if ((high - end) >>> 0 < 0x80000000) {
      const keepAlive = segLen === payloadLength && payloadLength <= 1 && (high - seq) >>> 0 === 1;
      // Like tshark: a segment that fills a gap within 3 ms of the sequence moving on arrived out
      // of order; it was not sent again.
      const outOfOrder = end !== high && ts - this.advancedAt[k] < OUT_OF_ORDER_S;
      if (!keepAlive && !outOfOrder) {
        this.retrans[f]++;
        this.retransmission = true;
      }
    } else {
      this.highEnd[k] = end;
      this.advancedAt[k] = ts;
    }
  }

  private timeoutOf(proto: number): number {
    const t = this.timeouts;
    if (proto === L4_TCP) return t.tcp;
    if (proto === L4_UDP) return t.udp;
    if (proto === L4_ICMP || proto === L4_ICMPV6) return t.icmp;
    return t.other;
  }

  /** Ends every flow idle for longer than its timeout at capture time `now`. */
  expire(now: number): void {
    for (let f = 0; f < this.used; f++) {
      if (this.alive[f] === 1 && now - this.last[f] > this.timeoutOf(this.proto[f])) this.end(f);
    }
  }

  /** Ends every live flow (end of capture), oldest first. */
  flush(): void {
    const order: number[] = [];
    for (let f = 0; f < this.used; f++) if (this.alive[f] === 1) order.push(f);
    order.sort((a, b) => this.id[a] - this.id[b]);
    for (const f of order) this.end(f);
  }

  private create(
    proto: number,
    ka: number,
    kb: number,
    kpa: number,
    kpb: number,
    isEcho: number,
    side: number,
    ts: number,
  ): number {
    let f: number;
    if (this.freeCount > 0) f = this.freeList[--this.freeCount];
    else {
      if (this.used === this.cap) this.grow(this.cap * 2);
      f = this.used++;
    }
    this.proto[f] = proto;
    this.keyA[f] = ka;
    this.keyB[f] = kb;
    this.portA[f] = kpa;
    this.portB[f] = kpb;
    this.echo[f] = isEcho;
    this.alive[f] = 1;
    this.initA[f] = side === 0 ? 1 : 0;
    this.synDecided[f] = 0;
    this.hintPackets[f] = 0;
    this.hasHints[f] = 0;
    this.id[f] = this.nextId++;
    this.first[f] = ts;
    this.last[f] = ts;
    this.retrans[f] = 0;
    for (let k = 2 * f; k < 2 * f + 2; k++) {
      this.pkts[k] = 0;
      this.bytes[k] = 0;
      this.flags[k] = 0;
      this.state[k] = 0;
      this.seqSet[k] = 0;
      this.highEnd[k] = 0;
      this.advancedAt[k] = 0;
    }
    this.insert(f);
    this.live++;
    return f;
  }

  private hashOf(f: number): number {
    let h = Math.imul(
      this.keyA[f] ^ Math.imul(this.keyB[f], 0x85ebca6b) ^ Math.imul(this.proto[f] + 1, 0x27d4eb2d),
      0x9e3779b1,
    );
    h = Math.imul(h ^ ((this.portA[f] << 16) | (this.portB[f] & 0xffff)), 0xc2b2ae35);
    return h ^ (h >>> 15);
  }

  private insert(f: number): void {
    let i = this.hashOf(f) & this.mask;
    while (this.slots[i] !== 0) i = (i + 1) & this.mask;
    this.slots[i] = f + 1;
  }

  /** Emits the flow and removes it (backward-shift deletion keeps probe chains intact). */
  private end(f: number): void {
    this.emit(f);
    const mask = this.mask;
    const slots = this.slots;
    let i = this.hashOf(f) & mask;
    while (slots[i] !== f + 1) i = (i + 1) & mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const s = slots[j];
      if (s === 0) break;
      const home = this.hashOf(s - 1) & mask;
      // Move the entry back if its home slot is not within (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        slots[i] = s;
        i = j;
      }
    }
    slots[i] = 0;
    this.alive[f] = 0;
    if (this.hasHints[f] === 1) this.hints.delete(f);
    this.freeList[this.freeCount++] = f;
    this.live--;
    this.ended++;
  }

  private emit(f: number): void {
    const r = this.rec;
    const a = this.initA[f] === 1;
    const o = 2 * f + (a ? 0 : 1); // originator side
    const p = 2 * f + (a ? 1 : 0); // responder side
    const proto = this.proto[f];
    r.flowId = this.id[f];
    r.proto = proto;
    r.srcId = a ? this.keyA[f] : this.keyB[f];
    r.dstId = a ? this.keyB[f] : this.keyA[f];
    if (proto === L4_ICMP || proto === L4_ICMPV6) {
      // Zeek's convention: type and code; an echo flow shows the request type and code 0.
      r.srcPort = this.portA[f];
      r.dstPort = this.echo[f] === 1 ? 0 : this.portB[f];
    } else {
      r.srcPort = a ? this.portA[f] : this.portB[f];
      r.dstPort = a ? this.portB[f] : this.portA[f];
    }
    r.firstTs = this.first[f];
    r.lastTs = this.last[f];
    r.srcPackets = this.pkts[o];
    r.dstPackets = this.pkts[p];
    r.srcBytes = this.bytes[o];
    r.dstBytes = this.bytes[p];
    r.srcFlags = this.flags[o];
    r.dstFlags = this.flags[p];
    r.retransmissions = this.retrans[f];
    r.connState = connState(proto, this.state[o], this.state[p], this.pkts[p]);
    r.hints = this.hasHints[f] === 1 ? (this.hints.get(f) ?? null) : null;
    this.onEnd(r);
  }

  private grow(cap: number): void {
    const copy = <T extends Int32Array | Uint8Array | Float64Array | Uint32Array | Uint16Array>(
      old: T,
      n: number,
      make: (n: number) => T,
    ): T => {
      const next = make(n);
      next.set(old);
      return next;
    };
    const i32 = (n: number) => new Int32Array(n);
    const u8 = (n: number) => new Uint8Array(n);
    const f64 = (n: number) => new Float64Array(n);
    this.proto = copy(this.proto, cap, i32);
    this.keyA = copy(this.keyA, cap, i32);
    this.keyB = copy(this.keyB, cap, i32);
    this.portA = copy(this.portA, cap, i32);
    this.portB = copy(this.portB, cap, i32);
    this.echo = copy(this.echo, cap, u8);
    this.alive = copy(this.alive, cap, u8);
    this.initA = copy(this.initA, cap, u8);
    this.synDecided = copy(this.synDecided, cap, u8);
    this.hintPackets = copy(this.hintPackets, cap, u8);
    this.hasHints = copy(this.hasHints, cap, u8);
    this.id = copy(this.id, cap, f64);
    this.first = copy(this.first, cap, f64);
    this.last = copy(this.last, cap, f64);
    this.retrans = copy(this.retrans, cap, (n) => new Uint32Array(n));
    this.pkts = copy(this.pkts, 2 * cap, f64);
    this.bytes = copy(this.bytes, 2 * cap, f64);
    this.flags = copy(this.flags, 2 * cap, (n) => new Uint16Array(n));
    this.state = copy(this.state, 2 * cap, u8);
    this.seqSet = copy(this.seqSet, 2 * cap, u8);
    this.highEnd = copy(this.highEnd, 2 * cap, f64);
    this.advancedAt = copy(this.advancedAt, 2 * cap, f64);
    this.freeList = copy(this.freeList, cap, i32);
    this.cap = cap;
    // Keep the table at most half full.
    const size = 1 << Math.ceil(Math.log2(cap * 2));
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    for (let f = 0; f < this.used; f++) if (this.alive[f] === 1) this.insert(f);
  }
}

/** Zeek's conn_state from what each side sent (o = originator, r = responder). */
export function connState(proto: number, o: number, r: number, respPackets: number): string {
  if (proto !== L4_TCP) return respPackets > 0 ? 'SF' : 'S0';
  const oSyn = (o & S_SYN) !== 0;
  const rSynAck = (r & S_SYNACK) !== 0;
  if (oSyn && !rSynAck) {
    if (r & S_RST) return 'REJ';
    if (o & S_RST) return 'RSTOS0';
    if (o & S_FIN) return 'SH';
    return respPackets === 0 ? 'S0' : 'OTH';
  }
  if (!oSyn) {
    if (rSynAck && r & S_RST) return 'RSTRH';
    if (rSynAck && r & S_FIN) return 'SHR';
    return 'OTH';
  }
  if (o & S_RST) return 'RSTO';
  if (r & S_RST) return 'RSTR';
  if (o & S_FIN && r & S_FIN) return 'SF';
  if (o & S_FIN) return 'S2';
  if (r & S_FIN) return 'S3';
  return 'S1';
}
