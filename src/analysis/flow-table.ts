import {
  type DecodedPacket,
  L4_ICMP,
  L4_ICMPV6,
  L4_TCP,
  L4_UDP,
  TCP_ACK,
  TCP_FIN,
  TCP_RST,
  TCP_SYN,
} from '../decode/index.js';

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

/** How many payload packets each way are offered to the application-hint parsers (each way, so a
 * DNS client's burst of queries does not hide the responses). */
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

/** Gives an address its dense id (and learns whether it is local) when a flow first sees it. */
export interface AddressBook {
  intern(ip: number, words: Uint32Array): number;
  isLocal(id: number): boolean;
}

// One flow is one record in an Int32Array (I) plus a few doubles (D), so a packet touches two or
// three cache lines instead of one per field. Key first (compared on every probe), then what every
// packet updates, then the rest. Addresses are stored as int32 bit patterns (`| 0`).
const K_PROTO = 0;
const K_FAMILY = 1;
const K_A = 2; // 4 address words of end A
const K_B = 6; // 4 address words of end B
const K_PORT_A = 10;
const K_PORT_B = 11;
const SIDE = 12; // per side (A at SIDE, B at SIDE + SIDE_STRIDE): the fields below
const S_PKTS = 0;
const S_FLAGS = 1;
const S_STATE = 2;
const S_SEQ_SET = 3;
const S_HIGH_END = 4; // uint32 sequence number as int32 bits
const S_NOTED = 5;
const S_HINT_PKTS = 6; // payload packets offered to the hint parsers
const SIDE_STRIDE = 7;
const ID_A = 26;
const ID_B = 27;
const LOCAL_A = 28;
const LOCAL_B = 29;
const INIT_A = 30; // 1 when end A initiated
const SYN_DECIDED = 31;
const HAS_HINTS = 32;
const ECHO = 33;
const FLOW_ID = 34;
const RETRANS = 35;
const ALIVE = 36;
const STRIDE = 37;
// Doubles: times and byte counts.
const D_LAST = 0;
const D_FIRST = 1;
const D_BYTES = 2; // + side
const D_ADVANCED = 4; // + side: time the highest sequence end last moved
const D_STRIDE = 6;
const NOT_NOTED = -2147483648;

/**
 * Live bidirectional flows: numeric keys (protocol, raw address words, ports) in an open-addressing
 * table over flow records in typed arrays, no allocation per packet. Addresses are interned only
 * when a flow starts. Finished flows leave the table at once through `onEnd`, so memory holds only
 * live flows; idle ones are found through a queue in the order flows were last checked.
 */
export class FlowTable {
  // Set by `packet` for the analyzer.
  newFlow = false;
  retransmission = false;
  /** Address ids of this packet's sender and receiver, and whether each is local. */
  srcId = 0;
  dstId = 0;
  srcLocal = false;
  dstLocal = false;
  /** True when this flow side has not yet been noted in the window the caller passed. */
  firstInWindow = false;
  ended = 0;
  live = 0;

  private I = new Int32Array(0);
  private D = new Float64Array(0);
  private cap = 0;
  /** Pairs (flow index + 1, key hash): probes and deletions compare hashes without touching records. */
  private slots = new Int32Array(0);
  private mask = 0;
  private used = 0;
  private freeList = new Int32Array(0);
  private freeCount = 0;
  private nextId = 1;
  // Idle queue of (flow index, flow id, time queued); entries of ended flows are skipped.
  private queue = new Float64Array(3 * 1024);
  private qHead = 0;
  private qLen = 0;

  /** Hints by flow index (a plain array: no hash-map churn as millions of flows come and go). */
  private hints: (FlowHints | null)[] = [];
  private readonly rec = new FlowRecord();

  constructor(
    private readonly timeouts: FlowTimeouts,
    private readonly book: AddressBook,
    private readonly onEnd: (flow: FlowRecord) => void,
    private readonly parseHints: HintParser | null = null,
  ) {
    this.grow(1024);
  }

  /**
   * Accounts one packet to its flow: `proto` is the transport (or IP protocol), `ts` the time in
   * seconds, `noteKey` the caller's current window (see `firstInWindow`).
   */
  packet(
    pkt: DecodedPacket,
    proto: number,
    ts: number,
    wireLen: number,
    buf: Uint8Array,
    noteKey: number,
  ): void {
    this.newFlow = false;
    this.retransmission = false;
    const ip = pkt.ip;
    const s = pkt.src;
    const t = pkt.dst;
    const v6 = ip === 6;
    let sport = 0;
    let dport = 0;
    let kpa: number;
    let kpb: number;
    let isEcho = 0;
    let swap: boolean;
    if (proto === L4_ICMP || proto === L4_ICMPV6) {
      sport = pkt.srcPort;
      dport = pkt.dstPort;
      kpa = sport;
      kpb = dport;
      // Echo request and reply are one flow, told apart from other pings by the identifier.
      if (pkt.icmpId >= 0) {
        isEcho = 1;
        kpa = proto === L4_ICMP ? (sport === 0 ? 8 : sport) : sport === 129 ? 128 : sport;
        kpb = pkt.icmpId;
      }
      swap = compareAddr(s, t, v6) > 0;
    } else {
      if (proto === L4_TCP || proto === L4_UDP) {
        sport = pkt.srcPort;
        dport = pkt.dstPort;
      }
      const c = compareAddr(s, t, v6);
      swap = c > 0 || (c === 0 && sport > dport);
      kpa = swap ? dport : sport;
      kpb = swap ? sport : dport;
    }
    const a = swap ? t : s;
    const b = swap ? s : t;
    const side = swap ? 1 : 0;
    const a0 = a[0] | 0;
    const b0 = b[0] | 0;
    const h = keyHash(
      proto,
      a0,
      b0,
      v6 ? a[1] | 0 : 0,
      v6 ? a[3] | 0 : 0,
      v6 ? b[2] | 0 : 0,
      v6 ? b[3] | 0 : 0,
      kpa,
      kpb,
    );
    const I = this.I;
    const D = this.D;
    const mask = this.mask;
    const slots = this.slots;
    let i = h & mask;
    let f = -1;
    for (;;) {
      const sl = slots[2 * i];
      if (sl === 0) break;
      const o = (sl - 1) * STRIDE;
      if (
        slots[2 * i + 1] === h &&
        I[o + K_A] === a0 &&
        I[o + K_B] === b0 &&
        I[o + K_PORT_A] === kpa &&
        I[o + K_PORT_B] === kpb &&
        I[o + K_PROTO] === proto &&
        I[o + K_FAMILY] === ip &&
        (!v6 ||
          (I[o + K_A + 1] === (a[1] | 0) &&
            I[o + K_A + 2] === (a[2] | 0) &&
            I[o + K_A + 3] === (a[3] | 0) &&
            I[o + K_B + 1] === (b[1] | 0) &&
            I[o + K_B + 2] === (b[2] | 0) &&
            I[o + K_B + 3] === (b[3] | 0)))
      ) {
        f = sl - 1;
        break;
      }
      i = (i + 1) & mask;
    }
    const flags = proto === L4_TCP ? pkt.tcpFlags : -1;
    if (f >= 0) {
      const idle = ts - D[f * D_STRIDE + D_LAST] > this.timeoutOf(proto);
      // A SYN on a tuple whose flow already closed (FIN or RST) starts a new connection.
      const o = f * STRIDE;
      const reopened =
        flags >= 0 &&
        (flags & (TCP_SYN | TCP_ACK)) === TCP_SYN &&
        ((I[o + SIDE + S_STATE] | I[o + SIDE + SIDE_STRIDE + S_STATE]) & (S_FIN | S_RST)) !== 0;
      if (idle || reopened) {
        this.end(f);
        f = -1;
      }
    }
    if (f < 0) {
      f = this.create(proto, ip, a, b, kpa, kpb, isEcho, side, ts, h);
      this.newFlow = true;
    }

    const o = f * STRIDE;
    const k = o + SIDE + side * SIDE_STRIDE;
    const od = f * D_STRIDE;
    const Ic = this.I;
    const Dc = this.D;
    Ic[k + S_PKTS]++;
    Dc[od + D_BYTES + side] += wireLen;
    if (ts > Dc[od + D_LAST]) Dc[od + D_LAST] = ts;
    else if (ts < Dc[od + D_FIRST]) Dc[od + D_FIRST] = ts;
    this.srcId = Ic[o + ID_A + side];
    this.dstId = Ic[o + ID_B - side];
    this.srcLocal = Ic[o + LOCAL_A + side] === 1;
    this.dstLocal = Ic[o + LOCAL_B - side] === 1;
    this.firstInWindow = Ic[k + S_NOTED] !== noteKey;
    if (this.firstInWindow) Ic[k + S_NOTED] = noteKey;

    if (flags >= 0) this.tcp(f, k, side, flags, pkt.seq, pkt.payloadLength, ts);

    if (pkt.payloadCaptured > 0 && this.parseHints !== null && Ic[k + S_HINT_PKTS] < HINT_PACKETS) {
      Ic[k + S_HINT_PKTS]++;
      const before = Ic[o + HAS_HINTS] === 1 ? this.hints[f] : null;
      const after = this.parseHints(before, proto, sport, dport, buf, pkt.payloadOffset, pkt.payloadCaptured);
      if (after !== null && after !== before) {
        this.hints[f] = after;
        Ic[o + HAS_HINTS] = 1;
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
    const I = this.I;
    const D = this.D;
    const o = f * STRIDE;
    I[k + S_FLAGS] |= flags;
    const syn = (flags & TCP_SYN) !== 0;
    const ack = (flags & TCP_ACK) !== 0;
    if (syn && !ack) {
      I[k + S_STATE] |= S_SYN;
      // The first SYN without ACK names the initiator, even when the flow began mid-stream.
      if (I[o + SYN_DECIDED] === 0) {
        I[o + SYN_DECIDED] = 1;
        I[o + INIT_A] = side === 0 ? 1 : 0;
      }
    } else if (syn) I[k + S_STATE] |= S_SYNACK;
    if (flags & TCP_FIN) I[k + S_STATE] |= S_FIN;
    if (flags & TCP_RST) I[k + S_STATE] |= S_RST;

    // Retransmission: a segment with sequence space (payload, SYN or FIN) that lies wholly at or
    // below the highest sequence end already seen this way; keep-alives excepted.
    const segLen = payloadLength + (syn ? 1 : 0) + (flags & TCP_FIN ? 1 : 0);
    if (segLen === 0 || flags & TCP_RST) return;
    const end = (seq + segLen) | 0;
    const adv = f * D_STRIDE + D_ADVANCED + side;
    if (I[k + S_SEQ_SET] === 0) {
      I[k + S_SEQ_SET] = 1;
      I[k + S_HIGH_END] = end;
      D[adv] = ts;
      return;
    }
    const high = I[k + S_HIGH_END];
    // 32-bit wrap-around: the segment moves the sequence on when end - high is in (0, 2^31).
    if (((high - end) | 0) < 0) {
      I[k + S_HIGH_END] = end;
      D[adv] = ts;
      return;
    }
    const keepAlive = segLen === payloadLength && payloadLength <= 1 && ((high - seq) | 0) === 1;
    // Like tshark: a segment that fills a gap within 3 ms of the sequence moving on arrived out of
    // order; it was not sent again.
    const outOfOrder = end !== high && ts - D[adv] < OUT_OF_ORDER_S;
    if (!keepAlive && !outOfOrder) {
      I[o + RETRANS]++;
      this.retransmission = true;
    }
  }

  private timeoutOf(proto: number): number {
    const t = this.timeouts;
    if (proto === L4_TCP) return t.tcp;
    if (proto === L4_UDP) return t.udp;
    if (proto === L4_ICMP || proto === L4_ICMPV6) return t.icmp;
    return t.other;
  }

  /**
   * Ends flows idle for longer than their timeout at capture time `now`. The queue holds flows in
   * the order they were queued, each with the time it was queued; a flow queued less than the
   * shortest timeout ago cannot be idle yet, so the walk stops there. A flow still active is queued
   * again, so each live flow is looked at about once per shortest timeout.
   */
  expire(now: number): void {
    const shortest = minTimeout(this.timeouts);
    while (this.qLen > 0) {
      const q = this.queue;
      const at = (this.qHead % (q.length / 3)) * 3;
      if (now - q[at + 2] <= shortest) break;
      const f = q[at];
      const id = q[at + 1];
      this.qHead = (this.qHead + 1) % (q.length / 3);
      this.qLen--;
      const o = f * STRIDE;
      if (this.I[o + ALIVE] !== 1 || this.I[o + FLOW_ID] !== id) continue; // ended already
      if (now - this.D[f * D_STRIDE + D_LAST] > this.timeoutOf(this.I[o + K_PROTO])) this.end(f);
      else this.enqueue(f, id, now);
    }
  }

  /** Ends every live flow (end of capture), oldest first. */
  flush(): void {
    const order: number[] = [];
    for (let f = 0; f < this.used; f++) if (this.I[f * STRIDE + ALIVE] === 1) order.push(f);
    order.sort((x, y) => this.I[x * STRIDE + FLOW_ID] - this.I[y * STRIDE + FLOW_ID]);
    for (const f of order) this.end(f);
    this.qHead = 0;
    this.qLen = 0;
  }

  private enqueue(f: number, id: number, stamp: number): void {
    let q = this.queue;
    const n = q.length / 3;
    if (this.qLen === n) {
      // Full: unroll into a twice larger ring.
      const grown = new Float64Array(q.length * 2);
      for (let i = 0; i < this.qLen; i++) {
        const at = ((this.qHead + i) % n) * 3;
        grown[i * 3] = q[at];
        grown[i * 3 + 1] = q[at + 1];
        grown[i * 3 + 2] = q[at + 2];
      }
      this.queue = q = grown;
      this.qHead = 0;
    }
    const at = ((this.qHead + this.qLen) % (q.length / 3)) * 3;
    q[at] = f;
    q[at + 1] = id;
    q[at + 2] = stamp;
    this.qLen++;
  }

  private create(
    proto: number,
    ip: number,
    a: Uint32Array,
    b: Uint32Array,
    kpa: number,
    kpb: number,
    isEcho: number,
    side: number,
    ts: number,
    hash: number,
  ): number {
    let f: number;
    if (this.freeCount > 0) f = this.freeList[--this.freeCount];
    else {
      if (this.used === this.cap) this.grow(this.cap * 2);
      f = this.used++;
    }
    const I = this.I;
    const D = this.D;
    const o = f * STRIDE;
    I.fill(0, o, o + STRIDE);
    I[o + K_PROTO] = proto;
    I[o + K_FAMILY] = ip;
    I[o + K_A] = a[0] | 0;
    I[o + K_B] = b[0] | 0;
    if (ip === 6) {
      for (let w = 1; w < 4; w++) {
        I[o + K_A + w] = a[w] | 0;
        I[o + K_B + w] = b[w] | 0;
      }
    }
    I[o + K_PORT_A] = kpa;
    I[o + K_PORT_B] = kpb;
    I[o + ECHO] = isEcho;
    I[o + ALIVE] = 1;
    I[o + INIT_A] = side === 0 ? 1 : 0;
    const id = this.nextId++;
    I[o + FLOW_ID] = id;
    I[o + SIDE + S_NOTED] = NOT_NOTED;
    I[o + SIDE + SIDE_STRIDE + S_NOTED] = NOT_NOTED;
    const od = f * D_STRIDE;
    D.fill(0, od, od + D_STRIDE);
    D[od + D_FIRST] = ts;
    D[od + D_LAST] = ts;
    const idA = this.book.intern(ip, a);
    const idB = this.book.intern(ip, b);
    I[o + ID_A] = idA;
    I[o + ID_B] = idB;
    I[o + LOCAL_A] = this.book.isLocal(idA) ? 1 : 0;
    I[o + LOCAL_B] = this.book.isLocal(idB) ? 1 : 0;
    this.place(f, hash);
    this.enqueue(f, id, ts);
    this.live++;
    return f;
  }

  private hashOf(f: number): number {
    const I = this.I;
    const o = f * STRIDE;
    return keyHash(
      I[o + K_PROTO],
      I[o + K_A],
      I[o + K_B],
      I[o + K_A + 1],
      I[o + K_A + 3],
      I[o + K_B + 2],
      I[o + K_B + 3],
      I[o + K_PORT_A],
      I[o + K_PORT_B],
    );
  }

  /** Emits the flow and removes it (backward-shift deletion keeps probe chains intact). */
  private end(f: number): void {
    this.emit(f);
    const mask = this.mask;
    const slots = this.slots;
    let i = this.hashOf(f) & mask;
    while (slots[2 * i] !== f + 1) i = (i + 1) & mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const s = slots[2 * j];
      if (s === 0) break;
      const home = slots[2 * j + 1] & mask;
      // Move the entry back if its home slot is not within (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        slots[2 * i] = s;
        slots[2 * i + 1] = slots[2 * j + 1];
        i = j;
      }
    }
    slots[2 * i] = 0;
    const o = f * STRIDE;
    this.I[o + ALIVE] = 0;
    if (this.I[o + HAS_HINTS] === 1) this.hints[f] = null;
    this.freeList[this.freeCount++] = f;
    this.live--;
    this.ended++;
  }

  private emit(f: number): void {
    const I = this.I;
    const D = this.D;
    const r = this.rec;
    const o = f * STRIDE;
    const od = f * D_STRIDE;
    const a = I[o + INIT_A] === 1;
    const oside = a ? 0 : 1; // originator side
    const rside = 1 - oside;
    const os = o + SIDE + oside * SIDE_STRIDE;
    const rs = o + SIDE + rside * SIDE_STRIDE;
    const proto = I[o + K_PROTO];
    r.flowId = I[o + FLOW_ID];
    r.proto = proto;
    r.srcId = I[o + ID_A + oside];
    r.dstId = I[o + ID_A + rside];
    if (proto === L4_ICMP || proto === L4_ICMPV6) {
      // Zeek's convention: type and code; an echo flow shows the request type and code 0.
      r.srcPort = I[o + K_PORT_A];
      r.dstPort = I[o + ECHO] === 1 ? 0 : I[o + K_PORT_B];
    } else {
      r.srcPort = I[o + K_PORT_A + oside];
      r.dstPort = I[o + K_PORT_A + rside];
    }
    r.firstTs = D[od + D_FIRST];
    r.lastTs = D[od + D_LAST];
    r.srcPackets = I[os + S_PKTS];
    r.dstPackets = I[rs + S_PKTS];
    r.srcBytes = D[od + D_BYTES + oside];
    r.dstBytes = D[od + D_BYTES + rside];
    r.srcFlags = I[os + S_FLAGS];
    r.dstFlags = I[rs + S_FLAGS];
    r.retransmissions = I[o + RETRANS];
    r.connState = connState(proto, I[os + S_STATE], I[rs + S_STATE], I[rs + S_PKTS]);
    r.hints = I[o + HAS_HINTS] === 1 ? this.hints[f] : null;
    this.onEnd(r);
  }

  private grow(cap: number): void {
    const I = new Int32Array(cap * STRIDE);
    I.set(this.I);
    this.I = I;
    const D = new Float64Array(cap * D_STRIDE);
    D.set(this.D);
    this.D = D;
    while (this.hints.length < cap) this.hints.push(null);
    const free = new Int32Array(cap);
    free.set(this.freeList.subarray(0, this.freeCount));
    this.freeList = free;
    this.cap = cap;
    // Keep the table at most half full.
    const size = 1 << Math.ceil(Math.log2(cap * 2));
    this.slots = new Int32Array(2 * size);
    this.mask = size - 1;
    for (let f = 0; f < this.used; f++) if (I[f * STRIDE + ALIVE] === 1) this.place(f, this.hashOf(f));
  }

  private place(f: number, hash: number): void {
    let i = hash & this.mask;
    while (this.slots[2 * i] !== 0) i = (i + 1) & this.mask;
    this.slots[2 * i] = f + 1;
    this.slots[2 * i + 1] = hash;
  }
}

/** Hash of a flow key (IPv6 mixes in more address words; IPv4 passes zeros for them). */
function keyHash(
  proto: number,
  a0: number,
  b0: number,
  a1: number,
  a3: number,
  b2: number,
  b3: number,
  pa: number,
  pb: number,
): number {
  let h = Math.imul(a0 ^ Math.imul(b0, 0x85ebca6b) ^ Math.imul(proto + 1, 0x27d4eb2d), 0x9e3779b1);
  h ^= Math.imul(a3 ^ Math.imul(b3, 0x85ebca6b) ^ a1 ^ b2, 0xcc9e2d51);
  h = Math.imul(h ^ ((pa << 16) | (pb & 0xffff)), 0xc2b2ae35);
  return h ^ (h >>> 15);
}

/** Orders two addresses (word by word); IPv4 compares word 0 only. */
function compareAddr(x: Uint32Array, y: Uint32Array, v6: boolean): number {
  if (x[0] !== y[0]) return x[0] < y[0] ? -1 : 1;
  if (!v6) return 0;
  for (let i = 1; i < 4; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

function minTimeout(t: FlowTimeouts): number {
  return Math.min(t.tcp, t.udp, t.icmp, t.other);
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
