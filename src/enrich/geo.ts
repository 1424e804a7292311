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
 *   NRO). The family publishes its ASN data on npm as CSV only, so it is read into sorted typed
 *   arrays once per process and searched by binary search.
 * Both are loaded on first use (about a second), not at import, so commands that never enrich pay
 * nothing.
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

interface AsnTable {
  /** IPv4: start and end (inclusive) of each range, ascending. */
  v4Start: Uint32Array;
  v4End: Uint32Array;
  v4Asn: Uint32Array;
  v4Name: Uint32Array;
  /** IPv6: four words per range for start and end, ascending. */
  v6Start: Uint32Array;
  v6End: Uint32Array;
  v6Asn: Uint32Array;
  v6Name: Uint32Array;
  names: string[];
}

let countryReader: Reader<Response> | null = null;
let asnTable: AsnTable | null = null;

function countries(): Reader<Response> {
  countryReader ??= new Reader<Response>(
    readFileSync(join(packageDir(GEO_SOURCES.country.package), 'geo-whois-asn-country.mmdb')),
  );
  return countryReader;
}

/** One CSV line's fields: `start,end,asn,name` where the name may be quoted with doubled quotes. */
function splitLine(line: string): [string, string, string, string] | null {
  const a = line.indexOf(',');
  const b = line.indexOf(',', a + 1);
  const c = line.indexOf(',', b + 1);
  if (a < 0 || b < 0 || c < 0) return null;
  let name = line.slice(c + 1);
  if (name.startsWith('"')) name = name.slice(1, name.endsWith('"') ? -1 : undefined).replaceAll('""', '"');
  return [line.slice(0, a), line.slice(a + 1, b), line.slice(b + 1, c), name];
}

function loadAsn(): AsnTable {
  const dir = packageDir(GEO_SOURCES.asn.package);
  const names: string[] = [];
  const nameIds = new Map<string, number>();
  const nameId = (n: string) => {
    let id = nameIds.get(n);
    if (id === undefined) {
      id = names.length;
      names.push(n);
      nameIds.set(n, id);
    }
    return id;
  };
  // IPv4 from the numeric file: no address parsing.
  const v4Lines = readFileSync(join(dir, 'asn-ipv4-num.csv'), 'utf8').split('\n');
  const v4Start = new Uint32Array(v4Lines.length);
  const v4End = new Uint32Array(v4Lines.length);
  const v4Asn = new Uint32Array(v4Lines.length);
  const v4Name = new Uint32Array(v4Lines.length);
  let n4 = 0;
  for (const line of v4Lines) {
    const f = splitLine(line);
    if (!f) continue;
    v4Start[n4] = Number(f[0]);
    v4End[n4] = Number(f[1]);
    v4Asn[n4] = Number(f[2]);
    v4Name[n4] = nameId(f[3]);
    n4++;
  }
  const v6Lines = readFileSync(join(dir, 'asn-ipv6.csv'), 'utf8').split('\n');
  const v6Start = new Uint32Array(v6Lines.length * 4);
  const v6End = new Uint32Array(v6Lines.length * 4);
  const v6Asn = new Uint32Array(v6Lines.length);
  const v6Name = new Uint32Array(v6Lines.length);
  let n6 = 0;
  for (const line of v6Lines) {
    const f = splitLine(line);
    if (!f) continue;
    const s = parseIpv6(f[0]);
    const e = parseIpv6(f[1]);
    if (!s || !e) continue;
    v6Start.set(s, n6 * 4);
    v6End.set(e, n6 * 4);
    v6Asn[n6] = Number(f[2]);
    v6Name[n6] = nameId(f[3]);
    n6++;
  }
  return {
    v4Start: v4Start.subarray(0, n4),
    v4End: v4End.subarray(0, n4),
    v4Asn: v4Asn.subarray(0, n4),
    v4Name: v4Name.subarray(0, n4),
    v6Start: v6Start.subarray(0, n6 * 4),
    v6End: v6End.subarray(0, n6 * 4),
    v6Asn: v6Asn.subarray(0, n6),
    v6Name: v6Name.subarray(0, n6),
    names,
  };
}

/** Compares the four words at a[i*4…] with w: <0, 0, >0. */
function cmp6(a: Uint32Array, i: number, w: ArrayLike<number>): number {
  const o = i * 4;
  for (let k = 0; k < 4; k++) {
    const d = a[o + k] - (w[k] >>> 0);
    if (d !== 0) return d;
  }
  return 0;
}

function asnOf(family: 4 | 6, words: ArrayLike<number>): { asn: number; name: string } | null {
  asnTable ??= loadAsn();
  const t = asnTable;
  // The last range whose start is at or below the address; it holds the address if its end does.
  let lo = 0;
  let hi = (family === 4 ? t.v4Asn.length : t.v6Asn.length) - 1;
  let found = -1;
  const v = words[0] >>> 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = family === 4 ? t.v4Start[mid] - v : cmp6(t.v6Start, mid, words);
    if (c <= 0) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (found < 0) return null;
  if (family === 4) {
    if (t.v4End[found] < v) return null;
    return { asn: t.v4Asn[found], name: t.names[t.v4Name[found]] };
  }
  if (cmp6(t.v6End, found, words) < 0) return null;
  return { asn: t.v6Asn[found], name: t.names[t.v6Name[found]] };
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
