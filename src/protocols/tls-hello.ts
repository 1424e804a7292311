// TLS ClientHello and ServerHello bodies (RFC 8446 §4.1.2-4.1.3; RFC 5246 §7.4.1), read from a
// handshake message's body after its 4-byte header. The body may be cut short (a snaplen, a lost
// segment): it is read as far as it goes and marked incomplete. Inner lengths that disagree with
// their container mark it malformed; neither ever throws.

import { u16be } from '../capture/bytes.js';
import { asciiText } from './text.js';

export const EXT_SERVER_NAME = 0;
export const EXT_SUPPORTED_GROUPS = 10;
export const EXT_EC_POINT_FORMATS = 11;
export const EXT_SIGNATURE_ALGORITHMS = 13;
export const EXT_ALPN = 16;
export const EXT_SUPPORTED_VERSIONS = 43;

export const TLS13 = 0x0304;

/** Host names, ALPN protocol names and their count are capped: a hello chooses them. */
const MAX_NAME = 255;
const MAX_ALPN = 16;

/** GREASE values (RFC 8701): 0x?a?a with both bytes equal. Fingerprints leave them out. */
export function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && v >> 8 === (v & 0xff);
}

export interface ClientHello {
  /** The legacy version field (0x0303 for TLS 1.2 and 1.3). */
  version: number;
  /** Cipher suites, extension types and the lists below in the order offered, GREASE included. */
  ciphers: number[];
  extensions: number[];
  /** The first host name of the server_name extension (ASCII), or null. */
  serverName: string | null;
  alpn: string[];
  /** The first ALPN protocol's bytes (JA4 reads its first and last byte), or null. */
  alpnFirst: Uint8Array | null;
  supportedVersions: number[];
  groups: number[];
  pointFormats: number[];
  signatureAlgorithms: number[];
  /** False when the body was cut short: what follows the cut is missing (and fingerprints are not made). */
  complete: boolean;
  /** An inner length disagreed with its container (what it held was skipped). */
  malformed: boolean;
}

export interface ServerHello {
  version: number;
  cipher: number;
  compression: number;
  extensions: number[];
  /** The supported_versions extension's choice (TLS 1.3), or -1. */
  selectedVersion: number;
  /** The protocol the server chose by ALPN, or null. */
  alpn: string | null;
  /** A HelloRetryRequest (a ServerHello with the special random): the client will say hello again. */
  retryRequest: boolean;
  complete: boolean;
  malformed: boolean;
}

/** The random value that makes a ServerHello a HelloRetryRequest (SHA-256 of "HelloRetryRequest"). */
const RETRY_RANDOM = Uint8Array.from(
  Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex'),
);

/** The negotiated version: the ServerHello's supported_versions choice, else its version field. */
export function negotiatedVersion(server: ServerHello): number {
  return server.selectedVersion >= 0 ? server.selectedVersion : server.version;
}

const VERSION_NAMES: Record<number, string> = {
  2: 'SSLv2',
  768: 'SSLv3',
  769: 'TLSv10',
  770: 'TLSv11',
  771: 'TLSv12',
  772: 'TLSv13',
};

/** A version as Zeek's ssl.log writes it (`TLSv12`), or `unknown-<hex>`. */
export function tlsVersionName(v: number): string {
  return VERSION_NAMES[v] ?? `unknown-${v.toString(16).padStart(4, '0')}`;
}

/** A list of 16-bit values: 2-byte length, then the values; stops at `end`. */
function u16List(buf: Uint8Array, p: number, end: number, lengthBytes: 1 | 2, out: number[]): boolean {
  if (p + lengthBytes > end) return false;
  const n = lengthBytes === 2 ? u16be(buf, p) : buf[p];
  p += lengthBytes;
  const stop = p + n;
  if (stop > end || (n & 1) !== 0) return false;
  for (; p < stop; p += 2) out.push(u16be(buf, p));
  return true;
}

/**
 * The ClientHello body at buf[off, off + len), of which `have` bytes were captured. `complete` says
 * whether all of it was; `malformed`, whether it failed to read to its end or an inner length did
 * not fit.
 */
export function parseClientHello(buf: Uint8Array, off: number, len: number, have: number): ClientHello {
  const hello: ClientHello = {
    version: -1,
    ciphers: [],
    extensions: [],
    serverName: null,
    alpn: [],
    alpnFirst: null,
    supportedVersions: [],
    groups: [],
    pointFormats: [],
    signatureAlgorithms: [],
    complete: have >= len && off + len <= buf.length,
    malformed: false,
  };
  const end = Math.min(off + Math.min(len, have), buf.length);
  if (!readClientHello(buf, off, end, hello) && hello.complete) hello.malformed = true;
  return hello;
}

/** Reads the hello's fields from buf[off, end); false when it ends before its structure does. */
function readClientHello(buf: Uint8Array, off: number, end: number, hello: ClientHello): boolean {
  let p = off;
  if (p + 2 > end) return false;
  hello.version = u16be(buf, p);
  p += 2 + 32; // version, random
  if (p + 1 > end) return false;
  p += 1 + buf[p]; // session id
  if (p + 2 > end) return false;
  const ciphersEnd = p + 2 + u16be(buf, p);
  for (p += 2; p + 2 <= Math.min(ciphersEnd, end); p += 2) hello.ciphers.push(u16be(buf, p));
  if (p !== ciphersEnd) return false;
  if (p + 1 > end) return false;
  p += 1 + buf[p]; // compression methods
  return readExtensions(buf, p, end, hello, clientExtension);
}

/**
 * The extensions block at buf[p, end) (absent at the end is allowed: TLS 1.0-1.2 hellos may have
 * none): each type is listed, and its data handed to `read`, whose false marks the hello
 * malformed. False when the block does not fit.
 */
function readExtensions<H extends ClientHello | ServerHello>(
  buf: Uint8Array,
  p: number,
  end: number,
  hello: H,
  read: (buf: Uint8Array, p: number, end: number, type: number, hello: H) => boolean,
): boolean {
  if (p === end) return true;
  if (p + 2 > end) return false;
  const extEnd = p + 2 + u16be(buf, p);
  for (p += 2; p + 4 <= Math.min(extEnd, end); ) {
    const type = u16be(buf, p);
    const dataEnd = p + 4 + u16be(buf, p + 2);
    hello.extensions.push(type);
    if (dataEnd > Math.min(extEnd, end)) return false;
    if (!read(buf, p + 4, dataEnd, type, hello)) hello.malformed = true;
    p = dataEnd;
  }
  return p === extEnd && p === end;
}

/** One ClientHello extension's data at buf[p, end); false when its inner lengths disagree. */
function clientExtension(buf: Uint8Array, p: number, end: number, type: number, hello: ClientHello): boolean {
  switch (type) {
    case EXT_SERVER_NAME: {
      if (p + 2 > end) return false;
      const listEnd = p + 2 + u16be(buf, p);
      if (listEnd > end) return false;
      for (p += 2; p + 3 <= listEnd; ) {
        const nameType = buf[p];
        const n = u16be(buf, p + 1);
        p += 3;
        if (p + n > listEnd) return false;
        if (nameType === 0 && hello.serverName === null)
          hello.serverName = asciiText(buf, p, p + n, MAX_NAME);
        p += n;
      }
      return p === listEnd;
    }
    case EXT_ALPN: {
      if (p + 2 > end) return false;
      const listEnd = p + 2 + u16be(buf, p);
      if (listEnd > end) return false;
      for (p += 2; p + 1 <= listEnd; ) {
        const n = buf[p++];
        if (p + n > listEnd) return false;
        if (hello.alpnFirst === null) hello.alpnFirst = buf.slice(p, p + n);
        if (hello.alpn.length < MAX_ALPN) hello.alpn.push(asciiText(buf, p, p + n, MAX_NAME));
        p += n;
      }
      return p === listEnd;
    }
    case EXT_SUPPORTED_VERSIONS:
      return u16List(buf, p, end, 1, hello.supportedVersions);
    case EXT_SUPPORTED_GROUPS:
      return u16List(buf, p, end, 2, hello.groups);
    case EXT_SIGNATURE_ALGORITHMS:
      return u16List(buf, p, end, 2, hello.signatureAlgorithms);
    case EXT_EC_POINT_FORMATS: {
      if (p + 1 > end) return false;
      const listEnd = p + 1 + buf[p];
      if (listEnd > end) return false;
      for (p += 1; p < listEnd; p++) hello.pointFormats.push(buf[p]);
      return true;
    }
    default:
      return true;
  }
}

/** The ServerHello body at buf[off, off + len), of which `have` bytes were captured (as a ClientHello's). */
export function parseServerHello(buf: Uint8Array, off: number, len: number, have: number): ServerHello {
  const hello: ServerHello = {
    version: -1,
    cipher: -1,
    compression: -1,
    extensions: [],
    selectedVersion: -1,
    alpn: null,
    retryRequest: false,
    complete: have >= len && off + len <= buf.length,
    malformed: false,
  };
  const end = Math.min(off + Math.min(len, have), buf.length);
  if (!readServerHello(buf, off, end, hello) && hello.complete) hello.malformed = true;
  return hello;
}

function readServerHello(buf: Uint8Array, off: number, end: number, hello: ServerHello): boolean {
  let p = off;
  if (p + 2 + 32 > end) return false;
  hello.version = u16be(buf, p);
  p += 2;
  let retry = true;
  for (let i = 0; i < 32; i++) if (buf[p + i] !== RETRY_RANDOM[i]) retry = false;
  hello.retryRequest = retry;
  p += 32;
  if (p + 1 > end) return false;
  p += 1 + buf[p]; // session id
  if (p + 3 > end) return false;
  hello.cipher = u16be(buf, p);
  hello.compression = buf[p + 2];
  return readExtensions(buf, p + 3, end, hello, serverExtension);
}

/** One ServerHello extension's data at buf[p, end); false when it does not fit. */
function serverExtension(buf: Uint8Array, p: number, end: number, type: number, hello: ServerHello): boolean {
  if (type === EXT_SUPPORTED_VERSIONS) {
    if (end - p !== 2) return false;
    hello.selectedVersion = u16be(buf, p);
  } else if (type === EXT_ALPN) {
    // One protocol: the list's length (2), then the name's length (1) and the name.
    if (p + 3 > end || p + 3 + buf[p + 2] !== end) return false;
    hello.alpn = asciiText(buf, p + 3, end, MAX_NAME);
  }
  return true;
}
