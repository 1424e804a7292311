import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Reader, type Response } from 'mmdb-lib';
import { parseIpv4, parseIpv6 } from '../analysis/index.js';

/**
 * Country and autonomous system of public addresses, from data shipped in npm packages (nothing is
 * downloaded at run time; updating the packages refreshes it):
 * - country: `@ip-location-db/geo-whois-asn-country-mmdb` (CC0), an MMDB read with `mmdb-lib`;
 * - AS number and name: `@ip-location-db/asn` (CC BY 4.0, RouteViews, DB-IP and the RIRs via the
 *   NRO). The family publishes its ASN data on npm as CSV only, so each family's file is read
 *   into sorted typed arrays on its first lookup and searched by binary search.
 * Both are loaded on first use (IPv6 ranges on the first IPv6 lookup), not at import, so commands
 * that never enrich pay nothing.
 */

export interface GeoInfo {
  /** ISO 3166-1 alpha-2, or null when the data has no country for the address. */
  country: string | null;
  asn: number | null;
  asName: string | null;
}

/** What the enrichment data says, for the README's attribution and the API. */
export const GEO_SOURCES = {
  country: { package: '@ip-location-db/geo-whois-asn-country-mmdb', license: 'CC0-1.0' },
  asn: {
    package: '@ip-location-db/asn',
    license: 'CC-BY-4.0',
    attribution: 'AS data by RouteViews, DB-IP (db-ip.com) and the NRO, CC BY 4.0',
  },
} as const;

const require = createRequire(import.meta.url);
const packageDir = (name: string) => dirname(require.resolve(`${name}/package.json`));

/**
 * One family's ranges, ascending: start and end (inclusive; four words each for IPv6), the AS
 * number, and where its name lies in the file's bytes (decoded only when an answer needs it: the
 * IPv4 file has 400,000 rows, and a string per row cost seconds on a loaded machine).
 */
interface AsnRanges {
  words: 1 | 4;
  start: Uint32Array;
  end: Uint32Array;
  asn: Uint32Array;
  nameAt: Uint32Array;
  nameEnd: Uint32Array;
  bytes: Buffer;
}

let countryReader: Reader<Response> | null = null;

function countries(): Reader<Response> {
  countryReader ??= new Reader<Response>(
    readFileSync(join(packageDir(GEO_SOURCES.country.package), 'geo-whois-asn-country.mmdb')),
  );
  return countryReader;
}

let v4Ranges: AsnRanges | null = null;
let v6Ranges: AsnRanges | null = null;

/** Reads `start,end,asn,name` rows: IPv4 from the numeric file, IPv6 from the text one. */
function loadRanges(file: string, words: 1 | 4): AsnRanges {
  const bytes = readFileSync(join(packageDir(GEO_SOURCES.asn.package), file));
  let rows = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 10) rows++;
  rows++;
  const r: AsnRanges = {
    words,
    start: new Uint32Array(rows * words),
    end: new Uint32Array(rows * words),
    asn: new Uint32Array(rows),
    nameAt: new Uint32Array(rows),
    nameEnd: new Uint32Array(rows),
    bytes,
  };
  let n = 0;
  let p = 0;
  const len = bytes.length;
  while (p < len) {
    let eol = bytes.indexOf(10, p);
    if (eol < 0) eol = len;
    const c1 = bytes.indexOf(44, p);
    const c2 = c1 < 0 ? -1 : bytes.indexOf(44, c1 + 1);
    const c3 = c2 < 0 ? -1 : bytes.indexOf(44, c2 + 1);
    if (c3 > 0 && c3 < eol) {
      let ok = true;
      if (words === 1) {
        r.start[n] = digits(bytes, p, c1);
        r.end[n] = digits(bytes, c1 + 1, c2);
      } else {
        ok = ipv6Into(bytes, p, c1, r.start, n * 4) && ipv6Into(bytes, c1 + 1, c2, r.end, n * 4);
      }
      if (ok) {
        r.asn[n] = digits(bytes, c2 + 1, c3);
        r.nameAt[n] = c3 + 1;
        r.nameEnd[n] = eol > c3 + 1 && bytes[eol - 1] === 13 ? eol - 1 : eol;
        n++;
      }
    }
    p = eol + 1;
  }
  r.start = r.start.subarray(0, n * words);
  r.end = r.end.subarray(0, n * words);
  r.asn = r.asn.subarray(0, n);
  return r;
}

const groups = new Uint16Array(8);

/**
 * IPv6 text in b[from, to) into four words at out[at…], without a string per address (100,000
 * rows); text it does not expect (an embedded IPv4 tail) goes through the general parser.
 */
function ipv6Into(b: Buffer, from: number, to: number, out: Uint32Array, at: number): boolean {
  let n = 0;
  let gap = -1;
  let v = 0;
  let hex = 0;
  for (let i = from; i < to; i++) {
    const c = b[i];
    if (c === 58) {
      if (i + 1 < to && b[i + 1] === 58) {
        if (gap >= 0) return false;
        if (hex > 0) groups[n++] = v;
        gap = n;
        i++;
      } else {
        if (hex === 0 || n >= 8) return false;
        groups[n++] = v;
      }
      v = 0;
      hex = 0;
      continue;
    }
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (d < 0 || hex === 4) {
      const w = parseIpv6(b.toString('latin1', from, to));
      if (!w) return false;
      out.set(w, at);
      return true;
    }
    v = v * 16 + d;
    hex++;
  }
  if (hex > 0) {
    if (n >= 8) return false;
    groups[n++] = v;
  }
  if (gap < 0 ? n !== 8 : n > 7) return false;
  const fill = 8 - n;
  const g = (k: number) => (gap < 0 || k < gap ? groups[k] : k < gap + fill ? 0 : groups[k - fill]);
  for (let k = 0; k < 4; k++) out[at + k] = ((g(2 * k) << 16) | g(2 * k + 1)) >>> 0;
  return true;
}

function digits(b: Buffer, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) v = v * 10 + (b[i] - 48);
  return v;
}

/** A row's name: quoted with doubled quotes when it holds a comma or a quote. */
function nameOf(r: AsnRanges, i: number): string {
  const text = r.bytes.toString('utf8', r.nameAt[i], r.nameEnd[i]);
  return text.startsWith('"') && text.endsWith('"') && text.length >= 2
    ? text.slice(1, -1).replaceAll('""', '"')
    : text;
}

/** Compares the range bound at a[i*words…] with the address words: <0, 0, >0. */
function cmp(a: Uint32Array, words: number, i: number, w: ArrayLike<number>): number {
  const o = i * words;
  for (let k = 0; k < words; k++) {
    const d = a[o + k] - (w[k] >>> 0);
    if (d !== 0) return d;
  }
  return 0;
}

function asnOf(family: 4 | 6, words: ArrayLike<number>): { asn: number; name: string } | null {
  const r =
    family === 4
      ? (v4Ranges ??= loadRanges('asn-ipv4-num.csv', 1))
      : (v6Ranges ??= loadRanges('asn-ipv6.csv', 4));
  // The last range whose start is at or below the address; it holds the address if its end does.
  let lo = 0;
  let hi = r.asn.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (cmp(r.start, r.words, mid, words) <= 0) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (found < 0 || cmp(r.end, r.words, found, words) < 0) return null;
  return { asn: r.asn[found], name: nameOf(r, found) };
}

/** Answers kept per address text; cleared when full, so memory stays bounded on any capture. */
const CACHE_LIMIT = 200_000;
const cache = new Map<string, GeoInfo>();

/**
 * Country and AS of one address (dotted quad or IPv6 text), or null when it is not an address.
 * An address the data does not cover (private, reserved, unallocated) gives nulls.
 */
export function lookupGeo(address: string): GeoInfo | null {
  const hit = cache.get(address);
  if (hit) return hit;
  const v4 = parseIpv4(address);
  const words = v4 !== null ? [v4, 0, 0, 0] : address.includes(':') ? parseIpv6(address) : null;
  if (words === null) return null;
  const family = v4 !== null ? 4 : 6;
  // This database's records are `{ country_code: "NL" }`, not MaxMind's nested country object.
  const record = countries().get(address) as { country_code?: string } | null;
  const country = record?.country_code ?? null;
  const as = asnOf(family, words);
  const info: GeoInfo = { country, asn: as?.asn ?? null, asName: as?.name ?? null };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(address, info);
  return info;
}
