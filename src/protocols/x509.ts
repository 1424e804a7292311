// The server certificate's names and validity, read by node:crypto's X509Certificate (OpenSSL)
// once per distinct certificate. X509Certificate throws on anything it cannot parse (and would read a buffer
// that starts with "-----BEGIN" as PEM): only a DER SEQUENCE is handed to it, and a failure is an
// answer (null), not an exception.

import { createHash, X509Certificate } from 'node:crypto';
import { canonicalIpv6, cleanText } from './text.js';

/** Characters kept of a subject or issuer, and names kept of the subject alternative names. */
const MAX_NAME_TEXT = 1024;
const MAX_SAN = 100;

export interface CertificateSummary {
  /** Subject and issuer as RFC 4514 text, the most specific part first (`CN=www.bing.com,O=…,C=US`), as Zeek writes them. */
  readonly subject: string;
  readonly issuer: string;
  /** Validity in seconds since the epoch (null when OpenSSL's text could not be read as a date). */
  readonly notBefore: number | null;
  readonly notAfter: number | null;
  /** The subject alternative names: DNS names and IP addresses. */
  readonly sanDns: readonly string[];
  readonly sanIp: readonly string[];
  readonly serial: string;
  /** SHA-256 of the DER, lower-case hex (what certificate intel lists hold). */
  readonly sha256: string;
}

/**
 * Certificates already read, by SHA-256: OpenSSL takes a few hundred microseconds a certificate,
 * hashing a few, and servers send the same certificate to every client (the cache keeps at most
 * CACHE_MAX, and starts over when full). Summaries are frozen: rows share them.
 */
const cache = new Map<string, CertificateSummary | null>();
const CACHE_MAX = 4096;

/** The certificate in buf[off, off + len) (DER), or null when it cannot be parsed. */
export function readCertificate(buf: Uint8Array, off: number, len: number): CertificateSummary | null {
  if (len < 2 || buf[off] !== 0x30 || off + len > buf.length) return null;
  const der = buf.subarray(off, off + len);
  const sha256 = createHash('sha256').update(der).digest('hex');
  let summary = cache.get(sha256);
  if (summary === undefined) {
    summary = parse(der, sha256);
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(sha256, summary);
  }
  return summary;
}

function parse(der: Uint8Array, sha256: string): CertificateSummary | null {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch {
    return null;
  }
  const san = splitAltNames(cert.subjectAltName ?? '');
  return Object.freeze({
    subject: distinguishedName(cert.subject),
    issuer: distinguishedName(cert.issuer),
    notBefore: epochSeconds(cert.validFrom),
    notAfter: epochSeconds(cert.validTo),
    sanDns: Object.freeze(san.dns),
    sanIp: Object.freeze(san.ip),
    serial: cleanText(cert.serialNumber.toLowerCase(), 128),
    sha256,
  });
}

/**
 * OpenSSL gives one attribute a line, the least specific first, with RFC 4514 escapes (commas and
 * control characters escaped, so a line break never comes from a value): reversed and joined by
 * commas, that is RFC 4514 text.
 */
function distinguishedName(multiline: string): string {
  return cleanText(multiline.split('\n').reverse().join(','), MAX_NAME_TEXT);
}

/** OpenSSL's "Mar 16 01:24:53 2022 GMT" as seconds since the epoch. */
function epochSeconds(text: string): number | null {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms / 1000;
}

/**
 * Node writes the alternative names as `DNS:a, DNS:b, IP Address:1.2.3.4`, quoting (as a JSON
 * string) a name whose text would make that ambiguous: split on the separators outside quotes.
 */
function splitAltNames(text: string): { dns: string[]; ip: string[] } {
  const dns: string[] = [];
  const ip: string[] = [];
  let i = 0;
  while (i < text.length && dns.length + ip.length < MAX_SAN) {
    const colon = text.indexOf(':', i);
    if (colon < 0) break;
    const kind = text.slice(i, colon);
    let value: string;
    let next: number;
    if (text[colon + 1] === '"') {
      // A JSON string: find its closing quote (a backslash escapes the next character).
      let j = colon + 2;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      try {
        value = JSON.parse(text.slice(colon + 1, j + 1));
      } catch {
        value = text.slice(colon + 2, j);
      }
      next = text.indexOf(', ', j + 1);
    } else {
      next = text.indexOf(', ', colon + 1);
      value = text.slice(colon + 1, next < 0 ? text.length : next);
    }
    if (kind === 'DNS') dns.push(cleanText(value, 255));
    else if (kind === 'IP Address') ip.push(value.includes(':') ? (canonicalIpv6(value) ?? value) : value);
    if (next < 0) break;
    i = next + 2;
  }
  return { dns, ip };
}
