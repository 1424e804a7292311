import { L4_ICMP, L4_ICMPV6, L4_TCP, L4_UDP, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../decode/index.js';
import { CONN_STATES } from './conn-states.js';
import { grown } from './grown.js';
import { IdleQueue } from './idle-queue.js';
import type { FlowLogs } from './logs.js';
import {
  FLAGS_SHIFT,
  keyHash4,
  keyHash6,
  PROTO_SHIFT,
  R_ECHO,
  R_HINT,
  R_LOG,
  R_NO_PORTS,
  R_PAYLOAD,
  R_SIDE_B,
  R_TCP,
  R_V6,
} from './packet-records.js';
import { placeSlot, removeSlot } from './slots.js';

/** Idle timeouts in seconds (README, `--flow-timeout`): a flow quiet for longer ends, and its tuple starts anew. */
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
  connState: string = 'OTH';
  /** The index of `connState` in CONN_STATES. */
  connStateCode = 0;
  retransmissions = 0;
  /** The row reserved for the flow in the flow index, or -1 (see FlowTable's `reserveRow`). */
  indexRow = -1;
  hints: FlowHints | null = null;
  // Where the fields below are read from, while the flow is being handed over (they are made only
  // when a sink asks: the analysis alone pays nothing for them).
  source: FlowTable | null = null;
  slot = 0;
  oside = 0;

  /** Zeek's history letters (upper case from the initiator); '' for flows other than TCP and UDP. */
  get history(): string {
    if (this.proto === L4_TCP)
      return this.source === null ? '' : this.source.historyOf(this.slot, this.oside);
    // Zeek's UDP history: D for the originator's data, d for the responder's.
    return this.proto === L4_UDP ? (this.dstPackets > 0 ? 'Dd' : 'D') : '';
  }

  /** Payload bytes the initiator sent by sequence space, as Zeek counts them (TCP); -1 for other flows. */
  get origBytes(): number {
    return this.proto === L4_TCP && this.source !== null ? this.source.seqBytes(this.slot, this.oside) : -1;
  }

  /** The same for the responder. */
  get respBytes(): number {
    return this.proto === L4_TCP && this.source !== null
      ? this.source.seqBytes(this.slot, 1 - this.oside)
      : -1;
  }

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

// conn_state's view of what one side sent (a side's state bits, shifted down).
const C_SYN = 1; // SYN without ACK
const C_SYNACK = 2;
const C_FIN = 4;
const C_RST = 8;

/** tshark's default out-of-order threshold (its `ooo_thres` when no round trip is known). */
const OUT_OF_ORDER_S = 0.003;
/** tshark: a segment at the peer's duplicate-ACKed number within 20 ms of its last ACK is a fast retransmission. */
const FAST_RETRANSMISSION_S = 0.02;
/** Zeek's letters for the H_* bits, in bit order. */
const HISTORY_CODES = 'SHADFRIQ';

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
  /** Interns the address in words[at, at + 1 or 4) (int32 bit patterns). */
  intern(ip: number, words: Int32Array, at: number): number;
  isLocal(id: number): boolean;
  /** Multicast or broadcast: the flow's other end (its sender) decides the side. */
  isGroup(id: number): boolean;
}

// One flow is one 256-byte record (64 int32 words, or 32 doubles) in one ArrayBuffer seen through
// an Int32Array, a Float64Array and a Uint8Array. The first cache line holds the key and what every
// packet updates; the second and third what TCP's sequence analysis needs (tshark's per-direction
// state), the fourth Zeek's history (touched only when a letter is new). IPv6 flows keep their
// other six address words in a side array. Addresses are stored as int32 bit patterns.
const SHIFT = 6; // 64 words
const DSHIFT = 5; // 32 doubles
const K_KEY = 0; // protocol | family << 8 | R_NO_PORTS-style flag (see packet-records)
const K_A = 1; // first address word of end A
const K_B = 2;
const K_PORTS = 3; // port of end A << 16 | port of end B
const D_LAST = 2; // double index: words 4-5
const D_BYTES = 3; // + side: words 6-9
const FLOW = 10; // flow bits (F_*)
const FLOW_ID = 11;
const PKTS = 12; // + side
const NOTED = 14; // + side: the window key this side was last noted in
// Second line: what a TCP packet reads and writes (tshark's per-direction sequence state), so
// that a packet touches two cache lines of its flow.
const BITS = 16; // + side: flags, state, sequence set, hint packets, history letters, duplicate ACKs (see below)
const HIGH = 18; // + side: next expected sequence number, tshark's nextseq (uint32 as int32 bits)
const LAST_ACK = 20; // + side: acknowledgement number of this side's last segment
const WIN = 22; // + side: raw window of this side's last segment, -1 before one is seen
const D_ADVANCED = 12; // + side, words 24-27: time the next expected sequence number last moved
const D_ACK_TIME = 14; // + side, words 28-31: time of this side's last segment
// Third line: what the flow's start, end and rarer events need.
const ID = 32; // + side: address ids of ends A and B
const RETRANS = 34;
/** The flow's row in the flow index, reserved when it starts (so the index is in id order), or -1. */
const INDEX_ROW = 35;
const START = 36; // + side: where this side's sequence space starts (Zeek's start_seq)
const D_FIRST = 19; // words 38-39
const D_SYN_TIME = 20; // words 40-41: time of the latest SYN without ACK
const D_FIRST_RTT = 21; // words 42-43: SYN to the first ACK, tshark's out-of-order threshold
const HIST_COUNTS = 44; // + side: retransmissions (low 16 bits) and zero windows (high 16), saturating
const WRAPS = 46; // times each side's sequence numbers passed zero: side 0 low 16 bits, side 1 high 16
// Fourth line: Zeek's history.
const HIST_LEN = 48; // letters in the history
const HIST_BYTE = 52 * 4; // byte offset in the record of the history letters
/** Most history letters a flow keeps (Zeek's letters, once each, T and W at 1, 10, 100 …). */
const HIST_MAX = 48;
// Words 50-51 (fourth line, beside the history's length): the sequence number of each side's
// SYN, for a protocol-log parser made after the handshake (F_ISN_A/B say whether it is set).
const ISN = 50;

/** In the key: a TCP/UDP flow whose ports were not captured (ports -1). */
const NO_PORTS = 1 << 16;

// Per-side bits: TCP flags (9 bits), state, whether a sequence end is known, hint packets offered.
const FLAG_MASK = 0x1ff;
const S_SYN = 1 << 9; // SYN without ACK sent
const S_SYNACK = 2 << 9;
const S_FIN = 4 << 9;
const S_RST = 8 << 9;
const STATE_SHIFT = 9;
const SEQ_SET = 1 << 13;
const HINT_SHIFT = 14;
const HINT_ONE = 1 << HINT_SHIFT;
const HINT_MASK = 7 << HINT_SHIFT;
/** History letters this side has recorded (Zeek records each once): S H A D F R I Q. */
const H_S = 1 << 17;
const H_H = 1 << 18;
const H_A = 1 << 19;
const H_D = 1 << 20;
const H_F = 1 << 21;
const H_R = 1 << 22;
const H_I = 1 << 23;
const H_Q = 1 << 24;
/** This side's last segment was a keep-alive (so the peer's repeated ACK is not a duplicate). */
const LAST_KEEP_ALIVE = 1 << 25;
/** Duplicate ACKs this side sent in a row (saturating at 63: tshark asks for 2). */
const DUP_SHIFT = 26;
const DUP_ONE = 1 << DUP_SHIFT;
const DUP_MASK = 63 << DUP_SHIFT;

// Flow bits.
const F_LOCAL_A = 1;
const F_LOCAL_B = 2;
const F_INIT_A = 4; // end A initiated
const F_SYN_DECIDED = 8;
const F_HINTS = 16;
const F_ECHO = 32;
const F_ALIVE = 64;
/** Side A (B) has offered all its hint packets: its payload packets need no more looking at. */
const F_HINTS_DONE_A = 128;
// (F_HINTS_DONE_A << 1 is side B's.) Whether each side's SYN sequence number is in ISN.
const F_ISN_A = 512;
const F_ISN_B = 1024;
/** The flow had traffic for the protocol logs: they are told when it ends. */
const F_LOGGED = 2048;

const NOT_NOTED = -2147483648;

/** Direction by (sender local) << 1 | (receiver local): external, inbound, outbound, internal. */
export const DIRECTION = new Int32Array([3, 0, 1, 2]);

/**
 * Live bidirectional flows: numeric keys (protocol, raw address words, ports) in an open-addressing
 * table over flow records in typed arrays, no allocation per packet. Addresses are interned only
 * when a flow starts. Finished flows leave the table at once through `onEnd`, so memory holds only
 * live flows; idle ones are found through a queue in the order flows were last checked.
 */
export class FlowTable {
  // Set by `packet` for the caller.
  newFlow = false;
  retransmission = false;
  /** The flow and side (0: end A sent) of the last packet: see `senderId` and `receiverId`. */
  flow = 0;
  side = 0;
  /**
   * This packet's direction: 0 inbound (remote → local), 1 outbound, 2 internal, 3 external
   * (from whether its sender and receiver are local).
   */
  direction = 0;
  /** True when this flow side has not yet been noted in the window the caller passed. */
  firstInWindow = false;
  ended = 0;
  live = 0;

  private I = new Int32Array(0);
  private D = new Float64Array(0);
  private U8 = new Uint8Array(0);
  /** Address words 1-3 of both ends of IPv6 flows (6 per flow). */
  private V6 = new Int32Array(0);
  // What the idle sweep looks at, per flow, in small arrays of their own (so a sweep stays in
  // cache): the flow id while the flow lives (0 after), its last packet time and its timeout.
  private liveId = new Int32Array(0);
  private lastTs = new Float64Array(0);
  private timeout = new Float64Array(0);
  private cap = 0;
  /** Pairs (flow index + 1, key hash): probes and deletions compare hashes without touching records. */
  private slots = new Int32Array(0);
  private mask = 0;
  private used = 0;
  private freeList = new Int32Array(0);
  private freeCount = 0;
  /** Frame number of the packet being accounted (the id of a flow it starts). */
  private frame = 0;
  // Flows by time queued; entries of ended flows are skipped.
  private readonly idle = new IdleQueue();
  private readonly timeoutTcp: number;
  private readonly timeoutUdp: number;
  private readonly timeoutIcmp: number;
  private readonly timeoutOther: number;

  /** Hints by flow index (a plain array: no hash-map churn as millions of flows come and go). */
  private hints: (FlowHints | null)[] = [];
  private readonly rec = new FlowRecord();
  /** The time of the packet being accounted (a field: passing a double boxes it). */
  private now = 0;

  constructor(
    private readonly timeouts: FlowTimeouts,
    private readonly book: AddressBook,
    private readonly onEnd: (flow: FlowRecord) => void,
    private readonly parseHints: HintParser | null = null,
    private readonly logs: FlowLogs | null = null,
    /** Reserves a flow's row in the flow index when it starts (-1: none). */
    private readonly reserveRow: (() => number) | null = null,
  ) {
    this.timeoutTcp = timeouts.tcp;
    this.timeoutUdp = timeouts.udp;
    this.timeoutIcmp = timeouts.icmp;
    this.timeoutOther = timeouts.other;
    this.grow(1024);
  }

  /** Address id of the last packet's sender. */
  get senderId(): number {
    return this.I[(this.flow << SHIFT) + ID + this.side];
  }

  /** Address id of the last packet's receiver. */
  get receiverId(): number {
    return this.I[(this.flow << SHIFT) + ID + 1 - this.side];
  }

  /**
   * Accounts one flow packet, from its record at W[p] (see `packet-records.ts`; `F` is the same
   * memory as doubles, `bytes` as bytes), to its flow; `noteKey` is the caller's current window
   * (see `firstInWindow`). Returns where the next record starts.
   */
  packet(W: Int32Array, F: Float64Array, bytes: Uint8Array, p: number, hdr: number, noteKey: number): number {
    // Doubles are read here rather than passed: a double argument is boxed on every call.
    const ts = F[(p + 2) >> 1];
    this.now = ts;
    this.newFlow = false;
    this.retransmission = false;
    const v6 = (hdr & R_V6) !== 0;
    const proto = (hdr >>> PROTO_SHIFT) & 0xff;
    const a = p + 4;
    const b = v6 ? p + 8 : p + 5;
    let q = v6 ? p + 12 : p + 6;
    const ports = W[q];
    const h = W[q + 1];
    // A flow made by this packet takes its frame number as id: the same however flows are sharded.
    this.frame = W[q + 2];
    q += 3;
    const side = (hdr & R_SIDE_B) !== 0 ? 1 : 0;
    const key = proto | ((v6 ? 6 : 4) << 8) | ((hdr & R_NO_PORTS) !== 0 ? NO_PORTS : 0);
    const a0 = W[a];
    const b0 = W[b];
    const I = this.I;
    const mask = this.mask;
    const slots = this.slots;
    let i = h & mask;
    let f = -1;
    for (;;) {
      const sl = slots[2 * i];
      if (sl === 0) break;
      if (slots[2 * i + 1] === h) {
        const o = (sl - 1) << SHIFT;
        if (
          I[o + K_A] === a0 &&
          I[o + K_B] === b0 &&
          I[o + K_PORTS] === ports &&
          I[o + K_KEY] === key &&
          (!v6 || this.sameV6(sl - 1, W, a, b))
        ) {
          f = sl - 1;
          break;
        }
      }
      i = (i + 1) & mask;
    }
    const tcp = (hdr & R_TCP) !== 0;
    const flags = tcp ? (hdr >>> FLAGS_SHIFT) & FLAG_MASK : -1;
    if (f >= 0) {
      const o = f << SHIFT;
      const idle = ts - this.D[(f << DSHIFT) + D_LAST] > this.timeoutOf(proto);
      // A SYN on a tuple whose flow already closed (FIN or RST) starts a new connection.
      // (A SYN repeating this side's first sequence number is the same attempt sent again, as
      // tshark keeps it.)
      const reopened =
        tcp &&
        (flags & (TCP_SYN | TCP_ACK)) === TCP_SYN &&
        ((I[o + BITS] | I[o + BITS + 1]) & (S_FIN | S_RST)) !== 0 &&
        ((I[o + BITS + side] & SEQ_SET) === 0 || W[q] !== I[o + START + side]);
      if (idle || reopened) {
        this.end(f);
        f = -1;
      }
    }
    if (f < 0) {
      f = this.create(key, v6, W, a, b, ports, (hdr & R_ECHO) !== 0, side, h);
      this.newFlow = true;
    }

    const Ic = this.I;
    const Dc = this.D;
    const o = f << SHIFT;
    const od = f << DSHIFT;
    Ic[o + PKTS + side]++;
    Dc[od + D_BYTES + side] += W[p + 1];
    if (ts > Dc[od + D_LAST]) {
      Dc[od + D_LAST] = ts;
      this.lastTs[f] = ts;
    } else if (ts < Dc[od + D_FIRST]) Dc[od + D_FIRST] = ts;
    const bits = Ic[o + FLOW];
    this.flow = f;
    this.side = side;
    // F_LOCAL_A is bit 0 and F_LOCAL_B bit 1: the sender's bit, then the receiver's.
    this.direction = DIRECTION[(((bits >> side) & 1) << 1) | ((bits >> (1 - side)) & 1)];
    const first = Ic[o + NOTED + side] !== noteKey;
    this.firstInWindow = first;
    if (first) Ic[o + NOTED + side] = noteKey;

    const tq = q;
    if (tcp) {
      this.tcp(f, side, flags, W[q], W[q + 1], W[q + 2], W[q + 3]);
      q += 4;
    }
    const logs = this.logs;
    if (logs !== null) {
      const attached = (hdr & R_LOG) !== 0 ? W[q] : 0;
      if (tcp) {
        if (attached > 0 || logs.has(f)) {
          if ((this.I[o + FLOW] & F_LOGGED) === 0) {
            this.I[o + FLOW] |= F_LOGGED;
            logs.started(f, this.I[o + FLOW_ID]);
          }
          logs.clock[0] = ts;
          const fb = this.I[o + FLOW];
          logs.tcp(
            f,
            this.I[o + FLOW_ID],
            side,
            flags,
            W[tq],
            W[tq + 1],
            bytes,
            (q + 1) * 4,
            attached,
            ports,
            this.I[o + ISN],
            this.I[o + ISN + 1],
            ((fb & F_ISN_A) !== 0 ? 1 : 0) | ((fb & F_ISN_B) !== 0 ? 2 : 0),
          );
        }
      } else if (attached > 0 && proto === L4_UDP) {
        if ((this.I[o + FLOW] & F_LOGGED) === 0) {
          this.I[o + FLOW] |= F_LOGGED;
          logs.started(f, this.I[o + FLOW_ID]);
        }
        logs.clock[0] = ts;
        logs.udp(this.I[o + FLOW_ID], side, bytes, (q + 1) * 4, attached);
      }
    }
    if ((hdr & R_PAYLOAD) !== 0 && (bits & (F_HINTS_DONE_A << side)) === 0 && this.parseHints !== null) {
      const sideBits = Ic[o + BITS + side] + HINT_ONE;
      Ic[o + BITS + side] = sideBits;
      if ((sideBits & HINT_MASK) === HINT_PACKETS << HINT_SHIFT) Ic[o + FLOW] |= F_HINTS_DONE_A << side;
      if ((hdr & R_HINT) !== 0) {
        // The hint parsers see the packet's own ports: the key's, in the sender's order.
        const noPorts = (hdr & R_NO_PORTS) !== 0;
        const tcpUdp = proto === L4_TCP || proto === L4_UDP;
        const sport = noPorts ? -1 : tcpUdp ? (side === 0 ? ports >>> 16 : ports & 0xffff) : 0;
        const dport = noPorts ? -1 : tcpUdp ? (side === 0 ? ports & 0xffff : ports >>> 16) : 0;
        const before = (Ic[o + FLOW] & F_HINTS) !== 0 ? this.hints[f] : null;
        const after = this.parseHints(before, proto, sport, dport, bytes, (q + 1) * 4, W[q]);
        if (after !== null && after !== before) {
          this.hints[f] = after;
          Ic[o + FLOW] |= F_HINTS;
        }
      }
    }
    if ((hdr & (R_HINT | R_LOG)) !== 0) q += 1 + ((W[q] + 3) >> 2);
    return q + (q & 1);
  }

  private sameV6(f: number, W: Int32Array, a: number, b: number): boolean {
    const V = this.V6;
    const v = f * 6;
    return (
      V[v] === W[a + 1] &&
      V[v + 1] === W[a + 2] &&
      V[v + 2] === W[a + 3] &&
      V[v + 3] === W[b + 1] &&
      V[v + 4] === W[b + 2] &&
      V[v + 5] === W[b + 3]
    );
  }

  private tcp(
    f: number,
    side: number,
    flags: number,
    seq: number,
    payloadLength: number,
    ack: number,
    win: number,
  ): void {
    const ts = this.now;
    const I = this.I;
    const D = this.D;
    const o = f << SHIFT;
    const od = f << DSHIFT;
    const k = o + BITS + side;
    const rev = 1 - side;
    let bits = I[k] | flags;
    const syn = (flags & TCP_SYN) !== 0;
    const fin = (flags & TCP_FIN) !== 0;
    const rst = (flags & TCP_RST) !== 0;
    const ackFlag = (flags & TCP_ACK) !== 0;
    if (syn && (I[o + FLOW] & (F_ISN_A << side)) === 0) {
      I[o + ISN + side] = seq;
      I[o + FLOW] |= F_ISN_A << side;
    }
    if (syn && !ackFlag) {
      bits |= S_SYN;
      D[od + D_SYN_TIME] = ts;
      // The first SYN without ACK names the initiator, even when the flow began mid-stream.
      const fb = I[o + FLOW];
      if ((fb & F_SYN_DECIDED) === 0)
        I[o + FLOW] = ((fb | F_SYN_DECIDED) & ~F_INIT_A) | (side === 0 ? F_INIT_A : 0);
    } else if (syn) bits |= S_SYNACK;
    if (fin) bits |= S_FIN;
    if (rst) bits |= S_RST;

    // Zeek's history letters: one per kind of segment, each recorded the first time it is seen.
    const multi = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
    let letter = 0;
    if (multi > 1) letter = fin && rst ? H_I : H_Q;
    else if (syn) letter = ackFlag ? H_H : H_S;
    else if (fin) letter = H_F;
    else if (rst) letter = H_R;
    else if (payloadLength > 0) letter = H_D;
    else if (ackFlag) letter = H_A;
    if (letter !== 0 && (bits & letter) === 0) {
      bits |= letter;
      this.addHistory(f, side, letter);
    }

    // tshark's sequence analysis (packet-tcp.c, tcp_analyze_sequence_number), in its order.
    const control = syn || fin || rst;
    const first = (bits & SEQ_SET) === 0;
    const nextSeq = I[o + HIGH + side];
    const revWin = I[o + WIN + rev];
    if (first) {
      bits |= SEQ_SET;
      // Zeek counts a side's bytes from its SYN, or as if one came just before the first segment.
      I[o + START + side] = syn ? seq : (seq - 1) | 0;
    }
    // Zero-window probe: one byte at the next expected number while the peer's window is shut.
    const probe = !first && payloadLength === 1 && seq === nextSeq && revWin === 0;
    let keepAlive = false;
    if (!probe) {
      // Keep-alive: 0 or 1 byte starting one before the next expected number.
      keepAlive = !first && payloadLength <= 1 && seq === ((nextSeq - 1) | 0) && !control;
      // Duplicate ACK: no data, same window, ack and sequence as this side's last segment (the ACK
      // of a keep-alive excepted).
      if (
        payloadLength === 0 &&
        !control &&
        !first &&
        win !== 0 &&
        win === I[o + WIN + side] &&
        seq === nextSeq &&
        ack === I[o + LAST_ACK + side] &&
        (I[o + BITS + rev] & LAST_KEEP_ALIVE) === 0 &&
        (bits & DUP_MASK) !== DUP_MASK
      )
        bits += DUP_ONE;
    }
    if (ack !== I[o + LAST_ACK + side]) bits &= ~DUP_MASK;

    const segLen = payloadLength + (syn ? 1 : 0) + (fin ? 1 : 0);
    if ((payloadLength > 0 || syn || fin) && !keepAlive) {
      // Retransmission, fast or spurious; not an out-of-order segment.
      let notAdvanced = !first && ((seq - nextSeq) | 0) < 0;
      // More than one byte starting one before the next expected number: new data after a probe.
      if (payloadLength > 1 && ((nextSeq - 1) | 0) === seq) notAdvanced = false;
      // Spurious first (data the peer already acknowledged), then fast (at the number the peer's
      // duplicate ACKs ask for, within 20 ms of them), then out of order (a gap filled within the
      // handshake's round trip, else 3 ms, of the sequence moving on), as tshark 4.0 decides.
      const revAck = I[o + LAST_ACK + rev];
      let counted =
        payloadLength > 0 &&
        (I[o + BITS + rev] & SEQ_SET) !== 0 &&
        revAck !== 0 &&
        ((seq + payloadLength - revAck) | 0) <= 0;
      if (!counted && notAdvanced) {
        const fast =
          ((I[o + BITS + rev] >>> DUP_SHIFT) & 63) >= 2 &&
          revAck === seq &&
          ts - D[od + D_ACK_TIME + rev] < FAST_RETRANSMISSION_S;
        const rtt = D[od + D_FIRST_RTT];
        const outOfOrder =
          !fast &&
          ts - D[od + D_ADVANCED + side] < (rtt > 0 ? rtt : OUT_OF_ORDER_S) &&
          nextSeq !== ((seq + segLen) | 0);
        counted = !outOfOrder;
      }
      if (counted) {
        I[o + RETRANS]++;
        this.retransmission = true;
        this.scaledHistory(f, side, 0);
      }
    }

    // The next expected number moves on (a zero-window probe's byte does not count, nor, as tshark
    // 4.0 behaves on the public captures, a reset's sequence number).
    const end = (seq + segLen) | 0;
    if (first || (!probe && !rst && ((end - nextSeq) | 0) > 0)) {
      if (!first && end >>> 0 < nextSeq >>> 0) {
        // The sequence numbers passed zero (for a side's bytes beyond 4 GiB).
        const wraps = I[o + WRAPS];
        if (((wraps >>> (side << 4)) & 0xffff) !== 0xffff) I[o + WRAPS] = wraps + (side === 0 ? 1 : 0x10000);
      }
      I[o + HIGH + side] = end;
      D[od + D_ADVANCED + side] = ts;
    }
    if (win === 0 && !control && ackFlag) this.scaledHistory(f, side, 16);
    I[o + WIN + side] = win;
    I[o + LAST_ACK + side] = ack;
    D[od + D_ACK_TIME + side] = ts;
    I[k] = keepAlive ? bits | LAST_KEEP_ALIVE : bits & ~LAST_KEEP_ALIVE;
    // The first ACK after a SYN gives the handshake's round trip (tshark's ts_first_rtt).
    if (ackFlag && !syn && D[od + D_FIRST_RTT] === 0) {
      const synTime = D[od + D_SYN_TIME];
      if (synTime !== 0) D[od + D_FIRST_RTT] = ts - synTime;
    }
  }

  /** Appends a history letter (a bit of H_*) of `side`; the case is chosen when the flow ends. */
  private addHistory(f: number, side: number, letter: number): void {
    this.appendHistory(f, side, HISTORY_CODES.charCodeAt(31 - Math.clz32(letter) - 17));
  }

  private appendHistory(f: number, side: number, code: number): void {
    const at = (f << SHIFT) + HIST_LEN;
    const n = this.I[at];
    if (n >= HIST_MAX) return;
    this.U8[(f << (SHIFT + 2)) + HIST_BYTE + n] = code | (side << 7);
    this.I[at] = n + 1;
  }

  /** Zeek's scaled letters: T (shift 0) or W (shift 16) at the 1st, 10th, 100th … time. */
  private scaledHistory(f: number, side: number, shift: number): void {
    const at = (f << SHIFT) + HIST_COUNTS + side;
    const counts = this.I[at];
    const n = (counts >>> shift) & 0xffff;
    if (n === 0xffff) return;
    this.I[at] = counts + (1 << shift);
    const c = n + 1;
    if (c === 1 || c === 10 || c === 100 || c === 1000 || c === 10000)
      this.appendHistory(f, side, shift === 0 ? 84 : 87); // 'T', 'W'
  }

  private timeoutOf(proto: number): number {
    if (proto === L4_TCP) return this.timeoutTcp;
    if (proto === L4_UDP) return this.timeoutUdp;
    if (proto === L4_ICMP || proto === L4_ICMPV6) return this.timeoutIcmp;
    return this.timeoutOther;
  }

  /**
   * Ends flows idle for longer than their timeout at capture time `now`. The queue holds flows in
   * the order they were queued, each with the time it was queued; a flow queued less than the
   * shortest timeout ago cannot be idle yet, so the walk stops there. A flow still active is queued
   * again, so each live flow is looked at about once per shortest timeout.
   */
  expire(now: number): void {
    const shortest = minTimeout(this.timeouts);
    const q = this.idle;
    while (q.length > 0) {
      const at = q.head;
      if (now - q.stamp[at] <= shortest) break;
      const f = q.flow[at];
      const id = q.id[at];
      q.shift();
      if (this.liveId[f] !== id) continue; // ended already
      if (now - this.lastTs[f] > this.timeout[f]) this.end(f);
      else q.push(f, id, now);
    }
  }

  /** Ends every live flow (end of capture), oldest first. */
  flush(): void {
    const order: number[] = [];
    for (let f = 0; f < this.used; f++) if ((this.I[(f << SHIFT) + FLOW] & F_ALIVE) !== 0) order.push(f);
    order.sort((x, y) => this.I[(x << SHIFT) + FLOW_ID] - this.I[(y << SHIFT) + FLOW_ID]);
    for (const f of order) this.end(f);
    this.idle.clear();
  }

  private create(
    key: number,
    v6: boolean,
    W: Int32Array,
    a: number,
    b: number,
    ports: number,
    isEcho: boolean,
    side: number,
    hash: number,
  ): number {
    const ts = this.now;
    let f: number;
    if (this.freeCount > 0) f = this.freeList[--this.freeCount];
    else {
      if (this.used === this.cap) this.grow(this.cap * 2);
      f = this.used++;
    }
    const I = this.I;
    const D = this.D;
    const o = f << SHIFT;
    const od = f << DSHIFT;
    const ip = v6 ? 6 : 4;
    const idA = this.book.intern(ip, W, a);
    const idB = this.book.intern(ip, W, b);
    I[o + K_KEY] = key;
    I[o + K_A] = W[a];
    I[o + K_B] = W[b];
    I[o + K_PORTS] = ports;
    D[od + D_LAST] = ts;
    D[od + D_BYTES] = 0;
    D[od + D_BYTES + 1] = 0;
    // A multicast or broadcast end is on its sender's side: it takes the other end's locality.
    let localA = this.book.isLocal(idA);
    let localB = this.book.isLocal(idB);
    if (this.book.isGroup(idB)) localB = localA;
    else if (this.book.isGroup(idA)) localA = localB;
    I[o + FLOW] =
      F_ALIVE |
      (side === 0 ? F_INIT_A : 0) |
      (isEcho ? F_ECHO : 0) |
      (localA ? F_LOCAL_A : 0) |
      (localB ? F_LOCAL_B : 0);
    const id = this.frame;
    I[o + FLOW_ID] = id;
    this.liveId[f] = id;
    this.lastTs[f] = ts;
    this.timeout[f] = this.timeoutOf(key & 0xff);
    I[o + PKTS] = 0;
    I[o + PKTS + 1] = 0;
    I[o + NOTED] = NOT_NOTED;
    I[o + NOTED + 1] = NOT_NOTED;
    I[o + BITS] = 0;
    I[o + BITS + 1] = 0;
    I[o + HIGH] = 0;
    I[o + HIGH + 1] = 0;
    I[o + ID] = idA;
    I[o + ID + 1] = idB;
    I[o + RETRANS] = 0;
    I[o + INDEX_ROW] = this.reserveRow === null ? -1 : this.reserveRow();
    D[od + D_FIRST] = ts;
    D[od + D_ADVANCED] = 0;
    D[od + D_ADVANCED + 1] = 0;
    I[o + LAST_ACK] = 0;
    I[o + LAST_ACK + 1] = 0;
    I[o + WIN] = -1;
    I[o + WIN + 1] = -1;
    I[o + START] = 0;
    I[o + START + 1] = 0;
    D[od + D_ACK_TIME] = 0;
    D[od + D_ACK_TIME + 1] = 0;
    D[od + D_SYN_TIME] = 0;
    D[od + D_FIRST_RTT] = 0;
    I[o + HIST_LEN] = 0;
    I[o + HIST_COUNTS] = 0;
    I[o + HIST_COUNTS + 1] = 0;
    I[o + WRAPS] = 0;
    if (v6) {
      const V = this.V6;
      const v = f * 6;
      V[v] = W[a + 1];
      V[v + 1] = W[a + 2];
      V[v + 2] = W[a + 3];
      V[v + 3] = W[b + 1];
      V[v + 4] = W[b + 2];
      V[v + 5] = W[b + 3];
    }
    placeSlot(this.slots, this.mask, f, hash);
    this.idle.push(f, id, this.now);
    this.live++;
    return f;
  }

  private hashOf(f: number): number {
    const I = this.I;
    const o = f << SHIFT;
    const key = I[o + K_KEY];
    if (((key >>> 8) & 0xff) !== 6) return keyHash4(key, I[o + K_A], I[o + K_B], I[o + K_PORTS]);
    const V = this.V6;
    const v = f * 6;
    return keyHash6(key, I[o + K_A], I[o + K_B], V[v], V[v + 2], V[v + 4], V[v + 5], I[o + K_PORTS]);
  }

  /**
   * The originator's and responder's address ids and the responder's port (-1: none) of flow
   * index `f`, into out[0..2] (live, or ending: `end` keeps the slot's words until it returns).
   */
  endsOf(f: number, out: Int32Array): void {
    const I = this.I;
    const o = f << SHIFT;
    const oside = (I[o + FLOW] & F_INIT_A) !== 0 ? 0 : 1;
    out[0] = I[o + ID + oside];
    out[1] = I[o + ID + 1 - oside];
    const ports = I[o + K_PORTS];
    out[2] = (I[o + K_KEY] & NO_PORTS) !== 0 ? -1 : oside === 0 ? ports & 0xffff : ports >>> 16;
  }

  /** Emits the flow and removes it from the slots. */
  private end(f: number): void {
    this.emit(f);
    removeSlot(this.slots, this.mask, f, this.hashOf(f));
    const o = f << SHIFT;
    const bits = this.I[o + FLOW];
    if ((bits & F_LOGGED) !== 0) this.logs?.ended(f, this.I[o + FLOW_ID]);
    this.I[o + FLOW] = bits & ~F_ALIVE;
    this.liveId[f] = 0;
    if ((bits & F_HINTS) !== 0) this.hints[f] = null;
    this.freeList[this.freeCount++] = f;
    this.live--;
    this.ended++;
  }

  private emit(f: number): void {
    const I = this.I;
    const D = this.D;
    const r = this.rec;
    const o = f << SHIFT;
    const od = f << DSHIFT;
    const bits = I[o + FLOW];
    const oside = (bits & F_INIT_A) !== 0 ? 0 : 1; // originator side
    const rside = 1 - oside;
    const key = I[o + K_KEY];
    const proto = key & 0xff;
    const ports = I[o + K_PORTS];
    r.flowId = I[o + FLOW_ID];
    r.proto = proto;
    r.srcId = I[o + ID + oside];
    r.dstId = I[o + ID + rside];
    if (proto === L4_ICMP || proto === L4_ICMPV6) {
      // Zeek's convention: type and code; an echo flow shows the request type and code 0.
      r.srcPort = ports >>> 16;
      r.dstPort = (bits & F_ECHO) !== 0 ? 0 : ports & 0xffff;
    } else if ((key & NO_PORTS) !== 0) {
      r.srcPort = -1;
      r.dstPort = -1;
    } else {
      r.srcPort = oside === 0 ? ports >>> 16 : ports & 0xffff;
      r.dstPort = oside === 0 ? ports & 0xffff : ports >>> 16;
    }
    r.firstTs = D[od + D_FIRST];
    r.lastTs = D[od + D_LAST];
    r.srcPackets = I[o + PKTS + oside];
    r.dstPackets = I[o + PKTS + rside];
    r.srcBytes = D[od + D_BYTES + oside];
    r.dstBytes = D[od + D_BYTES + rside];
    const ob = I[o + BITS + oside];
    const rb = I[o + BITS + rside];
    r.srcFlags = ob & FLAG_MASK;
    r.dstFlags = rb & FLAG_MASK;
    r.retransmissions = I[o + RETRANS];
    r.indexRow = I[o + INDEX_ROW];
    r.source = this;
    r.slot = f;
    r.oside = oside;
    const code = connStateCode(proto, ob >>> STATE_SHIFT, rb >>> STATE_SHIFT, r.dstPackets);
    r.connStateCode = code;
    r.connState = CONN_STATES[code];
    r.hints = (bits & F_HINTS) !== 0 ? this.hints[f] : null;
    this.onEnd(r);
  }

  /** The flow's history letters, upper case for the originator's side (see FlowRecord). */
  historyOf(f: number, oside: number): string {
    const n = this.I[(f << SHIFT) + HIST_LEN];
    const at = (f << (SHIFT + 2)) + HIST_BYTE;
    let h = '';
    for (let i = 0; i < n; i++) {
      const b = this.U8[at + i];
      const c = b & 0x7f;
      h += String.fromCharCode(b >> 7 === oside ? c : c + 32);
    }
    return h;
  }

  /**
   * Payload bytes `side` sent by sequence space, as Zeek's TCP endpoint size: from where its space
   * starts to the highest number it sent or the peer acknowledged, less the SYN and FIN octets. A
   * retransmission covers numbers already counted, so it is counted once.
   */
  seqBytes(f: number, side: number): number {
    const I = this.I;
    const o = f << SHIFT;
    const bits = I[o + BITS + side];
    if ((bits & SEQ_SET) === 0) return 0;
    const start = I[o + START + side];
    let last = I[o + HIGH + side];
    const peerAck = I[o + LAST_ACK + 1 - side];
    if ((I[o + BITS + 1 - side] & TCP_ACK) !== 0 && ((peerAck - last) | 0) > 0) last = peerAck;
    const wraps = (I[o + WRAPS] >>> (side << 4)) & 0xffff;
    let size = wraps * 4294967296 + (last >>> 0) - (start >>> 0);
    if (size < 0) size += 4294967296; // the start was just below zero
    if (size > 0) size--;
    if ((bits & S_FIN) !== 0 && size > 0) size--;
    return size;
  }

  private grow(cap: number): void {
    const buffer = new ArrayBuffer(cap << (SHIFT + 2));
    const I = new Int32Array(buffer);
    I.set(this.I);
    this.I = I;
    this.D = new Float64Array(buffer);
    this.U8 = new Uint8Array(buffer);
    this.V6 = grown(this.V6, cap * 6);
    this.liveId = grown(this.liveId, cap);
    this.lastTs = grown(this.lastTs, cap);
    this.timeout = grown(this.timeout, cap);
    while (this.hints.length < cap) this.hints.push(null);
    this.freeList = grown(this.freeList.subarray(0, this.freeCount), cap);
    this.cap = cap;
    // Keep the table at most half full.
    const size = 1 << Math.ceil(Math.log2(cap * 2));
    this.slots = new Int32Array(2 * size);
    this.mask = size - 1;
    for (let f = 0; f < this.used; f++)
      if ((I[(f << SHIFT) + FLOW] & F_ALIVE) !== 0) placeSlot(this.slots, this.mask, f, this.hashOf(f));
  }
}

function minTimeout(t: FlowTimeouts): number {
  return Math.min(t.tcp, t.udp, t.icmp, t.other);
}

/** Zeek's conn_state from what each side sent (o = originator, r = responder). */
export function connState(proto: number, o: number, r: number, respPackets: number): string {
  return CONN_STATES[connStateCode(proto, o, r, respPackets)];
}

// Codes of CONN_STATES.
const OTH = 0;
const S0 = 1;
const S1 = 2;
const SF = 3;
const REJ = 4;
const S2 = 5;
const S3 = 6;
const RSTO = 7;
const RSTR = 8;
const RSTOS0 = 9;
const RSTRH = 10;
const SH = 11;
const SHR = 12;

/** conn_state as its index in CONN_STATES. */
export function connStateCode(proto: number, o: number, r: number, respPackets: number): number {
  if (proto !== L4_TCP) return respPackets > 0 ? SF : S0;
  const oSyn = (o & C_SYN) !== 0;
  const rSynAck = (r & C_SYNACK) !== 0;
  if (oSyn && !rSynAck) {
    if (r & C_RST) return REJ;
    if (o & C_RST) return RSTOS0;
    if (o & C_FIN) return SH;
    return respPackets === 0 ? S0 : OTH;
  }
  if (!oSyn) {
    if (rSynAck && r & C_RST) return RSTRH;
    if (rSynAck && r & C_FIN) return SHR;
    return OTH;
  }
  if (o & C_RST) return RSTO;
  if (r & C_RST) return RSTR;
  if (o & C_FIN && r & C_FIN) return SF;
  if (o & C_FIN) return S2;
  if (r & C_FIN) return S3;
  return S1;
}
