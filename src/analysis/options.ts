import { formatIpv6 } from './address-table.js';
import { parseIpv4, parseIpv6 } from './local-nets.js';

/** A bad analysis option as a user typed it (CLI flag or upload field); the message says why. */
export class OptionError extends Error {
  override name = 'OptionError';
}

/** An address as the analysis writes it (IPv6 compressed, lower case), or null if it is none. */
export function canonicalIp(text: string): string | null {
  const v4 = parseIpv4(text);
  if (v4 !== null) return `${v4 >>> 24}.${(v4 >>> 16) & 255}.${(v4 >>> 8) & 255}.${v4 & 255}`;
  if (!text.includes(':')) return null;
  const words = parseIpv6(text);
  return words === null ? null : formatIpv6(words);
}
