import { formatIpv6 } from './address-table.js';
import { CidrError, DEFAULT_LOCAL_NETS, parseCidr, parseIpv4, parseIpv6 } from './local-nets.js';

/** A bad analysis option as a user typed it (CLI flag or upload field); the message says why. */
export class OptionError extends Error {
  override name = 'OptionError';
}

/** `auto` (null) or a window length in seconds, 0.001 to 86400. */
export function parseWindowOption(text: string, what = '--window'): number | null {
  if (text === 'auto') return null;
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(n >= 0.001) || n > 86400) {
    throw new OptionError(`${what} must be 'auto' or a number of seconds from 0.001 to 86400, not '${text}'`);
  }
  return n;
}

/** Local networks from comma-separated lists of CIDRs; the default local networks when there are none. */
export function parseLocalNetsOption(values: string[] | undefined, what = '--local-net'): string[] {
  const nets = (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
  if (nets.length === 0) return DEFAULT_LOCAL_NETS;
  for (const net of nets) {
    try {
      parseCidr(net);
    } catch (e) {
      if (e instanceof CidrError) throw new OptionError(`${what}: ${e.message}`);
      throw e;
    }
  }
  return nets;
}

/** An address as the analysis writes it (IPv6 compressed, lower case), or null if it is none. */
export function canonicalIp(text: string): string | null {
  const v4 = parseIpv4(text);
  if (v4 !== null) return `${v4 >>> 24}.${(v4 >>> 16) & 255}.${(v4 >>> 8) & 255}.${v4 & 255}`;
  if (!text.includes(':')) return null;
  const words = parseIpv6(text);
  return words === null ? null : formatIpv6(words);
}
