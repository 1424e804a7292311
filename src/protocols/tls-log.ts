// A TLS connection's handshake as Zeek's ssl.log has it: the ClientHello and ServerHello, gathered
// across records and segments (a post-quantum key share makes a ClientHello span two segments),
// their fingerprints, and the server's certificate when it is sent in the clear (TLS 1.2 and
// before). Once the server has said what it will (its hello in TLS 1.3, its certificate or its
// ServerHelloDone before), the flow needs no more bytes: `finished` says so. A hole in either
// direction ends the parsing of that direction, explicitly (record framing cannot be found again).

import { u16be } from '../capture/bytes.js';
import { type ByteBudget, type Clock, TcpFlowParser } from './tcp-stream.js';
import { ja3, ja3s, ja3sText, ja3Text, ja4 } from './tls-fingerprint.js';
import {
  type ClientHello,
  negotiatedVersion,
  parseClientHello,
  parseServerHello,
  type ServerHello,
  TLS13,
} from './tls-hello.js';
import { type CertificateSummary, readCertificate } from './x509.js';

const RECORD_CHANGE_CIPHER_SPEC = 20;
const RECORD_HANDSHAKE = 22;
const RECORD_APPLICATION_DATA = 23;
const RECORD_HEARTBEAT = 24; // alerts (21) and heartbeats are skipped
/** Largest record (TLSCiphertext, RFC 8446 §5.2): a longer one is not TLS. */
const MAX_RECORD = (1 << 14) + 2048;

const HS_CLIENT_HELLO = 1;
const HS_SERVER_HELLO = 2;
const HS_CERTIFICATE = 11;
const HS_SERVER_HELLO_DONE = 14;
/** Largest handshake message gathered (a hello, or a certificate chain); longer ones are skipped. */
export const TLS_HANDSHAKE_MAX = 128 * 1024;

export interface TlsTransaction {
  /** The ClientHello's time (the ServerHello's when no ClientHello was seen), in seconds. */
  ts: number;
  flowId: number;
  /** The end of the flow key (0: A, 1: B) that sent the ClientHello. */
  clientSide: number;
  /** The version field of the first record the client sent, or -1. */
  recordVersion: number;
  client: ClientHello | null;
  server: ServerHello | null;
  /** The version the server chose (supported_versions in TLS 1.3), or -1. */
  version: number;
  /** JA3 and its text (null without a complete ClientHello), JA3S likewise, JA4. */
  ja3: string | null;
  ja3Text: string | null;
  ja3s: string | null;
  ja3sText: string | null;
  ja4: string | null;
  /** The server's first certificate, when it was sent in the clear and could be read. */
  certificate: CertificateSummary | null;
}

export interface TlsLogStats {
  clientHellos: number;
  serverHellos: number;
  /** Certificate messages from servers, and those whose first certificate could not be read. */
  certificates: number;
  unreadableCertificates: number;
  /** Hellos whose inner lengths disagree, and hellos cut short (a snaplen or a hole). */
  malformedHellos: number;
  incompleteHellos: number;
  /** Directions that stopped: on bytes that are not TLS records, on a hole, or out of memory. */
  notTls: number;
  holes: number;
  outOfMemory: number;
}

export function emptyTlsStats(): TlsLogStats {
  return {
    clientHellos: 0,
    serverHellos: 0,
    certificates: 0,
    unreadableCertificates: 0,
    malformedHellos: 0,
    incompleteHellos: 0,
    notTls: 0,
    holes: 0,
    outOfMemory: 0,
  };
}

/** One direction's parsing state. */
class Side {
  /** Stopped: encrypted from here, or broken. */
  done = false;
  firstRecordVersion = -1;
  // The record header being read (5 bytes), then what is left of the record's body.
  readonly recordHeader = new Uint8Array(5);
  recordHeaderHave = 0;
  recordType = 0;
  recordLeft = 0;
  // The handshake message being read: its header (4 bytes), type, length, bytes in so far, and
  // where they are gathered (null when the message is skipped, or read where it lies).
  readonly messageHeader = new Uint8Array(4);
  messageHeaderHave = 0;
  messageType = 0;
  messageLength = 0;
  messageHave = 0;
  gathering = false;
  gathered: Uint8Array | null = null;
  messageTime = 0;
}

/** Parses one TLS connection's handshake (both directions) into `TlsTransaction` rows. */
export class TlsFlow extends TcpFlowParser {
  private readonly sides = [new Side(), new Side()];
  private clientSide = -1;
  private negotiated = -1;
  private row: TlsTransaction | null = null;
  private serverDone = false;

  constructor(
    private readonly flowId: number,
    clock: Clock,
    private readonly budget: ByteBudget,
    private readonly stats: TlsLogStats,
    private readonly onRow: (row: TlsTransaction) => void,
  ) {
    super(clock, budget);
  }

  /** The handshake has been read as far as it goes in the clear: later segments need not be fed. */
  get finished(): boolean {
    return this.serverDone || (this.sides[0].done && this.sides[1].done);
  }

  /** The flow ended: what was gathered is read as far as it goes, the row written, memory released. */
  end(): void {
    this.stream.end();
    this.emit();
    for (const s of this.sides) this.release(s);
  }

  bytes(side: number, buf: Uint8Array, off: number, len: number): void {
    const s = this.sides[side];
    const end = off + len;
    let p = off;
    while (p < end && !s.done) {
      if (s.recordHeaderHave < 5) {
        const h = s.recordHeader;
        while (s.recordHeaderHave < 5 && p < end) h[s.recordHeaderHave++] = buf[p++];
        if (s.recordHeaderHave < 5) return;
        s.recordType = h[0];
        s.recordLeft = u16be(h, 3);
        if (
          h[1] !== 3 ||
          s.recordLeft > MAX_RECORD ||
          s.recordType < RECORD_CHANGE_CIPHER_SPEC ||
          s.recordType > RECORD_HEARTBEAT
        ) {
          this.stop(s);
          this.stats.notTls++;
          return;
        }
        if (s.firstRecordVersion < 0) s.firstRecordVersion = u16be(h, 1);
        if (s.recordType === RECORD_APPLICATION_DATA) {
          this.encrypted(side, s);
          return;
        }
        if (s.recordType === RECORD_CHANGE_CIPHER_SPEC && this.negotiated !== TLS13) {
          // TLS 1.3 sends this record only for middleboxes (and keeps talking in the clear after a
          // HelloRetryRequest); before 1.3, what follows it is encrypted.
          this.encrypted(side, s);
          return;
        }
      }
      const n = Math.min(s.recordLeft, end - p);
      if (s.recordType === RECORD_HANDSHAKE) this.handshakeBytes(side, s, buf, p, n);
      p += n;
      s.recordLeft -= n;
      if (s.recordLeft === 0) s.recordHeaderHave = 0;
    }
  }

  absent(side: number, _len: number): void {
    const s = this.sides[side];
    if (s.done) return;
    this.stats.holes++;
    this.cutShort(side, s);
  }

  closed(side: number): void {
    const s = this.sides[side];
    if (!s.done) this.cutShort(side, s);
  }

  /** Handshake bytes buf[p, p + n) of one direction (messages may span records). */
  private handshakeBytes(side: number, s: Side, buf: Uint8Array, p: number, n: number): void {
    const end = p + n;
    while (p < end && !s.done) {
      if (s.messageHeaderHave < 4) {
        if (s.messageHeaderHave === 0) s.messageTime = this.stream.at[0];
        const h = s.messageHeader;
        while (s.messageHeaderHave < 4 && p < end) h[s.messageHeaderHave++] = buf[p++];
        if (s.messageHeaderHave < 4) return;
        s.messageType = h[0];
        s.messageLength = (h[1] << 16) | (h[2] << 8) | h[3];
        s.messageHave = 0;
        const wanted =
          s.messageType === HS_CLIENT_HELLO ||
          s.messageType === HS_SERVER_HELLO ||
          s.messageType === HS_CERTIFICATE;
        s.gathering = wanted && s.messageLength <= TLS_HANDSHAKE_MAX;
        if (wanted && !s.gathering) this.tooLong(s);
        if (s.messageLength === 0) {
          this.message(side, s, buf, p, 0, 0);
          s.messageHeaderHave = 0;
          continue;
        }
      }
      const k = Math.min(s.messageLength - s.messageHave, end - p);
      if (s.gathering) {
        if (s.gathered === null && s.messageHave === 0 && k === s.messageLength) {
          // The whole message lies in these bytes: read it where it is.
          s.messageHave = k;
          s.messageHeaderHave = 0;
          this.message(side, s, buf, p, k, k);
          p += k;
          continue;
        }
        if (s.gathered === null) {
          if (!this.budget.take(s.messageLength)) {
            this.stats.outOfMemory++;
            this.stop(s);
            return;
          }
          s.gathered = new Uint8Array(s.messageLength);
        }
        s.gathered.set(buf.subarray(p, p + k), s.messageHave);
      }
      s.messageHave += k;
      p += k;
      if (s.messageHave === s.messageLength) {
        s.messageHeaderHave = 0;
        const g = s.gathered;
        if (s.gathering && g !== null) this.message(side, s, g, 0, g.length, g.length);
        this.release(s);
      }
    }
  }

  /** A complete (or, with have < len, cut short) handshake message of interest. */
  private message(side: number, s: Side, buf: Uint8Array, off: number, len: number, have: number): void {
    const type = s.messageType;
    if (type === HS_CLIENT_HELLO) {
      if (this.clientSide >= 0 && side !== this.clientSide) return;
      this.clientSide = side;
      this.clientHello(s, parseClientHello(buf, off, len, have));
    } else if (type === HS_SERVER_HELLO) {
      if (this.clientSide === side) return;
      this.clientSide = 1 - side;
      this.serverHello(s, parseServerHello(buf, off, len, have));
    } else if (type === HS_CERTIFICATE && side !== this.clientSide && have === len) {
      this.certificate(buf, off, len);
      this.serverFinished(s);
    } else if (type === HS_SERVER_HELLO_DONE && side !== this.clientSide) {
      this.serverFinished(s);
    }
  }

  private clientHello(s: Side, hello: ClientHello): void {
    this.stats.clientHellos++;
    this.countHello(hello);
    this.emit();
    const whole = hello.complete;
    this.row = {
      ts: s.messageTime,
      flowId: this.flowId,
      clientSide: this.clientSide,
      recordVersion: s.firstRecordVersion,
      client: hello,
      server: null,
      version: -1,
      ja3: whole ? ja3(hello) : null,
      ja3Text: whole ? ja3Text(hello) : null,
      ja3s: null,
      ja3sText: null,
      ja4: whole ? ja4(hello) : null,
      certificate: null,
    };
  }

  private serverHello(s: Side, hello: ServerHello): void {
    this.stats.serverHellos++;
    this.countHello(hello);
    if (this.row === null || this.row.server !== null) {
      this.emit();
      this.row = {
        ts: s.messageTime,
        flowId: this.flowId,
        clientSide: this.clientSide,
        recordVersion: -1,
        client: null,
        server: null,
        version: -1,
        ja3: null,
        ja3Text: null,
        ja3s: null,
        ja3sText: null,
        ja4: null,
        certificate: null,
      };
    }
    const row = this.row;
    row.server = hello;
    if (hello.version >= 0) row.version = negotiatedVersion(hello);
    this.negotiated = row.version;
    if (hello.complete) {
      row.ja3s = ja3s(hello);
      row.ja3sText = ja3sText(hello);
    }
    // In TLS 1.3 everything after the ServerHello is encrypted (a HelloRetryRequest excepted).
    if (this.negotiated === TLS13 && !hello.retryRequest) this.serverFinished(s);
  }

  private countHello(hello: ClientHello | ServerHello): void {
    if (!hello.complete) this.stats.incompleteHellos++;
    else if (hello.malformed) this.stats.malformedHellos++;
  }

  /** A Certificate message: the list's length (3), then each certificate's length (3) and DER. */
  private certificate(buf: Uint8Array, off: number, len: number): void {
    this.stats.certificates++;
    let cert: CertificateSummary | null = null;
    if (len >= 6) {
      const first = (buf[off + 3] << 16) | (buf[off + 4] << 8) | buf[off + 5];
      if (6 + first <= len) cert = readCertificate(buf, off + 6, first);
    }
    if (cert === null) this.stats.unreadableCertificates++;
    if (this.row !== null) this.row.certificate = cert;
  }

  private tooLong(s: Side): void {
    if (s.messageType === HS_CERTIFICATE) {
      this.stats.certificates++;
      this.stats.unreadableCertificates++;
    } else {
      if (s.messageType === HS_CLIENT_HELLO) this.stats.clientHellos++;
      else this.stats.serverHellos++;
      this.stats.malformedHellos++;
      this.stop(s);
    }
  }

  /** The direction ended or lost bytes: a message gathered so far is read as far as it goes. */
  private cutShort(side: number, s: Side): void {
    const g = s.gathered;
    if (g !== null && s.messageHave > 0) this.message(side, s, g, 0, s.messageLength, s.messageHave);
    this.stop(s);
  }

  /** From here the direction is encrypted. */
  private encrypted(side: number, s: Side): void {
    this.stop(s);
    if (side !== this.clientSide) this.serverFinished(s);
  }

  private serverFinished(s: Side): void {
    this.serverDone = true;
    this.stop(s);
    this.emit();
  }

  private stop(s: Side): void {
    s.done = true;
    this.release(s);
  }

  private release(s: Side): void {
    if (s.gathered !== null) {
      this.budget.give(s.gathered.length);
      s.gathered = null;
    }
  }

  private emit(): void {
    const row = this.row;
    if (row === null) return;
    this.row = null;
    this.onRow(row);
  }
}
