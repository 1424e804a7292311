// Text from captured bytes. A capture chooses these bytes, so every decoder here caps its length,
// never fails, and replaces NUL with U+FFFD: the database's text cannot hold NUL, and the summary,
// the stored rows and every export must show the same string. Other control characters stay as
// they are (they are data); escaping them is the job of whatever writes a format they would break.

import { SocketAddress } from 'node:net';

const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

function withoutNul(s: string): string {
  return s.includes('\0') ? s.replaceAll('\0', '\uFFFD') : s;
}

/** UTF-8 from buf[start, end), at most `max` bytes of it; invalid sequences read as U+FFFD. */
export function utf8Text(buf: Uint8Array, start: number, end: number, max: number): string {
  const stop = Math.min(end, start + max, buf.length);
  if (stop <= start) return '';
  return withoutNul(utf8.decode(buf.subarray(start, stop)));
}

/**
 * ASCII from buf[start, end), at most `max` bytes: for fields the protocol defines as ASCII (a TLS
 * server name is an IDNA A-label), so a byte above 0x7f is not a character and reads as U+FFFD.
 */
export function asciiText(buf: Uint8Array, start: number, end: number, max: number): string {
  const stop = Math.min(end, start + max, buf.length);
  let s = '';
  for (let i = start; i < stop; i++) {
    const c = buf[i];
    s += c === 0 || c > 0x7f ? '\uFFFD' : String.fromCharCode(c);
  }
  return s;
}

/** Text the protocol parsers pass on from elsewhere (a certificate's names): NUL as U+FFFD, capped. */
export function cleanText(s: string, max: number): string {
  return withoutNul(s.length > max ? s.slice(0, max) : s);
}

export function ipv4Text(buf: Uint8Array, p: number): string {
  return `${buf[p]}.${buf[p + 1]}.${buf[p + 2]}.${buf[p + 3]}`;
}

/** An IPv6 address in its canonical text (RFC 5952: lower case, the longest zero run as ::). */
export function ipv6Text(buf: Uint8Array, p: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((buf[p + i] << 8) | buf[p + i + 1]).toString(16));
  return canonicalIpv6(groups.join(':')) as string;
}

/** IPv6 text in its canonical form (the system's inet_ntop, through SocketAddress), or null. */
export function canonicalIpv6(text: string): string | null {
  try {
    return new SocketAddress({ address: text, family: 'ipv6' }).address;
  } catch {
    return null;
  }
}

/** Whether `b` is a letter or a digit (ASCII). */
export function isAlnum(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
}

/** Lower-case ASCII letter of byte `b` (other bytes unchanged). */
export function lowerByte(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b | 0x20 : b;
}

/** Whether buf[p, p + word.length) spells `word` (given in lower case), ignoring ASCII case. */
export function startsWithIgnoreCase(buf: Uint8Array, p: number, end: number, word: string): boolean {
  if (p + word.length > end) return false;
  for (let i = 0; i < word.length; i++) if (lowerByte(buf[p + i]) !== word.charCodeAt(i)) return false;
  return true;
}
