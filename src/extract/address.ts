import { parseIpv4, parseIpv6 } from '../analysis/local-nets.js';
import { SelectionError } from './errors.js';

/** An IP address as the decoder holds one: 32-bit words in network order (IPv4 in word 0 only). */
export interface Address {
  v6: boolean;
  w0: number;
  w1: number;
  w2: number;
  w3: number;
}

export function parseAddress(text: string, what: string): Address {
  const t = String(text).trim();
  const v4 = parseIpv4(t);
  if (v4 !== null) return { v6: false, w0: v4, w1: 0, w2: 0, w3: 0 };
  const v6 = t.includes(':') ? parseIpv6(t) : null;
  if (v6 === null) throw new SelectionError(`${what} is not an IP address: '${text}'`);
  return { v6: true, w0: v6[0], w1: v6[1], w2: v6[2], w3: v6[3] };
}

/** Do the decoder's address words (of an IP packet of version `ip`) hold this address? */
export function isAddress(words: Uint32Array, ip: number, a: Address): boolean {
  if (a.v6)
    return ip === 6 && words[0] === a.w0 && words[1] === a.w1 && words[2] === a.w2 && words[3] === a.w3;
  return ip === 4 && words[0] === a.w0;
}

/** Orders addresses (for grouping a flow's two ends whichever way round they are given). */
export function compareAddresses(a: Address, b: Address): number {
  if (a.v6 !== b.v6) return a.v6 ? 1 : -1;
  return a.w0 - b.w0 || a.w1 - b.w1 || a.w2 - b.w2 || a.w3 - b.w3;
}
