// HTTP/1.x transactions as Zeek's http.log has them: every request of a flow and the response to
// it, keep-alive and pipelining included (responses answer requests in order). Heads are read line
// by line as the bytes come in order (`TcpReassembly`): a line split over segments is gathered, up
// to a cap, so a slow or hostile stream cannot grow memory. Bodies are framed (Content-Length,
// chunked, or until the server closes); a body of known length is skipped by counting, so its
// segments need not carry their bytes. Bytes that are missing where a head or a chunk size line
// should be make that direction resynchronise: it waits for a segment that starts a new message.

import { type ByteBudget, type Clock, TcpFlowParser } from './tcp-stream.js';
import { lowerByte, startsWithIgnoreCase, utf8Text } from './text.js';

/** Longest line of a head (Apache's request-line limit is 8190 bytes), lines and bytes of a head. */
export const HTTP_LINE_MAX = 16 * 1024;
export const HTTP_HEAD_LINES_MAX = 256;
export const HTTP_HEAD_MAX = 64 * 1024;
/** Requests waiting for their responses (pipelining) before the oldest is written unanswered. */
const PENDING_MAX = 32;
/** Characters kept of a URI, and of a header value. */
const URI_MAX = 8192;
const VALUE_MAX = 1024;

/** Transaction flags. */
export const HTTP_NO_REQUEST = 1; // a response whose request was not seen
export const HTTP_NO_RESPONSE = 2; // a request that got no response (in the capture)
export const HTTP_REQUEST_HEAD_CUT = 4; // the request's head did not end (its fields may be missing)
export const HTTP_REQUEST_BODY_CUT = 8; // the request's body did not end (its length is what was seen)
export const HTTP_RESPONSE_HEAD_CUT = 16;
export const HTTP_RESPONSE_BODY_CUT = 32;
export const HTTP_TEXT_CUT = 64; // a URI or header value was longer than what is kept
export const HTTP_GAVE_UP = 128; // a head broke a cap: the flow's parsing stopped here

export interface HttpTransaction {
  /** The request's first byte's time (the response's when no request was seen), in seconds. */
  ts: number;
  flowId: number;
  /** The end of the flow key (0: A, 1: B) that sent the requests. */
  clientSide: number;
  method: string | null;
  uri: string | null;
  /** The request's HTTP version ("1.1"), and the response's. */
  version: string | null;
  responseVersion: string | null;
  host: string | null;
  userAgent: string | null;
  referrer: string | null;
  requestContentType: string | null;
  /** Body bytes (after de-chunking), as far as they were seen. */
  requestBodyLength: number;
  status: number | null;
  reason: string | null;
  /** The last interim (1xx) status before the final one, or null. */
  infoStatus: number | null;
  responseContentType: string | null;
  responseBodyLength: number;
  /** From the request's first byte to the response's first byte, in seconds. */
  rtt: number | null;
  flags: number;
}

export interface HttpLogStats {
  /** Request and response heads read to their end (responses: interim 1xx ones included). */
  requests: number;
  responses: number;
  /** Times a direction lost its place (a hole) and waited for a segment that starts a message. */
  resyncs: number;
  /** Flows whose first line was neither a request nor a status line. */
  notHttp: number;
  /** Flows given up on a cap (a line, a head), and for want of memory (the budget of all flows). */
  gaveUp: number;
  outOfMemory: number;
}

export function emptyHttpStats(): HttpLogStats {
  return { requests: 0, responses: 0, resyncs: 0, notHttp: 0, gaveUp: 0, outOfMemory: 0 };
}

// Per-direction states.
const START = 0; // between messages
const HEAD = 1; // reading the start line and header lines
const BODY = 2; // counting a body of known length
const CHUNK_SIZE = 3; // a chunk-size line
const CHUNK_DATA = 4; // counting a chunk
const CHUNK_END = 5; // the CRLF after a chunk
const TRAILER = 6; // trailer lines after the last chunk
const UNTIL_CLOSE = 7; // a response body that ends when the server closes
const RESYNC = 8; // waiting for a segment that starts a message
const STOPPED = 9;

class Side {
  state = START;
  /** A line split over segments, gathered (null while none is). */
  line: Uint8Array | null = null;
  lineLength = 0;
  firstLine = false;
  headBytes = 0;
  headLines = 0;
  startTime = 0;
  // The message being read: its transaction, and its framing from the head.
  tx: HttpTransaction | null = null;
  contentLength = -1;
  chunked = false;
  bodyLeft = 0;
  bodyLength = 0;
  interim = false;
  /** A hole was declared: the next response may not answer the oldest request. */
  lostPlace = false;
}

/** Parses one TCP connection's HTTP/1.x (both directions) into `HttpTransaction` rows. */
export class HttpFlow extends TcpFlowParser {
  private readonly sides = [new Side(), new Side()];
  private clientSide = -1;
  /** Start lines read on this flow (the first decides whether it is HTTP at all). */
  private startLines = 0;
  /** Requests waiting for their responses, oldest first. */
  private readonly pending: HttpTransaction[] = [];

  constructor(
    private readonly flowId: number,
    clock: Clock,
    private readonly budget: ByteBudget,
    private readonly stats: HttpLogStats,
    private readonly onRow: (row: HttpTransaction) => void,
  ) {
    super(clock, budget);
  }

  /** Both directions have stopped (closed, or given up on): later segments need not be fed. */
  get finished(): boolean {
    return this.sides[0].state === STOPPED && this.sides[1].state === STOPPED;
  }

  /** The flow ended: a body read until close is complete, everything outstanding is written. */
  end(): void {
    this.stream.end();
    for (const tx of this.pending) {
      tx.flags |= HTTP_NO_RESPONSE;
      this.onRow(tx);
    }
    this.pending.length = 0;
    for (const s of this.sides) this.dropLine(s);
  }

  bytes(side: number, buf: Uint8Array, off: number, len: number): void {
    const s = this.sides[side];
    const end = off + len;
    let p = off;
    if (s.state === RESYNC) {
      if (!this.startsMessage(side, buf, off, end)) return;
      s.state = START;
    }
    while (p < end) {
      switch (s.state) {
        case START: {
          // Blank lines between messages are allowed (RFC 9112 §2.2).
          const b = buf[p];
          if (b === 0x0d || b === 0x0a) {
            p++;
            break;
          }
          s.startTime = this.stream.at[0];
          const simple = this.simpleAnswer(side);
          if (simple !== null) {
            this.simpleResponse(s, simple);
            break;
          }
          s.state = HEAD;
          s.firstLine = true;
          s.headBytes = 0;
          s.headLines = 0;
          break;
        }
        case HEAD:
        case CHUNK_SIZE:
        case CHUNK_END:
        case TRAILER:
          p = this.lineBytes(side, s, buf, p, end);
          break;
        case BODY:
        case CHUNK_DATA: {
          const k = Math.min(s.bodyLeft, end - p);
          this.count(side, s, k);
          p += k;
          break;
        }
        case UNTIL_CLOSE:
          s.bodyLength += end - p;
          p = end;
          break;
        default:
          return; // RESYNC (set on this segment) or STOPPED
      }
    }
  }

  absent(side: number, len: number): void {
    const s = this.sides[side];
    while (len > 0) {
      if (s.state === BODY || s.state === CHUNK_DATA) {
        const k = Math.min(s.bodyLeft, len);
        this.count(side, s, k);
        len -= k;
      } else if (s.state === UNTIL_CLOSE) {
        s.bodyLength += len;
        return;
      } else if (s.state === START && this.simpleAnswer(side) !== null) {
        // An HTTP/0.9 response is its body alone: it is counted, its bytes are not needed.
        s.startTime = this.stream.at[0];
        this.simpleResponse(s, this.simpleAnswer(side) as HttpTransaction);
      } else {
        if (s.state !== RESYNC && s.state !== STOPPED) this.lose(side, s);
        return;
      }
    }
  }

  /** The HTTP/0.9 request a server's next bytes answer, if the oldest waiting request is one. */
  private simpleAnswer(side: number): HttpTransaction | null {
    const tx = this.pending[0];
    return side !== this.clientSide && tx !== undefined && tx.version === '0.9' ? tx : null;
  }

  closed(side: number): void {
    const s = this.sides[side];
    if (s.state !== START && s.state !== RESYNC && s.state !== STOPPED) {
      if (s.state === UNTIL_CLOSE) this.messageEnd(side, s);
      else this.cutShort(side, s);
    }
    s.state = STOPPED;
    this.dropLine(s);
  }

  /** Reads line bytes from buf[p, end); returns where it stopped. */
  private lineBytes(side: number, s: Side, buf: Uint8Array, p: number, end: number): number {
    const room = HTTP_LINE_MAX - s.lineLength;
    const stop = Math.min(end, p + room + 1);
    let q = p;
    while (q < stop && buf[q] !== 0x0a) q++;
    if (q === stop) {
      if (stop < end || stop - p > room) {
        this.giveUp(side, s);
        return end;
      }
      s.headBytes += end - p;
      this.keepLine(side, s, buf, p, end);
      return end;
    }
    s.headBytes += q + 1 - p;
    if (s.lineLength === 0) this.line(side, s, buf, p, q);
    else if (this.keepLine(side, s, buf, p, q)) {
      // The gathered line is read, then its buffer let go: lines split over segments are few.
      const line = s.line as Uint8Array;
      const n = s.lineLength;
      this.dropLine(s);
      this.line(side, s, line, 0, n);
    }
    return q + 1;
  }

  /** Gathers part of a line (at most HTTP_LINE_MAX bytes in all); false when there is no memory for it. */
  private keepLine(side: number, s: Side, buf: Uint8Array, p: number, end: number): boolean {
    const need = s.lineLength + end - p;
    const have = s.line === null ? 0 : s.line.length;
    if (need > have) {
      // Doubling from 512 bytes, so a line that comes a byte a segment is not copied over and over.
      let size = Math.max(512, have);
      while (size < need) size *= 2;
      size = Math.min(size, HTTP_LINE_MAX);
      if (!this.budget.take(size - have)) {
        this.stats.outOfMemory++;
        this.giveUp(side, s);
        return false;
      }
      const grown = new Uint8Array(size);
      if (s.line !== null) grown.set(s.line.subarray(0, s.lineLength));
      s.line = grown;
    }
    (s.line as Uint8Array).set(buf.subarray(p, end), s.lineLength);
    s.lineLength = need;
    return true;
  }

  /** One complete line src[start, end) (its LF left out; a CR before it is dropped here). */
  private line(side: number, s: Side, src: Uint8Array, start: number, end: number): void {
    if (end > start && src[end - 1] === 0x0d) end--;
    switch (s.state) {
      case HEAD:
        if (s.headBytes > HTTP_HEAD_MAX || ++s.headLines > HTTP_HEAD_LINES_MAX) {
          this.giveUp(side, s);
          return;
        }
        if (s.firstLine) {
          s.firstLine = false;
          this.startLine(side, s, src, start, end);
        } else if (end === start) this.headEnd(side, s);
        else this.header(s, src, start, end);
        return;
      case CHUNK_SIZE: {
        const size = chunkSize(src, start, end);
        if (size < 0) this.lose(side, s);
        else if (size === 0) s.state = TRAILER;
        else {
          s.bodyLeft = size;
          s.state = CHUNK_DATA;
        }
        return;
      }
      case CHUNK_END:
        if (end === start) s.state = CHUNK_SIZE;
        else this.lose(side, s);
        return;
      case TRAILER:
        if (end === start) this.messageEnd(side, s);
        else if (++s.headLines > HTTP_HEAD_LINES_MAX) this.giveUp(side, s);
        return;
    }
  }

  /** A request line or a status line; the first message of the flow decides who is the client. */
  private startLine(side: number, s: Side, src: Uint8Array, start: number, end: number): void {
    let request = side === this.clientSide;
    if (this.clientSide < 0) {
      if (methodEnd(src, start, end) > 0) request = true;
      else if (!startsWithIgnoreCase(src, start, end, 'http/')) {
        this.notHttp();
        return;
      }
      this.clientSide = request ? side : 1 - side;
    }
    const tx = request ? this.requestLine(s, src, start, end) : this.statusLine(s, src, start, end);
    if (tx === null) {
      if (this.startLines === 0) this.notHttp();
      else this.lose(side, s);
      return;
    }
    this.startLines++;
    s.tx = tx;
    s.contentLength = -1;
    s.chunked = false;
    s.bodyLength = 0;
  }

  private requestLine(s: Side, src: Uint8Array, start: number, end: number): HttpTransaction | null {
    const m = methodEnd(src, start, end);
    if (m < 0) return null;
    // METHOD SP request-target SP HTTP/x.y, or HTTP/0.9's "GET SP path" (its only method).
    let v = end;
    while (v > m + 1 && src[v - 1] !== 0x20) v--;
    const simple = v === m + 1 && m - start === 3 && startsWithIgnoreCase(src, start, m, 'get');
    if (!simple && (v <= m + 1 || end - v !== 8 || !startsWithIgnoreCase(src, v, end, 'http/'))) return null;
    const tx = newTransaction(s.startTime, this.flowId, this.clientSide);
    tx.method = utf8Text(src, start, m, 32);
    let u = m + 1;
    let ue = simple ? end : v - 1;
    while (u < ue && src[u] === 0x20) u++;
    while (ue > u && src[ue - 1] === 0x20) ue--;
    tx.uri = utf8Text(src, u, ue, URI_MAX);
    if (ue - u > URI_MAX) tx.flags |= HTTP_TEXT_CUT;
    tx.version = simple ? '0.9' : utf8Text(src, v + 5, end, 3);
    if (this.pending.length >= PENDING_MAX) {
      const oldest = this.pending.shift() as HttpTransaction;
      oldest.flags |= HTTP_NO_RESPONSE;
      this.onRow(oldest);
    }
    this.pending.push(tx);
    return tx;
  }

  private statusLine(s: Side, src: Uint8Array, start: number, end: number): HttpTransaction | null {
    // HTTP/x.y SP 3DIGIT [SP reason]
    if (end - start < 12 || !startsWithIgnoreCase(src, start, end, 'http/') || src[start + 8] !== 0x20)
      return null;
    const d = start + 9;
    if (!isDigit(src[d]) || !isDigit(src[d + 1]) || !isDigit(src[d + 2])) return null;
    if (d + 3 < end && src[d + 3] !== 0x20) return null;
    const status = (src[d] - 48) * 100 + (src[d + 1] - 48) * 10 + (src[d + 2] - 48);
    const tx = this.answered(s);
    if (tx.status === null && tx.infoStatus === null && (tx.flags & HTTP_NO_REQUEST) === 0)
      tx.rtt = s.startTime - tx.ts;
    s.interim = status >= 100 && status < 200 && status !== 101;
    if (s.interim) tx.infoStatus = status;
    else {
      tx.status = status;
      tx.reason = d + 4 < end ? utf8Text(src, d + 4, end, VALUE_MAX) : '';
      tx.responseVersion = utf8Text(src, start + 5, start + 8, 3);
    }
    return tx;
  }

  /** An HTTP/0.9 response: no status line or headers, the body until the server closes. */
  private simpleResponse(s: Side, tx: HttpTransaction): void {
    tx.rtt = s.startTime - tx.ts;
    s.tx = tx;
    s.interim = false;
    s.bodyLength = 0;
    s.state = UNTIL_CLOSE;
  }

  /** The request a response answers: the oldest waiting (the newest, after the server side lost bytes). */
  private answered(s: Side): HttpTransaction {
    if (s.lostPlace && this.pending.length > 1) {
      // After a hole, the responses before it are lost: without pipelining, this one answers the
      // last request sent; the older ones are written as unanswered.
      while (this.pending.length > 1) {
        const old = this.pending.shift() as HttpTransaction;
        old.flags |= HTTP_NO_RESPONSE;
        this.onRow(old);
      }
    }
    s.lostPlace = false;
    const tx = this.pending[0];
    if (tx !== undefined) return tx;
    const orphan = newTransaction(s.startTime, this.flowId, this.clientSide);
    orphan.flags |= HTTP_NO_REQUEST;
    this.pending.push(orphan);
    return orphan;
  }

  /** A header line: only the fields the log keeps are decoded. */
  private header(s: Side, src: Uint8Array, start: number, end: number): void {
    const tx = s.tx;
    // A continuation line (obsolete folding) belongs to a header the log does not keep whole.
    if (tx === null || src[start] === 0x20 || src[start] === 0x09) return;
    let colon = start;
    while (colon < end && src[colon] !== 0x3a) colon++;
    if (colon === end) return;
    let nameEnd = colon;
    while (nameEnd > start && (src[nameEnd - 1] === 0x20 || src[nameEnd - 1] === 0x09)) nameEnd--;
    let v = colon + 1;
    let ve = end;
    while (v < ve && (src[v] === 0x20 || src[v] === 0x09)) v++;
    while (ve > v && (src[ve - 1] === 0x20 || src[ve - 1] === 0x09)) ve--;
    const request = s === this.sides[this.clientSide];
    const name = headerName(src, start, nameEnd);
    if (name === H_OTHER) return;
    if (name === H_CONTENT_LENGTH) {
      if (s.contentLength < 0) s.contentLength = decimal(src, v, ve);
      return;
    }
    if (name === H_TRANSFER_ENCODING) {
      s.chunked = ve - v >= 7 && startsWithIgnoreCase(src, ve - 7, ve, 'chunked');
      return;
    }
    if (ve - v > VALUE_MAX) tx.flags |= HTTP_TEXT_CUT;
    const value = utf8Text(src, v, ve, VALUE_MAX);
    if (name === H_CONTENT_TYPE) {
      if (request) tx.requestContentType ??= value;
      else tx.responseContentType ??= value;
    } else if (request) {
      if (name === H_HOST) tx.host ??= value;
      else if (name === H_USER_AGENT) tx.userAgent ??= value;
      else if (name === H_REFERER) tx.referrer ??= value;
    }
  }

  /** The blank line after the headers: the body's framing follows from the head. */
  private headEnd(side: number, s: Side): void {
    const tx = s.tx as HttpTransaction;
    s.bodyLength = 0;
    // Messages are counted when their head is whole, as tshark counts http.request and http.response.
    if (side === this.clientSide) {
      this.stats.requests++;
      this.startBody(side, s, s.chunked, s.contentLength, false);
      return;
    }
    this.stats.responses++;
    const status = tx.status ?? 0;
    if (s.interim) {
      this.messageEnd(side, s);
      return;
    }
    if (status === 101 || (tx.method === 'CONNECT' && status >= 200 && status < 300)) {
      // Another protocol, or a tunnel, from here: nothing more to read as HTTP.
      this.messageEnd(side, s);
      this.stopBoth();
      return;
    }
    if (tx.method === 'HEAD' || status === 204 || status === 304) this.startBody(side, s, false, 0, false);
    else this.startBody(side, s, s.chunked, s.contentLength, true);
  }

  private startBody(side: number, s: Side, chunked: boolean, length: number, untilClose: boolean): void {
    if (chunked) s.state = CHUNK_SIZE;
    else if (length > 0) {
      s.bodyLeft = length;
      s.state = BODY;
    } else if (length < 0 && untilClose) s.state = UNTIL_CLOSE;
    else this.messageEnd(side, s);
  }

  /** `k` body bytes counted; a body (or a chunk) that is complete moves on. */
  private count(side: number, s: Side, k: number): void {
    s.bodyLeft -= k;
    s.bodyLength += k;
    if (s.bodyLeft > 0) return;
    if (s.state === CHUNK_DATA) s.state = CHUNK_END;
    else this.messageEnd(side, s);
  }

  private messageEnd(side: number, s: Side): void {
    const tx = s.tx;
    s.state = START;
    s.tx = null;
    if (tx === null) return;
    if (side === this.clientSide) {
      tx.requestBodyLength = s.bodyLength;
      return;
    }
    if (s.interim) return;
    tx.responseBodyLength = s.bodyLength;
    this.finish(tx);
  }

  /** Writes a transaction that has its response, and takes it off the waiting list. */
  private finish(tx: HttpTransaction): void {
    const i = this.pending.indexOf(tx);
    if (i >= 0) this.pending.splice(i, 1);
    const client = this.sides[this.clientSide];
    if (client !== undefined && client.tx === tx) tx.requestBodyLength = client.bodyLength;
    this.onRow(tx);
  }

  /** The message in progress cannot be read to its end (a hole, or the side closed). */
  private cutShort(side: number, s: Side): void {
    const tx = s.tx;
    if (tx === null) return;
    s.tx = null;
    const head = s.state === HEAD;
    if (side === this.clientSide) {
      tx.flags |= head ? HTTP_REQUEST_HEAD_CUT : HTTP_REQUEST_BODY_CUT;
      tx.requestBodyLength = s.bodyLength;
    } else if (!s.interim || head) {
      tx.flags |= head ? HTTP_RESPONSE_HEAD_CUT : HTTP_RESPONSE_BODY_CUT;
      tx.responseBodyLength = s.bodyLength;
      this.finish(tx);
    }
  }

  /** Bytes where a head or a chunk line should be are missing: wait for a new message. */
  private lose(side: number, s: Side): void {
    this.cutShort(side, s);
    this.dropLine(s);
    this.stats.resyncs++;
    s.state = RESYNC;
    s.lostPlace = true;
  }

  /** Whether a segment starting at buf[p] starts a message of `side` (what a resync waits for). */
  private startsMessage(side: number, buf: Uint8Array, p: number, end: number): boolean {
    const request = methodEnd(buf, p, end) > 0;
    const response = startsWithIgnoreCase(buf, p, end, 'http/1.');
    if (this.clientSide < 0) return request || response;
    return side === this.clientSide ? request : response;
  }

  private giveUp(side: number, s: Side): void {
    const tx = s.tx;
    if (tx !== null) tx.flags |= HTTP_GAVE_UP;
    this.cutShort(side, s);
    this.stats.gaveUp++;
    this.stopBoth();
  }

  private notHttp(): void {
    this.stats.notHttp++;
    this.stopBoth();
  }

  private stopBoth(): void {
    for (const s of this.sides) {
      s.state = STOPPED;
      this.dropLine(s);
    }
  }

  private dropLine(s: Side): void {
    if (s.line !== null) {
      this.budget.give(s.line.length);
      s.line = null;
    }
    s.lineLength = 0;
  }
}

function newTransaction(ts: number, flowId: number, clientSide: number): HttpTransaction {
  return {
    ts,
    flowId,
    clientSide,
    method: null,
    uri: null,
    version: null,
    responseVersion: null,
    host: null,
    userAgent: null,
    referrer: null,
    requestContentType: null,
    requestBodyLength: 0,
    status: null,
    reason: null,
    infoStatus: null,
    responseContentType: null,
    responseBodyLength: 0,
    rtt: null,
    flags: 0,
  };
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

/**
 * Where a request method ends (at its space), or -1: a token of 1-32 upper-case letters, digits,
 * '-' or '_' followed by a space (RFC 9110 methods are tokens; every registered one is upper case).
 */
export function methodEnd(buf: Uint8Array, p: number, end: number): number {
  const stop = Math.min(end, p + 33);
  for (let q = p; q < stop; q++) {
    const b = buf[q];
    if (b === 0x20) return q > p ? q : -1;
    if (!((b >= 0x41 && b <= 0x5a) || isDigit(b) || b === 0x2d || b === 0x5f)) return -1;
  }
  return -1;
}

/** A decimal Content-Length (digits only, below 2^53), or -1. */
function decimal(buf: Uint8Array, p: number, end: number): number {
  if (p === end || end - p > 15) return -1;
  let n = 0;
  for (; p < end; p++) {
    if (!isDigit(buf[p])) return -1;
    n = n * 10 + (buf[p] - 48);
  }
  return n;
}

/** A chunk-size line: hex digits, then optional extensions after ';'. -1 when it is not one. */
function chunkSize(buf: Uint8Array, p: number, end: number): number {
  let n = 0;
  let digits = 0;
  for (; p < end; p++) {
    const b = lowerByte(buf[p]);
    let d: number;
    if (b >= 0x30 && b <= 0x39) d = b - 48;
    else if (b >= 0x61 && b <= 0x66) d = b - 87;
    else break;
    if (++digits > 13) return -1; // beyond 2^52: not a real chunk
    n = n * 16 + d;
  }
  if (digits === 0) return -1;
  while (p < end && (buf[p] === 0x20 || buf[p] === 0x09)) p++;
  return p === end || buf[p] === 0x3b ? n : -1;
}

const H_OTHER = 0;
const H_HOST = 1;
const H_USER_AGENT = 2;
const H_REFERER = 3;
const H_CONTENT_TYPE = 4;
const H_CONTENT_LENGTH = 5;
const H_TRANSFER_ENCODING = 6;

/** Which of the headers the log reads the name buf[p, end) is (case does not matter). */
function headerName(buf: Uint8Array, p: number, end: number): number {
  switch (end - p) {
    case 4:
      return startsWithIgnoreCase(buf, p, end, 'host') ? H_HOST : H_OTHER;
    case 7:
      return startsWithIgnoreCase(buf, p, end, 'referer') ? H_REFERER : H_OTHER;
    case 10:
      return startsWithIgnoreCase(buf, p, end, 'user-agent') ? H_USER_AGENT : H_OTHER;
    case 12:
      return startsWithIgnoreCase(buf, p, end, 'content-type') ? H_CONTENT_TYPE : H_OTHER;
    case 14:
      return startsWithIgnoreCase(buf, p, end, 'content-length') ? H_CONTENT_LENGTH : H_OTHER;
    case 17:
      return startsWithIgnoreCase(buf, p, end, 'transfer-encoding') ? H_TRANSFER_ENCODING : H_OTHER;
    default:
      return H_OTHER;
  }
}
