import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter } from '../../src/capture/index.js';

/** Builders for Ethernet/IPv4 frames with correct lengths, for captures the tests write. */

export function ip4(text: string): number[] {
  return text.split('.').map(Number);
}

export const TCP = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

export function ethernet(etherType: number, payload: Uint8Array): Buffer {
  const b = Buffer.alloc(14 + payload.length);
  Buffer.from([0, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0x66, 0x77, 0x88, 0x99, 0xaa]).copy(b, 0);
  b.writeUInt16BE(etherType, 12);
  b.set(payload, 14);
  return b;
}

export function ipv4(src: string, dst: string, proto: number, payload: Uint8Array): Buffer {
  const b = Buffer.alloc(20 + payload.length);
  b[0] = 0x45;
  b.writeUInt16BE(20 + payload.length, 2);
  b[8] = 64;
  b[9] = proto;
  b.set(ip4(src), 12);
  b.set(ip4(dst), 16);
  b.set(payload, 20);
  return b;
}

export interface TcpFields {
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  flags: number;
  payload?: Uint8Array;
  window?: number;
}

export function tcp(f: TcpFields): Buffer {
  const payload = f.payload ?? new Uint8Array(0);
  const b = Buffer.alloc(20 + payload.length);
  b.writeUInt16BE(f.sport, 0);
  b.writeUInt16BE(f.dport, 2);
  b.writeUInt32BE((f.seq ?? 0) >>> 0, 4);
  b.writeUInt32BE((f.ack ?? 0) >>> 0, 8);
  b[12] = 5 << 4;
  b[13] = f.flags;
  b.writeUInt16BE(f.window ?? 65535, 14);
  b.set(payload, 20);
  return b;
}

export function udp(sport: number, dport: number, payload: Uint8Array): Buffer {
  const b = Buffer.alloc(8 + payload.length);
  b.writeUInt16BE(sport, 0);
  b.writeUInt16BE(dport, 2);
  b.writeUInt16BE(8 + payload.length, 4);
  b.set(payload, 8);
  return b;
}

export function icmpEcho(type: 8 | 0, id: number, seq: number): Buffer {
  const b = Buffer.alloc(16);
  b[0] = type;
  b.writeUInt16BE(id, 4);
  b.writeUInt16BE(seq, 6);
  return b;
}

/** An Ethernet/IPv4/TCP frame. */
export function tcpFrame(src: string, dst: string, f: TcpFields): Buffer {
  return ethernet(0x0800, ipv4(src, dst, 6, tcp(f)));
}

export function udpFrame(
  src: string,
  dst: string,
  sport: number,
  dport: number,
  payload: Uint8Array,
): Buffer {
  return ethernet(0x0800, ipv4(src, dst, 17, udp(sport, dport, payload)));
}

export function arpFrame(): Buffer {
  return ethernet(0x0806, Buffer.alloc(28));
}

export function dnsQuery(id: number, name: string, response = false, rcode = 0): Buffer {
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE((response ? 0x8180 : 0x0100) | rcode, 2);
  header.writeUInt16BE(1, 4);
  return Buffer.concat([header, ...labels, Buffer.from([0, 0, 1, 0, 1])]);
}

export function tlsClientHello(sni: string): Buffer {
  const name = Buffer.from(sni);
  const sniExt = Buffer.alloc(9 + name.length);
  sniExt.writeUInt16BE(0, 0); // server_name
  sniExt.writeUInt16BE(5 + name.length, 2);
  sniExt.writeUInt16BE(3 + name.length, 4);
  sniExt[6] = 0;
  sniExt.writeUInt16BE(name.length, 7);
  name.copy(sniExt, 9);
  const other = Buffer.from([0x00, 0x0b, 0x00, 0x02, 0x01, 0x00]); // ec_point_formats
  const exts = Buffer.concat([other, sniExt]);
  const body = Buffer.concat([
    Buffer.from([0x03, 0x03]),
    Buffer.alloc(32, 7),
    Buffer.from([0]), // session id
    Buffer.from([0x00, 0x02, 0x13, 0x01]), // one cipher suite
    Buffer.from([0x01, 0x00]), // null compression
    Buffer.from([exts.length >> 8, exts.length & 255]),
    exts,
  ]);
  const hs = Buffer.concat([Buffer.from([1, 0, body.length >> 8, body.length & 255]), body]);
  return Buffer.concat([Buffer.from([0x16, 0x03, 0x01, hs.length >> 8, hs.length & 255]), hs]);
}

export interface Frame {
  /** Seconds since the epoch (integer part) and nanoseconds. */
  sec: number;
  nsec: number;
  data: Buffer;
}

/** Writes frames to a nanosecond pcap in a fresh temp folder and returns its path. */
export function writeCapture(frames: Frame[], name = 'capture.pcap'): string {
  const path = join(mkdtempSync(join(tmpdir(), 'flowlens-')), name);
  const w = new PcapWriter(path, { linkType: 1, nanosecond: true });
  for (const f of frames) w.write(f.sec, f.nsec, f.data);
  w.close();
  return path;
}
