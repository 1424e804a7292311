import { L4_ICMP, L4_ICMPV6, L4_TCP, L4_UDP } from '../decode/index.js';
import type { AddressTable } from './address-table.js';
import type { FlowRecord } from './flow-table.js';

/**
 * The Community ID flow hash, version 1, seed 0 (github.com/corelight/community-id-spec), as Zeek,
 * Suricata, Arkime and Wireshark write it: "1:" and the base64 SHA-1 of the seed, the two
 * addresses, the protocol, a zero byte and the two ports (ICMP: type and its counterpart type, or
 * code), the lower (address, port) end first. Computed once per finished flow, into one reused
 * buffer: one SHA-1 block, no allocation but the string.
 */

// ICMP types that have a counterpart (request ↔ reply): such a flow is two-way (Zeek's mapping).
const ICMP4_PAIRS: Record<number, number> = {
  8: 0,
  0: 8,
  13: 14,
  14: 13,
  15: 16,
  16: 15,
  10: 9,
  9: 10,
  17: 18,
  18: 17,
};
const ICMP6_PAIRS: Record<number, number> = {
  128: 129,
  129: 128,
  130: 131,
  131: 130,
  133: 134,
  134: 133,
  135: 136,
  136: 135,
  139: 140,
  140: 139,
  144: 145,
  145: 144,
};

const input = new Uint8Array(64);
const W = new Int32Array(80);
const digest = new Uint8Array(20);
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * The Community ID of a flow from `src` to `dst` (address words as the address table keeps them:
 * one for IPv4, four for IPv6), or null for TCP/UDP whose ports were not captured. For ICMP the
 * ports are the type and code.
 */
export function communityId(
  proto: number,
  family: number,
  src: ArrayLike<number>,
  dst: ArrayLike<number>,
  srcPort: number,
  dstPort: number,
): string | null {
  const words = family === 4 ? 1 : 4;
  let sport = srcPort;
  let dport = dstPort;
  let ports = true;
  let oneWay = false;
  if (proto === L4_ICMP || proto === L4_ICMPV6) {
    const pair = (proto === L4_ICMP ? ICMP4_PAIRS : ICMP6_PAIRS)[srcPort];
    if (pair !== undefined) dport = pair;
    else oneWay = true;
  } else if (proto === L4_TCP || proto === L4_UDP) {
    if (srcPort < 0 || dstPort < 0) return null;
  } else ports = false;
  // The lower (address, port) end first, unless the ICMP message has no counterpart.
  let swap = false;
  if (!oneWay) {
    let c = 0;
    for (let i = 0; i < words && c === 0; i++) {
      const a = src[i] >>> 0;
      const b = dst[i] >>> 0;
      if (a !== b) c = a < b ? -1 : 1;
    }
    swap = c > 0 || (c === 0 && ports && sport > dport);
  }
  const a = swap ? dst : src;
  const b = swap ? src : dst;
  if (swap) {
    const t = sport;
    sport = dport;
    dport = t;
  }
  input.fill(0);
  let n = 2; // seed 0
  for (let i = 0; i < words; i++, n += 4) put32(n, a[i]);
  for (let i = 0; i < words; i++, n += 4) put32(n, b[i]);
  input[n++] = proto;
  input[n++] = 0;
  if (ports) {
    input[n++] = (sport >>> 8) & 255;
    input[n++] = sport & 255;
    input[n++] = (dport >>> 8) & 255;
    input[n++] = dport & 255;
  }
  sha1OneBlock(n);
  let out = '1:';
  for (let i = 0; i < 21; i += 3) {
    const x = (digest[i] << 16) | ((i + 1 < 20 ? digest[i + 1] : 0) << 8) | (i + 2 < 20 ? digest[i + 2] : 0);
    out += B64[(x >>> 18) & 63] + B64[(x >>> 12) & 63];
    out += i + 1 < 20 ? B64[(x >>> 6) & 63] : '=';
    out += i + 2 < 20 ? B64[x & 63] : '=';
  }
  return out;
}

function put32(at: number, v: number): void {
  input[at] = (v >>> 24) & 255;
  input[at + 1] = (v >>> 16) & 255;
  input[at + 2] = (v >>> 8) & 255;
  input[at + 3] = v & 255;
}

/** SHA-1 (FIPS 180-4) of input[0, len) for len ≤ 55: one padded block. */
function sha1OneBlock(len: number): void {
  input[len] = 0x80;
  const bits = len * 8;
  input[62] = (bits >>> 8) & 255;
  input[63] = bits & 255;
  for (let i = 0; i < 16; i++)
    W[i] = (input[4 * i] << 24) | (input[4 * i + 1] << 16) | (input[4 * i + 2] << 8) | input[4 * i + 3];
  for (let i = 16; i < 80; i++) {
    const x = W[i - 3] ^ W[i - 8] ^ W[i - 14] ^ W[i - 16];
    W[i] = (x << 1) | (x >>> 31);
  }
  let a = 0x67452301;
  let b = 0xefcdab89 | 0;
  let c = 0x98badcfe | 0;
  let d = 0x10325476;
  let e = 0xc3d2e1f0 | 0;
  for (let i = 0; i < 80; i++) {
    let f: number;
    let k: number;
    if (i < 20) {
      f = (b & c) | (~b & d);
      k = 0x5a827999;
    } else if (i < 40) {
      f = b ^ c ^ d;
      k = 0x6ed9eba1;
    } else if (i < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8f1bbcdc | 0;
    } else {
      f = b ^ c ^ d;
      k = 0xca62c1d6 | 0;
    }
    const t = (((a << 5) | (a >>> 27)) + f + e + k + W[i]) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  putDigest(0, 0x67452301 + a);
  putDigest(4, 0xefcdab89 + b);
  putDigest(8, 0x98badcfe + c);
  putDigest(12, 0x10325476 + d);
  putDigest(16, 0xc3d2e1f0 + e);
}

function putDigest(at: number, v: number): void {
  digest[at] = (v >>> 24) & 255;
  digest[at + 1] = (v >>> 16) & 255;
  digest[at + 2] = (v >>> 8) & 255;
  digest[at + 3] = v & 255;
}

/** A finished flow's Community ID (its initiator as the source). */
export function flowCommunityId(f: FlowRecord, addresses: AddressTable): string | null {
  return communityId(
    f.proto,
    addresses.familyOf(f.srcId),
    addresses.wordsOf(f.srcId),
    addresses.wordsOf(f.dstId),
    f.srcPort,
    f.dstPort,
  );
}
