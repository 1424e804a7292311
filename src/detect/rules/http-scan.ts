import { formatCount } from '../../format/index.js';
import { type Insight, type RuleContext, windowsOfTimes } from './context.js';

/**
 * A web scanner or forced browsing: one client asking one server for many paths that are not
 * there. A broken link or a missing favicon gives a few 404s; a scanner gives hundreds.
 */
export const HTTP_SCAN = {
  /** 404 responses from one server to one client… */
  min404: 50,
  /** …for at least this many distinct URIs… */
  minDistinctUris: 30,
  /** …that are at least this share of the client's answered requests to it. */
  minShare: 0.5,
  high404: 500,
} as const;

export function httpScans(ctx: RuleContext): Insight[] {
  const logs = ctx.logs;
  if (!logs || logs.http.length === 0) return [];
  const pairs = new Map<
    string,
    {
      client: string;
      server: string;
      answered: number;
      nf: number;
      uris: Set<string>;
      first: number;
      last: number;
      host: string | null;
    }
  >();
  for (const r of logs.http) {
    if (r.status === null) continue;
    const k = `${r.client}|${r.server}`;
    const p = pairs.get(k) ?? {
      client: r.client,
      server: r.server,
      answered: 0,
      nf: 0,
      uris: new Set<string>(),
      first: Number.POSITIVE_INFINITY,
      last: Number.NEGATIVE_INFINITY,
      host: r.host,
    };
    pairs.set(k, p);
    p.answered++;
    if (r.status !== 404) continue;
    p.nf++;
    if (p.uris.size < 100_000) p.uris.add(r.uri);
    p.first = Math.min(p.first, r.ts);
    p.last = Math.max(p.last, r.ts);
  }
  const out: Insight[] = [];
  for (const p of pairs.values()) {
    if (
      p.nf < HTTP_SCAN.min404 ||
      p.uris.size < HTTP_SCAN.minDistinctUris ||
      p.nf / p.answered < HTTP_SCAN.minShare
    )
      continue;
    out.push({
      insight_type: 'alert',
      alert_type: 'http_scan',
      severity: p.nf >= HTTP_SCAN.high404 ? 'high' : 'medium',
      summary: `${p.client} got ${formatCount(p.nf)} "404 Not Found" answers from ${p.server}${p.host ? ` (${p.host})` : ''} for ${formatCount(p.uris.size)} distinct paths: a web scan.`,
      details: {
        client: p.client,
        server: p.server,
        host: p.host,
        not_found: p.nf,
        answered: p.answered,
        distinct_uris: p.uris.size,
        examples: [...p.uris].slice(0, 5),
        first_ts: p.first,
        last_ts: p.last,
        addresses: [p.client, p.server],
      },
      event_ts: p.first,
      ...windowsOfTimes(ctx, p.first, p.last),
    });
  }
  return out;
}
