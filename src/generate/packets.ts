import { PcapWriter } from '../capture/index.js';

/**
 * The generator's packet list: every packet is a row of numbers (time, addresses, ports, flags,
 * sequence numbers, payload length on the wire, payload reference), so a capture of a million
 * packets costs tens of megabytes and no Buffer per packet. Frames are built only when the list
 * is written, in time order, into one reused buffer.
 */

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
/** Not an IP protocol: an ARP frame (flags = operation, src/dst = sender/target address). */
export const PROTO_ARP = 0;

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;

/** Payload references: an index into `payloads`, or a filler kind. */
export const FILL = -1;
export const FILL_TLS = -2;

export interface PacketFields {
  src: number;
  dst: number;
  proto: number;
  /** TCP/UDP ports; for ICMP the type and code. */
  sport: number;
  dport: number;
  /** TCP flags; ARP operation. */
  flags?: number;
  /** TCP sequence and acknowledgement numbers; ICMP echo identifier << 16 | sequence. */
  seq?: number;
  ack?: number;
  /** Transport payload length on the wire. */
  len?: number;
  /** Index into `payloads` (its bytes start the payload), or FILL / FILL_TLS. */
  payload?: number;
}

export class PacketList {
  size = 0;
  ts = new Float64Array(1024);
  src = new Uint32Array(1024);
  dst = new Uint32Array(1024);
  sport = new Uint16Array(1024);
  dport = new Uint16Array(1024);
  proto = new Uint8Array(1024);
  flags = new Uint8Array(1024);
  seq = new Uint32Array(1024);
  ack = new Uint32Array(1024);
  len = new Uint32Array(1024);
  payload = new Int32Array(1024);
  readonly payloads: Buffer[] = [];

  /** Keeps a payload's bytes and returns its reference. */
  keep(bytes: Buffer): number {
    this.payloads.push(bytes);
    return this.payloads.length - 1;
  }

  /** Adds one packet at `t` seconds from the capture's start. */
  add(t: number, p: PacketFields): void {
    if (this.size === this.ts.length) this.grow();
    const i = this.size++;
    this.ts[i] = t;
    this.src[i] = p.src;
    this.dst[i] = p.dst;
    this.sport[i] = p.sport;
    this.dport[i] = p.dport;
    this.proto[i] = p.proto;
    this.flags[i] = p.flags ?? 0;
    this.seq[i] = (p.seq ?? 0) >>> 0;
    this.ack[i] = (p.ack ?? 0) >>> 0;
    this.len[i] = p.len ?? (p.payload !== undefined && p.payload >= 0 ? this.payloads[p.payload].length : 0);
    this.payload[i] = p.payload ?? FILL;
  }

  private grow(): void {
    const n = this.ts.length * 2;
    const grow = <T extends Float64Array | Uint32Array | Uint16Array | Uint8Array | Int32Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.ts = grow(this.ts);
    this.src = grow(this.src);
    this.dst = grow(this.dst);
    this.sport = grow(this.sport);
    this.dport = grow(this.dport);
    this.proto = grow(this.proto);
    this.flags = grow(this.flags);
    this.seq = grow(this.seq);
    this.ack = grow(this.ack);
    this.len = grow(this.len);
    this.payload = grow(this.payload);
  }

  /**
   * Packet numbers in time order (to the microsecond; ties keep the order they were added in):
   * a stable radix sort on the microsecond count (three 11-bit digits of a 32-bit count, so up to
   * 71 minutes); longer captures fall back to a comparison sort.
   */
  order(): Uint32Array {
    const n = this.size;
    const us = new Uint32Array(n);
    let max = 0;
    for (let i = 0; i < n; i++) {
      const t = Math.max(0, Math.round(this.ts[i] * 1e6));
      if (t > max) max = t;
      us[i] = t;
    }
    let idx = new Uint32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    if (max > 0xffffffff) {
      const ts = this.ts;
      return idx.sort((a, b) => ts[a] - ts[b] || a - b);
    }
    let tmp = new Uint32Array(n);
    const count = new Uint32Array(2049);
    for (let shift = 0; shift < 33; shift += 11) {
      count.fill(0);
      for (let i = 0; i < n; i++) count[((us[idx[i]] >>> shift) & 2047) + 1]++;
      for (let d = 0; d < 2048; d++) count[d + 1] += count[d];
      for (let i = 0; i < n; i++) tmp[count[(us[idx[i]] >>> shift) & 2047]++] = idx[i];
      [idx, tmp] = [tmp, idx];
    }
    return idx;
  }
}

export interface WriteOptions {
  /** Capture start, whole seconds since the epoch. */
  startSec: number;
  /** Bytes kept of each frame (like `tcpdump -s`); the wire length is always recorded. */
  snaplen: number;
  /** Which addresses are on the captured LAN (their frames carry their own MAC address). */
  isLocal: (ip: number) => boolean;
}

export interface WriteResult {
  packets: number;
  bytes: number;
  capturedBytes: number;
  firstTs: number;
  lastTs: number;
}

const GATEWAY_MAC = [0x00, 0x1b, 0x21, 0x3a, 0x4f, 0x01];

/** Writes the list as an Ethernet pcap (microsecond timestamps) in time order. */
export function writePackets(list: PacketList, path: string, options: WriteOptions): WriteResult {
  const snaplen = options.snaplen;
  const writer = new PcapWriter(path, { linkType: 1, snaplen, bufferSize: 4 << 20 });
  const frame = Buffer.alloc(65_600);
  const filler = fillerBytes();
  const order = list.order();
  let bytes = 0;
  let captured = 0;
  let ipId = 1;
  for (let n = 0; n < order.length; n++) {
    const i = order[n];
    const wire = buildFrame(list, i, frame, filler, options.isLocal, ipId++ & 0xffff);
    const cap = Math.min(wire, snaplen);
    const us = Math.round(list.ts[i] * 1e6);
    const sec = options.startSec + Math.floor(us / 1e6);
    const nsec = (us % 1_000_000) * 1000;
    writer.write(sec, nsec, frame.subarray(0, cap), wire);
    bytes += wire;
    captured += cap;
  }
  writer.close();
  const first = order.length ? list.ts[order[0]] : 0;
  const last = order.length ? list.ts[order[order.length - 1]] : 0;
  return {
    packets: order.length,
    bytes,
    capturedBytes: captured,
    firstTs: (options.startSec * 1e6 + Math.round(first * 1e6)) / 1e6,
    lastTs: (options.startSec * 1e6 + Math.round(last * 1e6)) / 1e6,
  };
}

/** A fixed pseudo-random pattern for payload bytes nobody reads (encrypted data looks like this). */
function fillerBytes(): Buffer {
  const b = Buffer.alloc(65_536);
  let x = 0x2545f491;
  for (let i = 0; i < b.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 255;
  }
  return b;
}

function mac(b: Buffer, at: number, ip: number, local: boolean): void {
  if (ip >>> 28 === 14) {
    // IPv4 multicast: 01:00:5e and the address's low 23 bits.
    b[at] = 0x01;
    b[at + 1] = 0x00;
    b[at + 2] = 0x5e;
    b[at + 3] = (ip >>> 16) & 0x7f;
    b[at + 4] = (ip >>> 8) & 255;
    b[at + 5] = ip & 255;
    return;
  }
  if (local && (ip & 255) === 255) {
    b.fill(0xff, at, at + 6);
    return;
  }
  if (!local) {
    for (let k = 0; k < 6; k++) b[at + k] = GATEWAY_MAC[k];
    return;
  }
  // Locally administered, derived from the address: 02:42:<the four address bytes>.
  b[at] = 0x02;
  b[at + 1] = 0x42;
  w32(b, at + 2, ip);
}

/** Builds packet `i` into `b` and returns its length on the wire. */
function buildFrame(
  list: PacketList,
  i: number,
  b: Buffer,
  filler: Buffer,
  isLocal: (ip: number) => boolean,
  ipId: number,
): number {
  const src = list.src[i];
  const dst = list.dst[i];
  const proto = list.proto[i];
  const srcLocal = isLocal(src);
  const dstLocal = isLocal(dst);
  if (proto === PROTO_ARP) {
    const request = list.flags[i] === 1;
    if (request) b.fill(0xff, 0, 6);
    else mac(b, 0, dst, true);
    mac(b, 6, src, srcLocal);
    w16(b, 12, 0x0806);
    w16(b, 14, 1); // Ethernet
    w16(b, 16, 0x0800); // IPv4
    b[18] = 6;
    b[19] = 4;
    w16(b, 20, list.flags[i]);
    mac(b, 22, src, true);
    w32(b, 28, src);
    if (request) b.fill(0, 32, 38);
    else mac(b, 32, dst, true);
    w32(b, 38, dst);
    b.fill(0, 42, 60); // Ethernet padding to the 60-byte minimum
    return 60;
  }
  mac(b, 0, dst, dstLocal);
  mac(b, 6, src, srcLocal);
  w16(b, 12, 0x0800);
  const l4 = proto === PROTO_TCP ? 20 : 8;
  const payloadLen = list.len[i];
  const ipLen = 20 + l4 + payloadLen;
  const ip = 14;
  b[ip] = 0x45;
  b[ip + 1] = 0;
  w16(b, ip + 2, ipLen);
  w16(b, ip + 4, ipId);
  w16(b, ip + 6, proto === PROTO_TCP ? 0x4000 : 0);
  // Senders on the LAN start at 64; remote ones arrive having crossed some routers.
  b[ip + 8] = srcLocal ? 64 : 64 - 7 - (src % 11);
  b[ip + 9] = proto;
  w16(b, ip + 10, 0);
  w32(b, ip + 12, src);
  w32(b, ip + 16, dst);
  w16(b, ip + 10, checksum(b, ip, 20));
  const t = ip + 20;
  if (proto === PROTO_TCP) {
    w16(b, t, list.sport[i]);
    w16(b, t + 2, list.dport[i]);
    w32(b, t + 4, list.seq[i]);
    w32(b, t + 8, list.ack[i]);
    b[t + 12] = 5 << 4;
    b[t + 13] = list.flags[i];
    w16(b, t + 14, list.flags[i] & RST ? 0 : 502 + (list.sport[i] % 64));
    w32(b, t + 16, 0);
  } else if (proto === PROTO_UDP) {
    w16(b, t, list.sport[i]);
    w16(b, t + 2, list.dport[i]);
    w16(b, t + 4, 8 + payloadLen);
    w16(b, t + 6, 0);
  } else {
    b[t] = list.sport[i];
    b[t + 1] = list.dport[i];
    w16(b, t + 2, 0);
    w32(b, t + 4, list.seq[i]);
  }
  const p = t + l4;
  // Only what the snaplen keeps matters, but payload bytes are cheap: write up to 256 of them.
  const keep = Math.min(payloadLen, 256);
  const ref = list.payload[i];
  if (ref >= 0) {
    const bytes = list.payloads[ref];
    const n = Math.min(bytes.length, payloadLen);
    bytes.copy(b, p, 0, n);
    if (keep > n) filler.copy(b, p + n, 0, keep - n);
  } else if (ref === FILL_TLS && keep >= 5) {
    // A TLS application-data record header, then ciphertext.
    b[p] = 0x17;
    b[p + 1] = 3;
    b[p + 2] = 3;
    w16(b, p + 3, Math.min(payloadLen - 5, 16_413));
    filler.copy(b, p + 5, (list.seq[i] & 0x7fff) + 5, (list.seq[i] & 0x7fff) + keep);
  } else {
    filler.copy(b, p, list.seq[i] & 0x7fff, (list.seq[i] & 0x7fff) + keep);
  }
  if (proto === PROTO_ICMP) w16(b, t + 2, checksum(b, t, 8 + keep));
  const wire = 14 + ipLen;
  if (wire < 60) {
    b.fill(0, wire, 60);
    return 60;
  }
  return wire;
}

function w16(b: Buffer, at: number, v: number): void {
  b[at] = (v >>> 8) & 255;
  b[at + 1] = v & 255;
}

function w32(b: Buffer, at: number, v: number): void {
  b[at] = (v >>> 24) & 255;
  b[at + 1] = (v >>> 16) & 255;
  b[at + 2] = (v >>> 8) & 255;
  b[at + 3] = v & 255;
}

function checksum(b: Buffer, at: number, len: number): number {
  let sum = 0;
  for (let k = 0; k + 1 < len; k += 2) sum += (b[at + k] << 8) | b[at + k + 1];
  if (len & 1) sum += b[at + len - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
