// TLS fingerprints of a hello, made once per handshake (never per packet).
// - JA3 and JA3S (Salesforce): decimal fields joined by '-', sections by ',', GREASE values left out,
//   MD5 of that text; the same text tshark 4.0 writes as tls.handshake.ja3_full / ja3s_full.
// - JA4 (FoxIO, the TLS client fingerprint, BSD-3-Clause) from its technical specification
//   (github.com/FoxIO-LLC/ja4, technical_details/JA4.md): none of the other JA4+ methods.

import { createHash } from 'node:crypto';
import { isAlnum } from './text.js';
import { type ClientHello, EXT_ALPN, EXT_SERVER_NAME, isGrease, type ServerHello } from './tls-hello.js';

function withoutGrease(values: readonly number[]): number[] {
  return values.filter((v) => !isGrease(v));
}

/**
 * Hashes already made, by their text: a capture's hellos come from a few client and server
 * programs, so most fingerprints repeat, and a hash costs more than the lookup (the map starts
 * over when it holds DIGESTS_MAX).
 */
const digests = new Map<string, string>();
const DIGESTS_MAX = 8192;

function digest(algorithm: 'md5' | 'sha256', text: string): string {
  const key = algorithm === 'md5' ? `m${text}` : `s${text}`;
  let hex = digests.get(key);
  if (hex === undefined) {
    hex = createHash(algorithm).update(text).digest('hex');
    if (digests.size >= DIGESTS_MAX) digests.clear();
    digests.set(key, hex);
  }
  return hex;
}

function md5(text: string): string {
  return digest('md5', text);
}

/** JA3's text: version, ciphers, extensions, groups, point formats. */
export function ja3Text(hello: ClientHello): string {
  return [
    String(hello.version),
    withoutGrease(hello.ciphers).join('-'),
    withoutGrease(hello.extensions).join('-'),
    withoutGrease(hello.groups).join('-'),
    hello.pointFormats.join('-'),
  ].join(',');
}

export function ja3(hello: ClientHello): string {
  return md5(ja3Text(hello));
}

/** JA3S's text: version, the chosen cipher, extensions. */
export function ja3sText(hello: ServerHello): string {
  return `${hello.version},${hello.cipher},${withoutGrease(hello.extensions).join('-')}`;
}

export function ja3s(hello: ServerHello): string {
  return md5(ja3sText(hello));
}

const JA4_VERSIONS: Record<number, string> = {
  772: '13',
  771: '12',
  770: '11',
  769: '10',
  768: 's3',
  2: 's2',
  65279: 'd1',
  65277: 'd2',
  65276: 'd3',
};

function hex4(v: number): string {
  return v.toString(16).padStart(4, '0');
}

/** The first and last character of the first ALPN value; its hex digits' when either byte is not alphanumeric. */
function alpnChars(first: Uint8Array | null): string {
  if (first === null || first.length === 0) return '00';
  const a = first[0];
  const z = first[first.length - 1];
  if (isAlnum(a) && isAlnum(z)) return String.fromCharCode(a, z);
  const hex = Buffer.from(first).toString('hex');
  return hex[0] + hex[hex.length - 1];
}

function count2(n: number): string {
  return String(Math.min(n, 99)).padStart(2, '0');
}

function sha12(text: string): string {
  return digest('sha256', text).slice(0, 12);
}

export interface Ja4Options {
  /** Keep the ciphers and extensions in the order offered (JA4_o), instead of sorted. */
  original?: boolean;
  /** The lists themselves (JA4_r), instead of their truncated SHA-256. */
  raw?: boolean;
}

/**
 * JA4 of a ClientHello over TCP ("t"): `t13d1516h2_8daaf6152771_e5627efa2ab1`. The version is the
 * highest of supported_versions (else the hello's version field); counts and lists leave GREASE out;
 * the extension list leaves out SNI and ALPN (sorted form only; the original order keeps them), and
 * is followed by the signature algorithms in their order after an underscore (when there are any).
 * An empty list hashes to twelve zeros.
 */
export function ja4(hello: ClientHello, options: Ja4Options = {}): string {
  const ciphers = withoutGrease(hello.ciphers);
  const extensions = withoutGrease(hello.extensions);
  const versions = withoutGrease(hello.supportedVersions);
  const version = versions.length > 0 ? Math.max(...versions) : hello.version;
  const a =
    't' +
    (JA4_VERSIONS[version] ?? '00') +
    (extensions.includes(EXT_SERVER_NAME) ? 'd' : 'i') +
    count2(ciphers.length) +
    count2(extensions.length) +
    alpnChars(hello.alpnFirst);
  const listed = options.original
    ? extensions
    : extensions.filter((e) => e !== EXT_SERVER_NAME && e !== EXT_ALPN).sort((x, y) => x - y);
  const cipherList = (options.original ? ciphers : [...ciphers].sort((x, y) => x - y)).map(hex4).join(',');
  const signatures = withoutGrease(hello.signatureAlgorithms).map(hex4).join(',');
  let extensionList = listed.map(hex4).join(',');
  if (signatures !== '') extensionList += `_${signatures}`;
  if (options.raw) return `${a}_${cipherList}_${extensionList}`;
  const b = ciphers.length === 0 ? '000000000000' : sha12(cipherList);
  const c = listed.length === 0 ? '000000000000' : sha12(extensionList);
  return `${a}_${b}_${c}`;
}
