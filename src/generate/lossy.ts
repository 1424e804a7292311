import { PcapWriter } from '../capture/index.js';
import { Rng } from './random.js';

/**
 * A lossy link, as a capture point beside the sending host sees it: bulk TCP transfers whose
 * segments are dropped at random beyond the capture point, so each drop shows as the original and
 * its re-send. The receiver acknowledges every segment (so a hole brings duplicate ACKs); the
 * sender re-sends after the third duplicate ACK (a fast retransmit) or, with too few, after a
 * timeout, and re-sends the later holes on each partial ACK; a re-send of the last hole may carry
 * new data too (one large segment, as segmentation offload sends it). Two neighbouring segments
 * sometimes pass the capture point in swapped order (out of order, not re-sent). Some transfers
 * pause on a zero window (the sender probes with one byte) and every one ends with keep-alives.
 * Everything is decided by the seed; IPv4 or IPv6.
 */

export interface LossyOptions {
  seed: number;
  family: 4 | 6;
  /** TCP connections, started half a second apart. */
  connections?: number;
  /** Full-size data segments each connection sends. */
  segments?: number;
  /** Chance that a data segment is dropped beyond the capture point. */
  loss?: number;
  /** Capture start, whole seconds since the epoch. */
  startSec?: number;
}

/** What was sent, by construction. */
export interface LossyTruth {
  packets: number;
  /** Segments dropped beyond the capture point (each re-sent once). */
  dropped: number;
  /** Re-sends: after three duplicate ACKs, after a timeout, on a partial ACK; and of those, the ones carrying new data too. */
  fastRetransmits: number;
  timeouts: number;
  partialAckResends: number;
  coalesced: number;
  /** Segments that passed the capture point after a later one (not re-sent). */
  outOfOrder: number;
  keepAlives: number;
  zeroWindowProbes: number;
}

const MSS = 1448;
const WINDOW = 502; // raw window (scaled by the handshake's option, which these captures leave out)
const SNAPLEN = 128;
const GAP = 0.0002; // between back-to-back segments
const SYN = 0x02;
const ACK = 0x10;
const FIN = 0x01;
const PSH = 0x08;

interface Packet {
  t: number;
  conn: number;
  fromClient: boolean;
  flags: number;
  seq: number;
  ack: number;
  len: number;
  win: number;
}

interface Segment {
  off: number;
  len: number;
  /** When it passes the capture point, and when the sender sent it (the receiver's clock). */
  tap: number;
  sent: number;
  lost: boolean;
}

/** Writes a lossy capture to `path` and returns its truth. */
export function writeLossyCapture(path: string, options: LossyOptions): LossyTruth {
  const r = new Rng(options.seed);
  const truth: LossyTruth = {
    packets: 0,
    dropped: 0,
    fastRetransmits: 0,
    timeouts: 0,
    partialAckResends: 0,
    coalesced: 0,
    outOfOrder: 0,
    keepAlives: 0,
    zeroWindowProbes: 0,
  };
  const packets: Packet[] = [];
  const n = options.connections ?? 12;
  for (let i = 0; i < n; i++)
    connection(
      r,
      i,
      i * 0.5 + r.between(0, 0.2),
      options.segments ?? 300,
      options.loss ?? 0.03,
      packets,
      truth,
    );
  packets.sort((a, b) => a.t - b.t);
  const w = new PcapWriter(path, { linkType: 1, nanosecond: true, snaplen: SNAPLEN });
  const frame = Buffer.alloc(14 + 40 + 20 + MSS * 2);
  const start = options.startSec ?? 1_750_000_000;
  for (const p of packets) {
    const wire = buildFrame(frame, options.family, p);
    const ns = Math.round(p.t * 1e9);
    w.write(start + Math.floor(ns / 1e9), ns % 1e9, frame.subarray(0, Math.min(wire, SNAPLEN)), wire);
  }
  w.close();
  truth.packets = packets.length;
  return truth;
}

function connection(
  r: Rng,
  conn: number,
  t0: number,
  segments: number,
  loss: number,
  out: Packet[],
  truth: LossyTruth,
): void {
  const rtt = r.between(0.02, 0.08);
  const cIsn = r.int(1, 0xfffffff0);
  const sIsn = r.int(1, 0xfffffff0);
  const base = (cIsn + 1) >>> 0;
  const sSeq = (sIsn + 1) >>> 0;
  const add = (
    t: number,
    fromClient: boolean,
    flags: number,
    seq: number,
    ack: number,
    len = 0,
    win = WINDOW,
  ) => out.push({ t, conn, fromClient, flags, seq: seq >>> 0, ack: ack >>> 0, len, win });
  const client = (t: number, flags: number, off: number, len = 0) =>
    add(t, true, flags, base + off, sSeq, len);
  const server = (t: number, ack: number, win = WINDOW) => add(t, false, ACK, sSeq, base + ack, 0, win);

  add(t0, true, SYN, cIsn, 0, 0, 64240);
  add(t0 + rtt, false, SYN | ACK, sIsn, base, 0, 64240);
  client(t0 + rtt + 0.0001, ACK, 0);
  let t = t0 + rtt + 0.0002;
  const total = segments * MSS;
  let sndNxt = 0;
  let cwnd = 10;
  let zeroWindow = false;
  while (sndNxt < total) {
    const flight: Segment[] = [];
    for (let i = 0; i < cwnd && sndNxt < total; i++) {
      const len = Math.min(MSS, total - sndNxt);
      flight.push({ off: sndNxt, len, tap: t, sent: t, lost: r.chance(loss) });
      sndNxt += len;
      t += GAP;
    }
    if (flight.length >= 2 && r.chance(0.15)) {
      // Two neighbours pass the capture point in swapped order, well within a round trip.
      const k = r.int(0, flight.length - 2);
      const a = flight[k].tap;
      flight[k].tap = flight[k + 1].tap;
      flight[k + 1].tap = a;
      truth.outOfOrder++;
    }
    for (const s of flight) client(s.tap, s.off + s.len === total ? ACK | PSH : ACK, s.off, s.len);

    // The receiver acknowledges each segment that arrives with the first byte it still misses.
    const missing = flight.filter((s) => s.lost);
    truth.dropped += missing.length;
    let rcvNxt = flight[0].off;
    let lastAck = 0;
    const dupAckTimes: number[] = [];
    for (const s of flight) {
      if (s.lost) continue;
      const holeBefore = missing.some((m) => m.off < s.off);
      if (!holeBefore) rcvNxt = s.off + s.len;
      lastAck = s.sent + rtt;
      server(lastAck, rcvNxt);
      if (missing.length > 0 && missing[0].off < s.off) dupAckTimes.push(lastAck);
    }
    // Re-send the holes in order: the first after three duplicate ACKs (else a timeout), the next
    // on each partial ACK. The last may carry the next new data with it.
    let at = lastAck;
    for (let h = 0; h < missing.length; h++) {
      const m = missing[h];
      let tr: number;
      if (h > 0) {
        tr = at + 0.0001;
        truth.partialAckResends++;
      } else if (dupAckTimes.length >= 3) {
        tr = dupAckTimes[2] + 0.0001;
        truth.fastRetransmits++;
      } else {
        tr = Math.max(lastAck, m.sent) + 0.2 + rtt;
        truth.timeouts++;
      }
      let len = m.len;
      if (h === missing.length - 1 && sndNxt < total && r.chance(0.5)) {
        const extra = Math.min(MSS, total - sndNxt);
        len = sndNxt + extra - m.off; // from the hole through everything sent, and new bytes
        sndNxt += extra;
        truth.coalesced++;
      }
      client(Math.max(tr, t), ACK, m.off, len);
      const next = h + 1 < missing.length ? missing[h + 1].off : Math.max(sndNxt, m.off + len);
      at = Math.max(tr, t) + rtt;
      server(at, next);
    }
    t = Math.max(t, at) + GAP;
    cwnd = missing.length > 0 ? Math.max(4, cwnd >> 1) : Math.min(40, cwnd + 2);

    if (!zeroWindow && sndNxt > total / 2 && sndNxt < total && r.chance(0.5)) {
      // The receiver's buffer fills: a zero window, a one-byte probe, then the window reopens.
      zeroWindow = true;
      server(t, sndNxt, 0);
      client(t + 0.2, ACK, sndNxt, 1);
      server(t + 0.2 + rtt, sndNxt, 0);
      server(t + 0.6, sndNxt);
      truth.zeroWindowProbes++;
      t += 0.6 + rtt + GAP;
    }
  }
  // Idle: two keep-alives (no byte, then one), each answered.
  for (let k = 0; k < 2; k++) {
    t += 1;
    client(t, ACK, sndNxt - 1, k);
    server(t + rtt, sndNxt);
    truth.keepAlives++;
  }
  t += rtt + 0.01;
  client(t, FIN | ACK, sndNxt);
  add(t + rtt, false, FIN | ACK, sSeq, base + sndNxt + 1);
  add(t + rtt + 0.0001, true, ACK, base + sndNxt + 1, sSeq + 1);
}

/** Ethernet, IPv4 or IPv6, and TCP into `b`; returns the frame's length on the wire. */
function buildFrame(b: Buffer, family: 4 | 6, p: Packet): number {
  const c = p.conn;
  b.fill(0, 0, Math.min(b.length, 14 + 40 + 20 + SNAPLEN));
  b[0] = 2;
  b[5] = p.fromClient ? 1 : 2;
  b[6] = 2;
  b[11] = p.fromClient ? 2 : 1;
  let ip = 14;
  const tcpLen = 20 + p.len;
  if (family === 4) {
    b.writeUInt16BE(0x0800, 12);
    b[ip] = 0x45;
    b.writeUInt16BE(20 + tcpLen, ip + 2);
    b[ip + 6] = 0x40;
    b[ip + 8] = 64;
    b[ip + 9] = 6;
    const client = [10, 1, (c >> 8) & 255, 2 + (c & 127)];
    const server = [192, 0, 2, 10];
    b.set(p.fromClient ? client : server, ip + 12);
    b.set(p.fromClient ? server : client, ip + 16);
    ip += 20;
  } else {
    b.writeUInt16BE(0x86dd, 12);
    b[ip] = 0x60;
    b.writeUInt16BE(tcpLen, ip + 4);
    b[ip + 6] = 6;
    b[ip + 7] = 64;
    const client = Buffer.from([0xfd, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (c >> 8) & 255, 2 + (c & 127)]);
    const server = Buffer.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10]);
    (p.fromClient ? client : server).copy(b, ip + 8);
    (p.fromClient ? server : client).copy(b, ip + 24);
    ip += 40;
  }
  const cport = 40000 + c;
  const sport = c % 2 === 0 ? 443 : 80;
  b.writeUInt16BE(p.fromClient ? cport : sport, ip);
  b.writeUInt16BE(p.fromClient ? sport : cport, ip + 2);
  b.writeUInt32BE(p.seq, ip + 4);
  b.writeUInt32BE(p.flags & ACK ? p.ack : 0, ip + 8);
  b[ip + 12] = 5 << 4;
  b[ip + 13] = p.flags;
  b.writeUInt16BE(p.win, ip + 14);
  return ip + tcpLen;
}
