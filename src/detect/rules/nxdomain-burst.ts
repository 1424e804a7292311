import { formatCount } from '../../format/index.js';
import { type Insight, type RuleContext, windowsOfTimes } from './context.js';

/**
 * A burst of names that do not exist, from one client: malware with a domain generation
 * algorithm tries hundreds of generated names until one resolves. A mistyped name or a search
 * domain gives a few NXDOMAINs, not dozens of distinct names in a minute.
 */
export const NXDOMAIN_BURST = {
  /** Seconds a burst is counted over (a sliding span from each NXDOMAIN). */
  spanS: 60,
  /** Distinct names answered NXDOMAIN within the span… */
  minNames: 30,
  /** …that are at least this share of the client's answered queries in it. */
  minShare: 0.5,
  highNames: 200,
} as const;

const NXDOMAIN = 3;

export function nxdomainBursts(ctx: RuleContext): Insight[] {
  const logs = ctx.logs;
  if (!logs || logs.dns.length === 0) return [];
  // Per client, its answered queries in time order.
  const byClient = new Map<string, { ts: number; name: string; nx: boolean }[]>();
  for (const q of logs.dns) {
    if (q.rcode === null) continue;
    const list = byClient.get(q.client) ?? [];
    list.push({ ts: q.ts, name: q.query.toLowerCase(), nx: q.rcode === NXDOMAIN });
    byClient.set(q.client, list);
  }
  const out: Insight[] = [];
  for (const [client, list] of byClient) {
    list.sort((a, b) => a.ts - b.ts);
    // The busiest span: for each start, the distinct NX names up to spanS later (two pointers).
    let best = { names: 0, answered: 0, from: 0, to: 0 };
    let j = 0;
    const counts = new Map<string, number>();
    let answered = 0;
    for (let i = 0; i < list.length; i++) {
      while (j < list.length && list[j].ts < list[i].ts + NXDOMAIN_BURST.spanS) {
        answered++;
        if (list[j].nx) counts.set(list[j].name, (counts.get(list[j].name) ?? 0) + 1);
        j++;
      }
      if (counts.size > best.names) best = { names: counts.size, answered, from: i, to: j - 1 };
      answered--;
      if (list[i].nx) {
        const c = (counts.get(list[i].name) ?? 1) - 1;
        if (c === 0) counts.delete(list[i].name);
        else counts.set(list[i].name, c);
      }
    }
    if (best.names < NXDOMAIN_BURST.minNames || best.names / best.answered < NXDOMAIN_BURST.minShare)
      continue;
    const span = list.slice(best.from, best.to + 1);
    const first = span.find((q) => q.nx)?.ts ?? span[0].ts;
    const last = span[span.length - 1].ts;
    const examples = [...new Set(span.filter((q) => q.nx).map((q) => q.name))].slice(0, 5);
    out.push({
      insight_type: 'alert',
      alert_type: 'nxdomain_burst',
      severity: best.names >= NXDOMAIN_BURST.highNames ? 'high' : 'medium',
      summary: `${client} got NXDOMAIN for ${formatCount(best.names)} distinct names within ${NXDOMAIN_BURST.spanS} s (${Math.round((best.names / best.answered) * 100)}% of its answered lookups), as a domain generation algorithm does.`,
      details: {
        client,
        nx_names: best.names,
        answered: best.answered,
        examples,
        first_ts: first,
        last_ts: last,
        addresses: [client],
      },
      event_ts: first,
      ...windowsOfTimes(ctx, first, last),
    });
  }
  return out;
}
