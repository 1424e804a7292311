// Application hints from a flow's first payload bytes. Every read is bounds-checked against the
// captured length (a snaplen may cut the payload): a cut payload gives a partial answer or null,
// never an exception. Only called for a flow's first few payload packets, so strings are fine.

import { asciiText, startsWithIgnoreCase, utf8Text } from '../protocols/text.js';

const MAX_NAME = 255;
/** Bytes of a DNS message the parser can reach: 2 (TCP length) + 12 (header) + a 255-byte name. */
export const DNS_SCAN = 512;

export interface DnsHint {
  queryName: string | null;
  rcode: number | null;
  isResponse: boolean;
}

/** DNS message (over TCP after its 2-byte length): first question's name, and the response code. */
export function parseDns(buf: Uint8Array, off: number, len: number, overTcp: boolean): DnsHint | null {
  let p = off;
  let end = off + len;
  if (overTcp) {
    if (len < 2) return null;
    const msgLen = (buf[p] << 8) | buf[p + 1];
    p += 2;
    end = Math.min(end, p + msgLen);
  }
  if (end - p < 12) return null;
  const flags = (buf[p + 2] << 8) | buf[p + 3];
  const opcode = (flags >> 11) & 15;
  const qdcount = (buf[p + 4] << 8) | buf[p + 5];
  if (opcode > 6 || qdcount === 0 || qdcount > 16) return null;
  const isResponse = (flags & 0x8000) !== 0;
  const rcode = isResponse ? flags & 15 : null;
  return { queryName: readName(buf, p + 12, end), rcode, isResponse };
}

/** A question name (no compression pointers are valid there); null when cut short or invalid. */
function readName(buf: Uint8Array, p: number, end: number): string | null {
  const labels: string[] = [];
  let total = 0;
  while (p < end) {
    const n = buf[p++];
    if (n === 0) return labels.length === 0 ? '.' : labels.join('.');
    if (n > 63 || p + n > end) return null;
    total += n + 1;
    if (total > MAX_NAME) return null;
    // Labels are bytes; names beyond ASCII are UTF-8 where anything says (mDNS, RFC 6762 §16).
    labels.push(utf8Text(buf, p, p + n, n).toLowerCase());
    p += n;
  }
  return null;
}

export interface TlsHint {
  sni: string | null;
}

/** Whether the payload starts like a TLS ClientHello (what `parseTlsClientHello` needs to start). */
export function isClientHello(buf: Uint8Array, off: number, len: number): boolean {
  // Record: type 22 (handshake), version 3.x, length; then handshake type 1 (ClientHello).
  return len >= 9 && buf[off] === 0x16 && buf[off + 1] === 3 && buf[off + 5] === 1;
}

/** TLS ClientHello: the server_name extension's first host name. */
export function parseTlsClientHello(buf: Uint8Array, off: number, len: number): TlsHint | null {
  const end = off + len;
  if (!isClientHello(buf, off, len)) return null;
  let p = off + 9; // record header (5) + handshake type and length (4)
  p += 2 + 32; // client version, random
  if (p + 1 > end) return { sni: null };
  p += 1 + buf[p]; // session id
  if (p + 2 > end) return { sni: null };
  p += 2 + ((buf[p] << 8) | buf[p + 1]); // cipher suites
  if (p + 1 > end) return { sni: null };
  p += 1 + buf[p]; // compression methods
  if (p + 2 > end) return { sni: null };
  const extEnd = Math.min(end, p + 2 + ((buf[p] << 8) | buf[p + 1]));
  p += 2;
  while (p + 4 <= extEnd) {
    const type = (buf[p] << 8) | buf[p + 1];
    const extLen = (buf[p + 2] << 8) | buf[p + 3];
    p += 4;
    if (type === 0) {
      // server_name list: length (2), then entries of type (1), length (2), name.
      let q = p + 2;
      const listEnd = Math.min(extEnd, p + extLen);
      while (q + 3 <= listEnd) {
        const nameType = buf[q];
        const nameLen = (buf[q + 1] << 8) | buf[q + 2];
        q += 3;
        if (q + nameLen > listEnd) return { sni: null };
        // A host name here is an A-label (RFC 6066 §3): ASCII, any other byte is not a character.
        if (nameType === 0) return { sni: asciiText(buf, q, q + nameLen, MAX_NAME).toLowerCase() };
        q += nameLen;
      }
      return { sni: null };
    }
    p += extLen;
  }
  return { sni: null };
}

export interface HttpHint {
  method: string;
  host: string | null;
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE'];
/** Bytes of a request the HTTP parser looks at. */
export const HTTP_SCAN = 4096;

/** The HTTP request method the payload starts with (and a space), or null. */
export function httpMethodAt(buf: Uint8Array, off: number, len: number): string | null {
  for (const m of METHODS) {
    if (len > m.length && buf[off + m.length] === 0x20 && startsWith(buf, off, off + len, m)) return m;
  }
  return null;
}

/** HTTP/1.x request: its method and Host header. */
export function parseHttpRequest(buf: Uint8Array, off: number, len: number): HttpHint | null {
  const method = httpMethodAt(buf, off, len);
  if (method === null) return null;
  const end = off + Math.min(len, HTTP_SCAN);
  // Walk header lines; stop at the blank line that ends the headers.
  let p = off;
  while (p < end && buf[p] !== 0x0a) p++;
  p++;
  while (p < end) {
    let e = p;
    while (e < end && buf[e] !== 0x0a) e++;
    const lineEnd = e > p && buf[e - 1] === 0x0d ? e - 1 : e;
    if (lineEnd === p) break;
    if (lineEnd - p > 5 && startsWithIgnoreCase(buf, p, lineEnd, 'host:')) {
      if (e === end) return { method, host: null }; // header cut short
      // UTF-8, as the HTTP log reads every header (http-log.ts), so a name reads the same in both.
      const host = utf8Text(buf, p + 5, lineEnd, MAX_NAME).trim();
      return { method, host: host === '' ? null : host };
    }
    p = e + 1;
  }
  return { method, host: null };
}

/** Whether the bytes at p spell `word` (ASCII), without building a string. */
function startsWith(buf: Uint8Array, p: number, end: number, word: string): boolean {
  if (p + word.length > end) return false;
  for (let i = 0; i < word.length; i++) if (buf[p + i] !== word.charCodeAt(i)) return false;
  return true;
}
