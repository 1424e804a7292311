// Small helpers of the rules that read the protocol logs.

/** Shannon entropy of a string's characters, in bits per character. */
export function entropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

// Second-level labels under which a country code's registrations sit (example.co.uk, a.com.au):
// the domain a tunnel encodes under is then three labels. A short list, not the Public Suffix List.
const SECOND_LEVEL = new Set(['co', 'com', 'net', 'org', 'gov', 'ac', 'edu', 'ne', 'or', 'go']);

/**
 * The domain a name is registered under and the part before it: "x7f2.t.evil.example" →
 * ["evil.example", "x7f2.t"]. A name of one or two labels is its own domain with no subdomain.
 */
export function splitDomain(name: string): [string, string] {
  const labels = name.toLowerCase().replace(/\.$/, '').split('.');
  let keep = 2;
  if (
    labels.length >= 3 &&
    labels[labels.length - 1].length === 2 &&
    SECOND_LEVEL.has(labels[labels.length - 2])
  )
    keep = 3;
  if (labels.length <= keep) return [labels.join('.'), ''];
  return [labels.slice(-keep).join('.'), labels.slice(0, -keep).join('.')];
}
