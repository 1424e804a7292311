/** The default local networks (README, `--local-net`): private, shared, link-local and loopback ranges. */
export const DEFAULT_LOCAL_NETS = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  '169.254.0.0/16',
  '127.0.0.0/8',
  'fc00::/7',
  'fe80::/10',
  '::1/128',
];

interface Cidr {
  family: 4 | 6;
  words: number[];
  prefix: number;
}

export class CidrError extends Error {
  override name = 'CidrError';
}

/** Parses "a.b.c.d/n" or an IPv6 "x::y/n" (a bare address means a single host). */
export function parseCidr(text: string): Cidr {
  const [addr, prefixText, extra] = text.trim().split('/');
  if (extra !== undefined || !addr) throw new CidrError(`not a network: '${text}'`);
  const v4 = parseIpv4(addr);
  const words = v4 !== null ? [v4, 0, 0, 0] : parseIpv6(addr);
  if (words === null) throw new CidrError(`not an IP address: '${addr}' in '${text}'`);
  const family = v4 !== null ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d+$/.test(prefixText ?? String(max)) || prefix > max) {
    throw new CidrError(`bad prefix length in '${text}' (0 to ${max})`);
  }
  return { family, words, prefix };
}

export function parseIpv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    v = v * 256 + Number(p);
  }
  return v;
}

export function parseIpv6(text: string): number[] | null {
  let s = text.toLowerCase();
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  let tailV4: number | null = null;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.', lastColon)) {
    tailV4 = parseIpv4(s.slice(lastColon + 1));
    if (tailV4 === null) return null;
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string) => (part === '' ? [] : part.split(':'));
  const head = parse(halves[0]);
  const tail = halves.length === 2 ? parse(halves[1]) : [];
  const fill = 8 - head.length - tail.length;
  if ((halves.length === 1 && fill !== 0) || fill < 0) return null;
  const groups: number[] = [];
  for (const g of [...head, ...Array<string>(halves.length === 2 ? fill : 0).fill('0'), ...tail]) {
    if (!/^[0-9a-f]{1,4}$/.test(g)) return null;
    groups.push(Number.parseInt(g, 16));
  }
  if (groups.length !== 8) return null;
  const words = [0, 1, 2, 3].map((i) => (groups[2 * i] * 65536 + groups[2 * i + 1]) >>> 0);
  if (tailV4 !== null) words[3] = tailV4;
  return words;
}

/**
 * Multicast (224.0.0.0/4, ff00::/8) and the limited broadcast (255.255.255.255): a packet sent to
 * one never leaves the sender's side, so direction puts it on the sender's side (README).
 */
export function isGroupAddress(family: number, words: ArrayLike<number>): boolean {
  const w = words[0] >>> 0;
  if (family === 4) return w >>> 28 === 0xe || w === 0xffffffff;
  return w >>> 24 === 0xff;
}

/** 0.0.0.0 or ::, the source of a host that has no address yet (DHCP, IPv6 duplicate-address detection): on the local link. */
export function isUnspecifiedAddress(family: number, words: ArrayLike<number>): boolean {
  if (family === 4) return words[0] === 0;
  return words[0] === 0 && words[1] === 0 && words[2] === 0 && words[3] === 0;
}

/** Whether an address (its family and int32 words) lies in the network `c`. */
export function inCidr(c: Cidr, family: number, words: ArrayLike<number>): boolean {
  if (c.family !== family) return false;
  let bits = c.prefix;
  for (let i = 0; i < 4 && bits > 0; i++, bits -= 32) {
    const mask = bits >= 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
    if (((words[i] ^ c.words[i]) & mask) >>> 0 !== 0) return false;
  }
  return true;
}

/** Decides whether an address lies in one of the session's local networks. */
export class LocalNets {
  readonly cidrs: Cidr[];

  constructor(readonly texts: string[] = DEFAULT_LOCAL_NETS) {
    this.cidrs = texts.map(parseCidr);
  }

  contains(family: number, words: ArrayLike<number>): boolean {
    for (const c of this.cidrs) if (inCidr(c, family, words)) return true;
    return false;
  }
}
