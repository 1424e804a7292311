import {
  ACK,
  FILL,
  FILL_TLS,
  FIN,
  type PacketList,
  PROTO_ARP,
  PROTO_ICMP,
  PROTO_TCP,
  PROTO_UDP,
  PSH,
  RST,
  SYN,
} from './packets.js';
import type { Rng } from './random.js';

/**
 * Conversations as a capture point on the LAN's uplink sees them: a local host's packet is seen
 * when it is sent; a remote host's answer is seen one round trip after what it answers. TCP has
 * real handshakes, sequence and acknowledgement numbers, delayed ACKs, paced data segments, the
 * occasional retransmission, and a FIN (or RST) close; DNS, NTP and ICMP are request and reply.
 */

export const MSS = 1448;
/** Delay of a LAN host's reply as seen at the capture point, seconds. */
const LAN_DELAY = 0.0003;

export const ip = (text: string): number => text.split('.').reduce((a, p) => a * 256 + Number(p), 0) >>> 0;
export const ipText = (a: number): string => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;

export interface Exchange {
  /** Bytes the client sends, then bytes the server answers with. */
  up: number;
  down: number;
  /** Payload references for the first segment each way (else filler). */
  upPayload?: number;
  downPayload?: number;
  /** Pause before this exchange starts (after the previous one ended), seconds. */
  pause?: number;
  /** Server think time before answering, seconds. */
  think?: number;
}

export interface TcpOptions {
  t: number;
  client: number;
  server: number;
  cport: number;
  sport: number;
  /** Round trip between the capture point and the remote side (ignored when both are local). */
  rtt: number;
  /** A ClientHello (payload reference) makes it a TLS connection with a handshake and TLS records. */
  clientHello?: number;
  serverHello?: number;
  exchanges: Exchange[];
  /** Pacing of data, bytes per second, each way. */
  upRate: number;
  downRate: number;
  close: 'client-fin' | 'server-fin' | 'client-rst' | 'none';
  /** Chance that a data segment is retransmitted. */
  loss: number;
  /** Already open when the capture started: no handshake. */
  established?: boolean;
}

export class Traffic {
  constructor(
    readonly list: PacketList,
    readonly rng: Rng,
    readonly isLocal: (a: number) => boolean,
  ) {}

  /** How long after the packet it answers a packet from `host` is seen. */
  private delay(host: number, rtt: number): number {
    return this.isLocal(host) ? LAN_DELAY * this.rng.between(0.5, 1.5) : rtt * this.rng.between(0.95, 1.1);
  }

  /** One TCP connection; returns the time of its last packet. */
  tcp(o: TcpOptions): number {
    const L = this.list;
    const r = this.rng;
    const c = o.client;
    const s = o.server;
    const fill = o.clientHello !== undefined ? FILL_TLS : FILL;
    let cSeq = r.int(0, 0xffffffff);
    let sSeq = r.int(0, 0xffffffff);
    let t = o.t;
    const dC = () => this.delay(c, o.rtt);
    const dS = () => this.delay(s, o.rtt);
    const fromC = (tt: number, flags: number, len = 0, payload?: number) => {
      L.add(tt, {
        src: c,
        dst: s,
        proto: PROTO_TCP,
        sport: o.cport,
        dport: o.sport,
        flags,
        seq: cSeq,
        ack: sSeq,
        len,
        payload,
      });
    };
    const fromS = (tt: number, flags: number, len = 0, payload?: number) => {
      L.add(tt, {
        src: s,
        dst: c,
        proto: PROTO_TCP,
        sport: o.sport,
        dport: o.cport,
        flags,
        seq: sSeq,
        ack: cSeq,
        len,
        payload,
      });
    };
    if (!o.established) {
      L.add(t, { src: c, dst: s, proto: PROTO_TCP, sport: o.cport, dport: o.sport, flags: SYN, seq: cSeq });
      cSeq = (cSeq + 1) >>> 0;
      t += dS();
      L.add(t, {
        src: s,
        dst: c,
        proto: PROTO_TCP,
        sport: o.sport,
        dport: o.cport,
        flags: SYN | ACK,
        seq: sSeq,
        ack: cSeq,
      });
      sSeq = (sSeq + 1) >>> 0;
      t += dC();
      fromC(t, ACK);
    }

    // Data one way: paced segments, the receiver ACKs every second one; returns when the last ACK is seen.
    const send = (up: boolean, bytes: number, rate: number, first: number | undefined, start: number) => {
      let tt = start;
      let left = bytes;
      let seg = 0;
      const gap = MSS / rate;
      while (left > 0) {
        const n = Math.min(MSS, left);
        left -= n;
        const payload = seg === 0 && first !== undefined ? first : fill;
        const flags = left === 0 ? ACK | PSH : ACK;
        const seqNow = up ? cSeq : sSeq;
        if (up) fromC(tt, flags, n, payload);
        else fromS(tt, flags, n, payload);
        if (o.loss > 0 && r.chance(o.loss)) {
          // Lost beyond the capture point: the sender repeats the segment after a timeout.
          const again = tt + Math.max(0.2, 2 * o.rtt) * r.between(1, 1.5);
          L.add(again, {
            src: up ? c : s,
            dst: up ? s : c,
            proto: PROTO_TCP,
            sport: up ? o.cport : o.sport,
            dport: up ? o.sport : o.cport,
            flags,
            seq: seqNow,
            ack: up ? sSeq : cSeq,
            len: n,
            payload,
          });
        }
        if (up) cSeq = (cSeq + n) >>> 0;
        else sSeq = (sSeq + n) >>> 0;
        seg++;
        if (seg % 2 === 0 || left === 0) {
          const at = tt + (up ? dS() : dC());
          if (up) fromS(at, ACK);
          else fromC(at, ACK);
          if (left === 0) tt = at;
        }
        if (left > 0) tt += gap * r.between(0.8, 1.25);
      }
      return tt;
    };

    if (o.clientHello !== undefined && !o.established) {
      t = send(true, this.list.payloads[o.clientHello].length, o.upRate, o.clientHello, t + 0.0005);
      t = send(false, r.int(2800, 5200), o.downRate, o.serverHello, t + r.between(0.002, 0.02));
      t = send(true, r.pick([64, 93, 126]), o.upRate, undefined, t + 0.0005);
      t = send(false, r.pick([51, 242, 287]), o.downRate, undefined, t + 0.001);
    }
    for (const x of o.exchanges) {
      t += x.pause ?? 0.001;
      if (x.up > 0) t = send(true, x.up, o.upRate, x.upPayload, t);
      if (x.down > 0) t = send(false, x.down, o.downRate, x.downPayload, t + (x.think ?? 0.005));
    }
    t += r.between(0.001, 0.2);
    switch (o.close) {
      case 'client-fin': {
        fromC(t, FIN | ACK);
        cSeq = (cSeq + 1) >>> 0;
        t += dS();
        fromS(t, FIN | ACK);
        sSeq = (sSeq + 1) >>> 0;
        t += dC();
        fromC(t, ACK);
        break;
      }
      case 'server-fin': {
        fromS(t, FIN | ACK);
        sSeq = (sSeq + 1) >>> 0;
        t += dC();
        fromC(t, FIN | ACK);
        cSeq = (cSeq + 1) >>> 0;
        t += dS();
        fromS(t, ACK);
        break;
      }
      case 'client-rst':
        fromC(t, RST | ACK);
        break;
      case 'none':
        break;
    }
    return t;
  }

  /** A UDP request and (optionally) its answer; returns when the answer is seen. */
  udp(
    t: number,
    client: number,
    server: number,
    cport: number,
    sport: number,
    request: number,
    reply: number | null,
    wait: number,
  ): number {
    this.list.add(t, {
      src: client,
      dst: server,
      proto: PROTO_UDP,
      sport: cport,
      dport: sport,
      payload: request,
    });
    if (reply === null) return t;
    const at = t + wait;
    this.list.add(at, { src: server, dst: client, proto: PROTO_UDP, sport, dport: cport, payload: reply });
    return at;
  }

  /** ICMP echo request and reply (56 bytes of data, like ping). */
  ping(t: number, from: number, to: number, id: number, seq: number, rtt: number, answered = true): void {
    const idSeq = ((id & 0xffff) << 16) | (seq & 0xffff);
    this.list.add(t, { src: from, dst: to, proto: PROTO_ICMP, sport: 8, dport: 0, seq: idSeq, len: 56 });
    if (answered)
      this.list.add(t + this.delay(to, rtt), {
        src: to,
        dst: from,
        proto: PROTO_ICMP,
        sport: 0,
        dport: 0,
        seq: idSeq,
        len: 56,
      });
  }

  /** ARP request from `from` for `target`, answered when the target exists. */
  arp(t: number, from: number, target: number, answered: boolean): void {
    this.list.add(t, { src: from, dst: target, proto: PROTO_ARP, sport: 0, dport: 0, flags: 1 });
    if (answered)
      this.list.add(t + LAN_DELAY, {
        src: target,
        dst: from,
        proto: PROTO_ARP,
        sport: 0,
        dport: 0,
        flags: 2,
      });
  }
}

// ------------------------------------------------------------------------------------ payloads

/** A DNS message: one question, optional A answers, as a resolver would send it. */
export function dnsMessage(
  id: number,
  name: string,
  qtype: 1 | 28,
  response: boolean,
  answers: number[] = [],
  rcode = 0,
): Buffer {
  const labels = name
    .split('.')
    .map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')]));
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id & 0xffff, 0);
  header.writeUInt16BE((response ? 0x8180 : 0x0100) | rcode, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(response ? answers.length : 0, 6);
  const question = Buffer.concat([...labels, Buffer.from([0, 0, qtype, 0, 1])]);
  const rrs = answers.map((a, k) => {
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question
    rr.writeUInt16BE(1, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(60 + 37 * k, 6);
    rr.writeUInt16BE(4, 10);
    rr.writeUInt32BE(a >>> 0, 12);
    return rr;
  });
  return Buffer.concat([header, question, ...rrs]);
}

/** A TLS 1.2/1.3 ClientHello with the server name first among its extensions, padded to 517 bytes. */
export function clientHello(sni: string, random: Buffer): Buffer {
  const name = Buffer.from(sni, 'ascii');
  const sniExt = Buffer.alloc(9 + name.length);
  sniExt.writeUInt16BE(0, 0);
  sniExt.writeUInt16BE(5 + name.length, 2);
  sniExt.writeUInt16BE(3 + name.length, 4);
  sniExt[6] = 0;
  sniExt.writeUInt16BE(name.length, 7);
  name.copy(sniExt, 9);
  const suites = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8];
  const suiteBytes = Buffer.alloc(2 + 2 * suites.length);
  suiteBytes.writeUInt16BE(2 * suites.length, 0);
  suites.forEach((s, k) => {
    suiteBytes.writeUInt16BE(s, 2 + 2 * k);
  });
  const groups = Buffer.from([0x00, 0x0a, 0x00, 0x08, 0x00, 0x06, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18]);
  const alpn = Buffer.from([
    0x00,
    0x10,
    0x00,
    0x0e,
    0x00,
    0x0c,
    0x02,
    0x68,
    0x32,
    0x08,
    ...Buffer.from('http/1.1'),
  ]);
  const fixed = 5 + 4 + 2 + 32 + 1 + 32 + suiteBytes.length + 2 + 2;
  let exts = Buffer.concat([sniExt, groups, alpn]);
  const pad = 517 - fixed - exts.length - 4;
  if (pad >= 0) {
    const padding = Buffer.alloc(4 + pad);
    padding.writeUInt16BE(21, 0);
    padding.writeUInt16BE(pad, 2);
    exts = Buffer.concat([exts, padding]);
  }
  const body = Buffer.concat([
    Buffer.from([0x03, 0x03]),
    random.subarray(0, 32),
    Buffer.from([32]),
    random.subarray(32, 64),
    suiteBytes,
    Buffer.from([0x01, 0x00]),
    Buffer.from([exts.length >> 8, exts.length & 255]),
    exts,
  ]);
  const hs = Buffer.concat([Buffer.from([1, 0, body.length >> 8, body.length & 255]), body]);
  return Buffer.concat([Buffer.from([0x16, 0x03, 0x01, hs.length >> 8, hs.length & 255]), hs]);
}

/** The start of a server's first flight: a handshake record holding a ServerHello. */
export function serverHello(random: Buffer): Buffer {
  const body = Buffer.concat([
    Buffer.from([0x03, 0x03]),
    random.subarray(0, 32),
    Buffer.from([0]),
    Buffer.from([0x13, 0x01, 0x00]),
  ]);
  const hs = Buffer.concat([Buffer.from([2, 0, body.length >> 8, body.length & 255]), body]);
  return Buffer.concat([Buffer.from([0x16, 0x03, 0x03, hs.length >> 8, hs.length & 255]), hs]);
}

export function httpRequest(method: string, host: string, path: string): Buffer {
  return Buffer.from(
    `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\n\r\n`,
    'ascii',
  );
}

export function httpResponse(length: number, type: string): Buffer {
  return Buffer.from(
    `HTTP/1.1 200 OK\r\nContent-Type: ${type}\r\nContent-Length: ${length}\r\nCache-Control: max-age=600\r\n\r\n`,
    'ascii',
  );
}

/** NTPv4 client (mode 3) and server (mode 4) packets, 48 bytes. */
export function ntpPacket(server: boolean): Buffer {
  const b = Buffer.alloc(48);
  b[0] = server ? 0x24 : 0x23;
  b[1] = server ? 2 : 0;
  b[2] = 6;
  b[3] = 0xe9;
  return b;
}
