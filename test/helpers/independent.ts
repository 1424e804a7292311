import { readFileSync } from 'node:fs';

/**
 * A deliberately small, separate reading of a classic little-endian Ethernet pcap, for checking
 * Flowlens' figures by another route: bytes per address (sent + received, wire length) and
 * packets per service port (taken as the lower of the two ports, as servers usually have).
 * Untunnelled IPv4/IPv6 with TCP/UDP directly after the IP header only; enough for the captures
 * the tests pick.
 */
export function independentCounts(path: string): {
  packets: number;
  bytesByAddress: Map<string, number>;
  packetsByPort: Map<string, number>;
} {
  const b = readFileSync(path);
  if (b.readUInt32LE(0) !== 0xa1b2c3d4 || b.readUInt32LE(20) !== 1) {
    throw new Error(`${path}: the independent reader takes little-endian µs Ethernet pcap only`);
  }
  const bytesByAddress = new Map<string, number>();
  const packetsByPort = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n);
  let packets = 0;
  for (let o = 24; o + 16 <= b.length; ) {
    const capLen = b.readUInt32LE(o + 8);
    const origLen = b.readUInt32LE(o + 12);
    const f = o + 16;
    o = f + capLen;
    packets++;
    const etherType = b.readUInt16BE(f + 12);
    let src: string;
    let dst: string;
    let proto: number;
    let l4: number;
    if (etherType === 0x0800) {
      src = [...b.subarray(f + 26, f + 30)].join('.');
      dst = [...b.subarray(f + 30, f + 34)].join('.');
      proto = b[f + 23];
      l4 = f + 14 + (b[f + 14] & 15) * 4;
      const fragment = b.readUInt16BE(f + 20) & 0x1fff;
      if (fragment !== 0) proto = -1;
    } else if (etherType === 0x86dd) {
      src = ipv6(b.subarray(f + 22, f + 38));
      dst = ipv6(b.subarray(f + 38, f + 54));
      proto = b[f + 20];
      l4 = f + 54;
    } else {
      continue;
    }
    add(bytesByAddress, src, origLen);
    add(bytesByAddress, dst, origLen);
    if ((proto === 6 || proto === 17) && l4 + 4 <= o) {
      const port = Math.min(b.readUInt16BE(l4), b.readUInt16BE(l4 + 2));
      add(packetsByPort, `${proto === 6 ? 'tcp' : 'udp'}/${port}`, 1);
    }
  }
  return { packets, bytesByAddress, packetsByPort };
}

function ipv6(a: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(a.readUInt16BE(i).toString(16));
  // Longest run of zero groups becomes "::" (RFC 5952), as Flowlens and tshark print them.
  const text = groups.join(':');
  const runs = text.match(/(^|:)0(:0)+(:|$)/g);
  if (!runs) return text;
  const longest = runs.reduce((x, y) => (y.length > x.length ? y : x));
  return text.replace(longest, '::');
}

/** The key with the largest value (ties: the first in insertion order). */
export function topOf(m: Map<string, number>): [string, number] {
  let best: [string, number] = ['', -1];
  for (const e of m) if (e[1] > best[1]) best = e;
  return best;
}
