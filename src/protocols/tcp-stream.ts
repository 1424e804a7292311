// In-order delivery of one TCP connection's two byte streams to an application parser, by sequence
// number: retransmitted bytes are delivered once, segments that come early are held (a few, with
// their bytes up to a cap) until the hole before them fills, and a hole that does not fill is
// declared: its bytes are delivered as absent. A segment may come without its bytes (the analysis
// did not attach them, or a snaplen cut them); those bytes are absent too, and a parser that only
// counts them (a body of known length) does not need them.

/**
 * The time of the packet being handed to the parsers, in seconds (written by the caller before each
 * call): times go through this array, not as arguments, because V8 boxes a double passed to a call
 * it does not inline, an allocation per packet.
 */
export type Clock = Float64Array;

/**
 * Bytes the parsers may hold at once over all flows (held segments, partial header lines, handshake
 * messages). A parser that cannot get what it needs gives up on its flow (explicitly), so memory
 * stays bounded however many flows a capture opens.
 */
export class ByteBudget {
  used = 0;
  constructor(readonly limit: number) {}

  take(n: number): boolean {
    if (this.used + n > this.limit) return false;
    this.used += n;
    return true;
  }

  give(n: number): void {
    this.used -= n;
  }
}

/** What the reassembly hands a parser: the in-order bytes of side 0 (end A) or 1 (end B). */
export interface StreamSink {
  /** The next `len` bytes of `side`, at buf[off, off + len). */
  bytes(side: number, buf: Uint8Array, off: number, len: number): void;
  /** The next `len` bytes of `side` are not available (not attached, cut by a snaplen, or lost). */
  absent(side: number, len: number): void;
  /** `side` sent its FIN (or the connection was reset): no more bytes come from it. */
  closed(side: number): void;
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;

/** Segments each side may hold while a hole before them is open. */
const MAX_HELD = 8;
/** Bytes each side may hold with them; beyond that a held segment keeps only its length. */
const MAX_HELD_BYTES = 64 * 1024;

/** Per side. */
class Side {
  synced = false;
  /** The next sequence number to deliver (32-bit, compared modulo 2^32). */
  next = 0;
  /** Where the FIN comes, once seen (-1 before). */
  finAt = -1;
  finSeen = false;
  closed = false;
  // Held segments (allocated on the first one): sequence number, length, time, bytes.
  heldCount = 0;
  heldBytes = 0;
  heldSeq: Int32Array | null = null;
  heldLen: Int32Array | null = null;
  heldTime: Float64Array | null = null;
  heldData: (Uint8Array | null)[] = [];
}

/** Segments of one TCP connection, both ways, into a `StreamSink` in sequence order. */
export class TcpReassembly {
  /**
   * The time of the bytes being delivered (a held segment keeps the time it came at): the sink
   * reads it during its calls.
   */
  readonly at = new Float64Array(1);
  /** Holes declared (bytes lost before a later segment), and segments seen again. */
  holes = 0;
  retransmitted = 0;
  private readonly sides = [new Side(), new Side()];

  constructor(
    private readonly clock: Clock,
    private readonly sink: StreamSink,
    private readonly budget: ByteBudget,
  ) {}

  /**
   * One segment from `side`: its sequence number, TCP flags, payload length on the wire, and the
   * payload's captured bytes buf[off, off + captured) (captured may be below length, or 0).
   */
  segment(
    side: number,
    seq: number,
    flags: number,
    length: number,
    buf: Uint8Array | null,
    off: number,
    captured: number,
  ): void {
    const s = this.sides[side];
    if (s.closed) return;
    if (buf === null) captured = 0;
    let start = seq | 0;
    if ((flags & TCP_SYN) !== 0) start = (start + 1) | 0; // the SYN takes one number
    if (!s.synced) {
      if ((flags & TCP_SYN) === 0 && length === 0) {
        if ((flags & TCP_RST) !== 0) this.close(side);
        return;
      }
      s.synced = true;
      s.next = start;
    }
    if (length > 0) this.place(side, s, start, length, buf, off, captured);
    if ((flags & TCP_FIN) !== 0 && !s.finSeen) {
      s.finSeen = true;
      s.finAt = (start + length) | 0;
    }
    if ((flags & TCP_RST) !== 0) {
      this.flush(side);
      this.close(side);
    } else if (s.finSeen && s.heldCount === 0 && s.next === s.finAt) this.close(side);
  }

  /** Delivers everything held (holes as absent bytes) and closes both sides: the flow ended. */
  end(): void {
    for (let side = 0; side < 2; side++) {
      this.flush(side);
      this.close(side);
    }
  }

  /** Bytes held for early segments (counted against the budget). */
  get heldBytes(): number {
    return this.sides[0].heldBytes + this.sides[1].heldBytes;
  }

  private place(
    side: number,
    s: Side,
    start: number,
    length: number,
    buf: Uint8Array | null,
    off: number,
    captured: number,
  ): void {
    const d = (start - s.next) | 0;
    if (d > 0) {
      this.hold(side, s, start, length, buf, off, captured);
      return;
    }
    if (d + length <= 0) {
      this.retransmitted++;
      return;
    }
    if (d < 0) this.retransmitted++;
    this.at[0] = this.clock[0];
    this.deliver(side, s, buf, off, captured, length, -d);
    this.drain(side, s);
  }

  /** Delivers a segment's bytes from `skip` on (the part before was delivered already). */
  private deliver(
    side: number,
    s: Side,
    buf: Uint8Array | null,
    off: number,
    captured: number,
    length: number,
    skip: number,
  ): void {
    const have = buf === null ? 0 : Math.max(0, captured - skip);
    const missing = length - skip - have;
    s.next = (s.next + length - skip) | 0;
    if (have > 0) this.sink.bytes(side, buf as Uint8Array, off + skip, have);
    if (missing > 0) this.sink.absent(side, missing);
  }

  private hold(
    side: number,
    s: Side,
    start: number,
    length: number,
    buf: Uint8Array | null,
    off: number,
    captured: number,
  ): void {
    if (s.heldSeq === null) {
      s.heldSeq = new Int32Array(MAX_HELD);
      s.heldLen = new Int32Array(MAX_HELD);
      s.heldTime = new Float64Array(MAX_HELD);
    }
    const seqs = s.heldSeq;
    for (let i = 0; i < s.heldCount; i++) {
      if (seqs[i] === start) {
        this.retransmitted++;
        return; // the same early segment again
      }
    }
    if (s.heldCount === MAX_HELD) {
      // The hole is not filling: declare it, deliver what is held, and hold this one if still early.
      this.declareHole(side, s);
      this.drain(side, s);
      const d = (start - s.next) | 0;
      if (d <= 0) {
        this.place(side, s, start, length, buf, off, captured);
        return;
      }
    }
    const i = s.heldCount++;
    seqs[i] = start;
    (s.heldLen as Int32Array)[i] = length;
    (s.heldTime as Float64Array)[i] = this.clock[0];
    let data: Uint8Array | null = null;
    const n = buf === null ? 0 : Math.min(captured, length);
    if (n > 0 && s.heldBytes + n <= MAX_HELD_BYTES && this.budget.take(n)) {
      data = (buf as Uint8Array).slice(off, off + n);
      s.heldBytes += n;
    }
    s.heldData[i] = data;
  }

  /** The hole before the earliest held segment is lost: its bytes are delivered as absent. */
  private declareHole(side: number, s: Side): void {
    if (s.heldCount === 0) return;
    const seqs = s.heldSeq as Int32Array;
    let gap = -1;
    for (let i = 0; i < s.heldCount; i++) {
      const d = (seqs[i] - s.next) | 0;
      if (gap < 0 || d < gap) gap = d;
    }
    if (gap <= 0) return;
    this.holes++;
    s.next = (s.next + gap) | 0;
    this.at[0] = this.clock[0]; // the lost bytes' time is unknown: they are declared now
    this.sink.absent(side, gap);
  }

  /** Delivers held segments that have become next in order. */
  private drain(side: number, s: Side): void {
    let found = true;
    while (found && s.heldCount > 0) {
      found = false;
      const seqs = s.heldSeq as Int32Array;
      const lens = s.heldLen as Int32Array;
      for (let i = 0; i < s.heldCount; i++) {
        const d = (seqs[i] - s.next) | 0;
        if (d > 0) continue;
        const length = lens[i];
        const data = s.heldData[i];
        const time = (s.heldTime as Float64Array)[i];
        this.unhold(s, i);
        if (d + length > 0) {
          this.at[0] = time;
          this.deliver(side, s, data, 0, data === null ? 0 : data.length, length, -d);
        }
        found = true;
        break;
      }
    }
    if (s.finSeen && s.heldCount === 0 && s.next === s.finAt) this.close(side);
  }

  private unhold(s: Side, i: number): void {
    const data = s.heldData[i];
    if (data !== null) {
      s.heldBytes -= data.length;
      this.budget.give(data.length);
    }
    const last = --s.heldCount;
    const seqs = s.heldSeq as Int32Array;
    const lens = s.heldLen as Int32Array;
    const times = s.heldTime as Float64Array;
    seqs[i] = seqs[last];
    lens[i] = lens[last];
    times[i] = times[last];
    s.heldData[i] = s.heldData[last];
    s.heldData[last] = null;
  }

  /** Delivers everything held, declaring the holes between. */
  private flush(side: number): void {
    const s = this.sides[side];
    while (s.heldCount > 0) {
      this.declareHole(side, s);
      this.drain(side, s);
    }
  }

  private close(side: number): void {
    const s = this.sides[side];
    if (s.closed) return;
    s.closed = true;
    this.sink.closed(side);
  }
}

/**
 * A parser of one TCP connection's application bytes: it owns the connection's reassembly and is
 * its sink. The analysis calls `segment` for each TCP packet of the flow and `end` when the flow
 * ends.
 */
export abstract class TcpFlowParser implements StreamSink {
  readonly stream: TcpReassembly;

  constructor(clock: Clock, budget: ByteBudget) {
    this.stream = new TcpReassembly(clock, this, budget);
  }

  /** Nothing more is read from this connection: later segments need not be fed (they are ignored). */
  abstract get finished(): boolean;

  /** One TCP segment of the flow (see `TcpReassembly.segment`). */
  segment(
    side: number,
    seq: number,
    flags: number,
    length: number,
    buf: Uint8Array | null,
    off: number,
    captured: number,
  ): void {
    if (!this.finished) this.stream.segment(side, seq, flags, length, buf, off, captured);
  }

  /** The flow ended: what is held is read as far as it goes, rows written, memory given back. */
  abstract end(): void;
  abstract bytes(side: number, buf: Uint8Array, off: number, len: number): void;
  abstract absent(side: number, len: number): void;
  abstract closed(side: number): void;
}
