// Which payload bytes the analysis' packet half should hand to the protocol parsers. The packet
// half has no flow table, so it decides from the packet alone, plus one small table of its own:
// - DNS (UDP or TCP on 53, 5353, 5355): every payload.
// - A TCP payload that starts a TLS handshake record, or an HTTP message (a request method and a
//   space, or "HTTP/1."): all of it.
// - A TCP payload that continues what such a packet started: the rest of a TLS handshake record
//   (a ClientHello with a post-quantum key share, a certificate chain), an HTTP head that did not
//   end in its first segment, a chunked body (its size lines are read). The packet that started it
//   notes a window of sequence numbers for its direction of the flow, so later segments inside the
//   window are attached, in any order, repeated or not.
// Everything else (a body of known length, encrypted records) goes without its bytes: the parsers
// count it from the record's sequence number and length. A continuation lost to a collision in the
// table costs that flow a resynchronisation (HTTP) or the rest of its handshake (TLS), counted
// there; never memory.

import { u16be } from '../capture/bytes.js';
import { isDnsPort } from './dns-log.js';
import { methodEnd } from './http-log.js';
import { startsWithIgnoreCase } from './text.js';

const TCP = 6;
const UDP = 17;

/** Most bytes attached from one packet (a GRO superframe or a jumbo frame carries up to 64 KiB). */
export const ATTACH_MAX = 64 * 1024;
/** How far a continuation reaches: a handshake flight, an HTTP head, the start of a chunked body. */
const TLS_WINDOW = 128 * 1024;
const HEAD_WINDOW = 64 * 1024;
const CHUNKED_WINDOW = 256 * 1024;

// A continuation's kind, in the low bits of a slot's tag; then whether an HTTP head said "chunked",
// then the side (the tag is 0 for an empty slot).
const K_TLS = 1;
const K_HEAD = 2;
const K_CHUNKED = 3;
const KIND_MASK = 3;
const CHUNKED_SEEN = 4;
const SIDE_SHIFT = 3;

// A slot: the flow key's hash, the tag, the window's end (sequence number), and for TLS where the
// next record header starts (for HTTP, where the window starts).
const WORDS = 4;

export interface AttachStats {
  /** Packets attached because they start a message (or are DNS), and because they continue one. */
  started: number;
  continued: number;
  /** Continuations written over by another flow's before they ended. */
  overwritten: number;
  /** Payload bytes attached. */
  bytes: number;
}

export class AttachPolicy {
  readonly stats: AttachStats = { started: 0, continued: 0, overwritten: 0, bytes: 0 };
  private readonly table: Int32Array;
  private readonly mask: number;

  /** `slots`: continuations open at once (a power of two; 4,096 take 64 KiB). */
  constructor(slots = 4096) {
    this.table = new Int32Array(slots * WORDS);
    this.mask = slots - 1;
  }

  /**
   * How many of the payload's captured bytes buf[off, off + captured) the parsers need (from its
   * start), or -1 for none. `hash` is the flow key's hash and `side` the sender's end (0: A,
   * 1: B), as the packet record has them; `seq` the TCP sequence number (ignored for UDP).
   */
  select(
    proto: number,
    srcPort: number,
    dstPort: number,
    hash: number,
    side: number,
    seq: number,
    buf: Uint8Array,
    off: number,
    captured: number,
  ): number {
    if (captured <= 0 || (proto !== TCP && proto !== UDP)) return -1;
    const n = Math.min(captured, ATTACH_MAX);
    if (isDnsPort(srcPort) || isDnsPort(dstPort)) return this.take(n, true);
    if (proto !== TCP) return -1;
    const end = off + n;
    const b = buf[off];
    if (b === 0x16 && n >= 3 && buf[off + 1] === 3 && buf[off + 2] <= 4) {
      this.tlsRecords(hash, side, seq, buf, off, end, (seq + TLS_WINDOW) | 0);
      return this.take(n, true);
    }
    if (
      b >= 0x41 &&
      b <= 0x5a &&
      (methodEnd(buf, off, end) > 0 || startsWithIgnoreCase(buf, off, end, 'http/1.'))
    ) {
      this.httpHead(hash, side, seq, buf, off, end, (seq + HEAD_WINDOW) | 0, 0);
      return this.take(n, true);
    }
    const o = this.slot(hash, side);
    const t = this.table;
    if (!this.owns(o, hash, side)) return -1;
    const tag = t[o + 1];
    const last = t[o + 2];
    const mark = t[o + 3];
    const kind = tag & KIND_MASK;
    // Inside the window? (Sequence numbers compare modulo 2^32; the window reaches back far enough
    // for repeated and reordered segments.)
    const from = kind === K_TLS ? (last - TLS_WINDOW) | 0 : mark;
    if (((seq - from) | 0) < 0 || ((seq - last) | 0) >= 0) return -1;
    if (kind === K_TLS) {
      // Walk on from the next record header when it lies in this payload; when it is where this
      // payload ends, the next record starts a payload of its own.
      const at = (mark - seq) | 0;
      if (at === n) this.close(o, hash, side);
      else if (at >= 0 && at < n) this.tlsRecords(hash, side, mark, buf, off + at, end, last);
    } else if (kind === K_HEAD) {
      this.httpHead(hash, side, seq, buf, off, end, last, tag & CHUNKED_SEEN);
    } else if (endsChunkedBody(buf, off, end)) {
      t[o + 1] = 0;
    }
    return this.take(n, false);
  }

  private take(n: number, start: boolean): number {
    if (start) this.stats.started++;
    else this.stats.continued++;
    this.stats.bytes += n;
    return n;
  }

  /**
   * TLS records from buf[p] (sequence number `at`) to the payload's end. A handshake record that
   * runs past the end, or a record header cut by it, keeps the window open, noting where the next
   * header starts (a header cut in two cannot be read: the window then stays open to its end).
   */
  private tlsRecords(
    hash: number,
    side: number,
    at: number,
    buf: Uint8Array,
    p: number,
    end: number,
    last: number,
  ): void {
    const o = this.slot(hash, side);
    let handshake = true;
    while (p + 5 <= end) {
      if (buf[p + 1] !== 3) {
        this.close(o, hash, side); // not a record: the flow is not (or no longer) TLS
        return;
      }
      handshake = buf[p] === 0x16;
      const len = 5 + u16be(buf, p + 3);
      p += len;
      at = (at + len) | 0;
    }
    // p === end: the records end with the payload, the next one starts a payload of its own.
    // p > end: the last record runs on; worth following only if it is a handshake record.
    // p < end: a header cut by the payload's end (its type unknown yet): follow it.
    if (p === end || (p > end && !handshake) || ((at - last) | 0) >= 0) this.close(o, hash, side);
    else this.note(o, hash, side, K_TLS, last, at);
  }

  /**
   * An HTTP head from buf[off] (sequence number `seq`): when it does not end in this payload, the
   * window reaches on for the head; when it ends and says its body is chunked, for the body.
   */
  private httpHead(
    hash: number,
    side: number,
    seq: number,
    buf: Uint8Array,
    off: number,
    end: number,
    last: number,
    chunkedSeen: number,
  ): void {
    const o = this.slot(hash, side);
    const next = (seq + (end - off)) | 0;
    const headEnd = blankLine(buf, off, end);
    const chunked = mentionsChunked(buf, off, headEnd < 0 ? end : headEnd) ? CHUNKED_SEEN : chunkedSeen;
    if (headEnd < 0) {
      if (((next - last) | 0) < 0) this.note(o, hash, side, K_HEAD | chunked, last, next);
      else this.close(o, hash, side);
    } else if (chunked !== 0 && !endsChunkedBody(buf, headEnd, end)) {
      this.note(o, hash, side, K_CHUNKED, (next + CHUNKED_WINDOW) | 0, next);
    } else this.close(o, hash, side);
  }

  private slot(hash: number, side: number): number {
    return ((hash ^ Math.imul(side + 1, 0x9e3779b1)) & this.mask) * WORDS;
  }

  private owns(o: number, hash: number, side: number): boolean {
    const tag = this.table[o + 1];
    return tag !== 0 && this.table[o] === hash && tag >>> SIDE_SHIFT === side;
  }

  private note(o: number, hash: number, side: number, kindBits: number, last: number, mark: number): void {
    const t = this.table;
    if (t[o + 1] !== 0 && !this.owns(o, hash, side)) this.stats.overwritten++;
    t[o] = hash;
    t[o + 1] = (side << SIDE_SHIFT) | kindBits;
    t[o + 2] = last;
    t[o + 3] = mark;
  }

  private close(o: number, hash: number, side: number): void {
    if (this.owns(o, hash, side)) this.table[o + 1] = 0;
  }
}

/** Where an HTTP head's blank line ends in buf[p, end) (CRLF CRLF or LF LF), or -1. */
function blankLine(buf: Uint8Array, p: number, end: number): number {
  for (let q = p + 1; q < end; q++) {
    if (buf[q] !== 0x0a) continue;
    if (buf[q - 1] === 0x0a) return q + 1;
    if (buf[q - 1] === 0x0d && q >= p + 3 && buf[q - 2] === 0x0a && buf[q - 3] === 0x0d) return q + 1;
  }
  return -1;
}

/** Whether a head buf[p, end) has "chunked" in it (in Transfer-Encoding, in practice). */
function mentionsChunked(buf: Uint8Array, p: number, end: number): boolean {
  for (let q = p; q + 7 <= end; q++) {
    if ((buf[q] | 0x20) === 0x63 && startsWithIgnoreCase(buf, q, end, 'chunked')) return true;
  }
  return false;
}

/** Whether a payload ends with the last chunk and the blank line after it ("0\r\n\r\n"). */
function endsChunkedBody(buf: Uint8Array, p: number, end: number): boolean {
  return (
    end - p >= 5 &&
    buf[end - 5] === 0x30 &&
    buf[end - 4] === 0x0d &&
    buf[end - 3] === 0x0a &&
    buf[end - 2] === 0x0d &&
    buf[end - 1] === 0x0a
  );
}
