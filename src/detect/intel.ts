import { canonicalIp, inCidr, parseCidr } from '../analysis/index.js';

/**
 * Intel lists: addresses, networks, domains and TLS client fingerprints that an analyst wants to
 * hear about. A list is text, one entry per line, or CSV with the entry first and a description
 * after it; `#` starts a comment. Each entry's kind is told from its form.
 */

export type IntelKind = 'ip' | 'cidr' | 'domain' | 'ja3' | 'ja4';

export interface IntelEntry {
  kind: IntelKind;
  /** Canonical form: address text as the flows store it, lower-case domain or hash. */
  value: string;
  description: string | null;
  /** The list it came from (a file name, or the name given in the dashboard). */
  list: string;
}

export class IntelError extends Error {
  override name = 'IntelError';
}

const JA3 = /^[0-9a-f]{32}$/;
// FoxIO's JA4: protocol, version, SNI flag, counts, ALPN; then two 12-hex hashes.
const JA4 = /^[tqd][0-9s]{2}[di][0-9]{4}[0-9a-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$/;
const DOMAIN =
  /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** Splits one CSV line's first field from the rest (quotes allowed around either). */
function fields(line: string): [string, string | null] {
  const m = /^\s*(?:"((?:[^"]|"")*)"|([^,]*))\s*(?:,\s*(.*))?$/.exec(line);
  if (!m) return [line.trim(), null];
  const first = (m[1] !== undefined ? m[1].replaceAll('""', '"') : m[2]).trim();
  let rest = m[3]?.trim() ?? null;
  if (rest?.startsWith('"') && rest.endsWith('"') && rest.length >= 2)
    rest = rest.slice(1, -1).replaceAll('""', '"');
  return [first, rest === '' ? null : rest];
}

/** One entry from its text, or null when the text is none of the kinds. */
export function parseIntelEntry(text: string, description: string | null, list: string): IntelEntry | null {
  const t = text.trim();
  if (t.includes('/')) {
    try {
      const c = parseCidr(t);
      return { kind: 'cidr', value: `${canonicalIp(t.split('/')[0])}/${c.prefix}`, description, list };
    } catch {
      return null;
    }
  }
  // Address text as the flows store it (dotted quad, RFC 5952), so an exact match is a map lookup.
  const ip = canonicalIp(t);
  if (ip !== null) return { kind: 'ip', value: ip, description, list };
  const lower = t.toLowerCase().replace(/\.$/, '');
  if (JA4.test(lower)) return { kind: 'ja4', value: lower, description, list };
  if (JA3.test(lower)) return { kind: 'ja3', value: lower, description, list };
  // A name whose last label is all digits is a mistyped address (300.1.1.1), not a domain.
  if (DOMAIN.test(lower) && lower.includes('.') && !/\.\d+$/.test(lower))
    return { kind: 'domain', value: lower, description, list };
  return null;
}

/** At most this many entries over all lists: a list is matched in memory. */
export const INTEL_MAX_ENTRIES = 1_000_000;

/**
 * The entries of one list's text. A line that is none of the kinds is an error naming the list
 * and the line (a typo must not silently match nothing); a CSV header line "value,description"
 * (or any first line whose first field is a word like "indicator") is skipped.
 */
export function parseIntelList(text: string, list: string): IntelEntry[] {
  const out: IntelEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/^\uFEFF/, '');
    const hash = line.indexOf('#');
    const content = (hash === 0 || /\s#/.test(line) ? line.slice(0, hash) : line).trim();
    if (content === '') continue;
    const [value, description] = fields(content);
    const entry = parseIntelEntry(value, description, list);
    if (entry === null) {
      if (out.length === 0 && /^[a-z_ ]+$/i.test(value) && !value.includes('.')) continue; // a header
      throw new IntelError(
        `${list} line ${i + 1}: '${value.slice(0, 80)}' is not an IP address, network, domain, JA3 or JA4 hash`,
      );
    }
    out.push(entry);
    if (out.length > INTEL_MAX_ENTRIES)
      throw new IntelError(`${list}: more than ${INTEL_MAX_ENTRIES} entries`);
  }
  return out;
}

/** The entries compiled for lookups: exact maps, networks by family, domains by suffix. */
export class IntelMatcher {
  private ips = new Map<string, IntelEntry>();
  private cidrs: { family: 4 | 6; words: number[]; prefix: number; entry: IntelEntry }[] = [];
  private domains = new Map<string, IntelEntry>();
  private hashes = new Map<string, IntelEntry>();

  constructor(entries: readonly IntelEntry[]) {
    for (const e of entries) {
      if (e.kind === 'ip') this.ips.set(e.value, e);
      else if (e.kind === 'cidr') this.cidrs.push({ ...parseCidr(e.value), entry: e });
      else if (e.kind === 'domain') this.domains.set(e.value, e);
      else this.hashes.set(`${e.kind}:${e.value}`, e);
    }
  }

  get hasAddresses(): boolean {
    return this.ips.size > 0 || this.cidrs.length > 0;
  }

  /** The entry an address (its text and words) matches: the address itself, else a network. */
  address(text: string, family: number, words: ArrayLike<number>): IntelEntry | null {
    const exact = this.ips.get(text);
    if (exact) return exact;
    for (const c of this.cidrs) if (inCidr(c, family, words)) return c.entry;
    return null;
  }

  /** The entry a name matches: itself or any parent domain in the list (`evil.com` matches `a.evil.com`). */
  domain(name: string | null): IntelEntry | null {
    if (!name || this.domains.size === 0) return null;
    let d = name.toLowerCase().replace(/\.$/, '');
    for (;;) {
      const e = this.domains.get(d);
      if (e) return e;
      const dot = d.indexOf('.');
      if (dot < 0) return null;
      d = d.slice(dot + 1);
    }
  }

  fingerprint(kind: 'ja3' | 'ja4', hash: string | null): IntelEntry | null {
    return hash ? (this.hashes.get(`${kind}:${hash.toLowerCase()}`) ?? null) : null;
  }
}
