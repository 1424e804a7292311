import { formatCount } from '../../format/index.js';
import { type Insight, type RuleContext, windowsOfTimes } from './context.js';
import { entropy, splitDomain } from './log-util.js';

/**
 * DNS tunnelling or exfiltration: data encoded in the names asked for, so one domain gets many
 * distinct, long, random-looking subdomains. CDNs and telemetry use long names too, but repeat
 * them; a tunnel almost never asks the same name twice.
 */
export const DNS_TUNNEL = {
  /** Subdomains (the part before the registered domain) at least this long count… */
  minSubdomainLength: 24,
  /** …when their characters carry at least this many bits each (hex ≈ 3.7–4, base32/64 ≈ 4.5+). */
  minEntropy: 3.5,
  /** Distinct such subdomains of one domain, over the capture. */
  minDistinct: 50,
  /** From high: this many, or this many bytes carried in the names. */
  highDistinct: 500,
  highBytes: 20_000,
} as const;

export function dnsTunnels(ctx: RuleContext): Insight[] {
  const logs = ctx.logs;
  if (!logs || logs.dns.length === 0) return [];
  const domains = new Map<
    string,
    {
      subs: Set<string>;
      clients: Map<string, number>;
      servers: Set<string>;
      first: number;
      last: number;
      bytes: number;
    }
  >();
  for (const q of logs.dns) {
    const [domain, sub] = splitDomain(q.query);
    if (sub.length < DNS_TUNNEL.minSubdomainLength) continue;
    const d = domains.get(domain) ?? {
      subs: new Set<string>(),
      clients: new Map<string, number>(),
      servers: new Set<string>(),
      first: q.ts,
      last: q.ts,
      bytes: 0,
    };
    domains.set(domain, d);
    if (d.subs.has(sub)) continue;
    // Entropy of the letters and digits, labels joined: the dots are structure, not data.
    if (entropy(sub.replaceAll('.', '')) < DNS_TUNNEL.minEntropy) continue;
    d.subs.add(sub);
    d.bytes += sub.length;
    d.clients.set(q.client, (d.clients.get(q.client) ?? 0) + 1);
    d.servers.add(q.server);
    d.first = Math.min(d.first, q.ts);
    d.last = Math.max(d.last, q.ts);
  }
  const out: Insight[] = [];
  for (const [domain, d] of domains) {
    const n = d.subs.size;
    if (n < DNS_TUNNEL.minDistinct) continue;
    const clients = [...d.clients].sort((a, b) => b[1] - a[1]);
    const client = clients[0][0];
    const high = n >= DNS_TUNNEL.highDistinct || d.bytes >= DNS_TUNNEL.highBytes;
    const mean = d.bytes / n;
    let h = 0;
    for (const s of d.subs) h += entropy(s.replaceAll('.', ''));
    out.push({
      insight_type: 'alert',
      alert_type: 'dns_tunnel',
      severity: high ? 'high' : 'medium',
      summary: `${client} asked for ${formatCount(n)} distinct long random-looking names under ${domain} (about ${formatCount(d.bytes)} characters of encoded data): DNS tunnelling or exfiltration.`,
      details: {
        domain,
        client,
        clients: clients.map(([ip, names]) => ({ ip, names })).slice(0, 10),
        servers: [...d.servers].slice(0, 10),
        distinct_subdomains: n,
        encoded_chars: d.bytes,
        mean_length: Math.round(mean * 10) / 10,
        mean_entropy: Math.round((h / n) * 100) / 100,
        first_ts: d.first,
        last_ts: d.last,
        addresses: [client, ...d.servers].slice(0, 10),
      },
      event_ts: d.first,
      ...windowsOfTimes(ctx, d.first, d.last),
    });
  }
  return out;
}
