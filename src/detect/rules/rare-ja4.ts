import { type Insight, type RuleContext, windowsOfTimes } from './context.js';

/**
 * An odd TLS client: a JA4 fingerprint seen in one ClientHello only, in a capture where TLS
 * clients otherwise repeat theirs, talking to a destination no other client visits. Browsers and
 * system libraries send the same hello again and again; a one-off hello to a one-off server is
 * how a dropped tool or a custom implant shows. A weak signal on its own: low.
 */
export const RARE_JA4 = {
  /** "Rare" needs a population: at least this many ClientHellos in the capture… */
  minHellos: 20,
  /** …and at least this share of them with a fingerprint seen more than once. */
  minRepeatedShare: 0.8,
  /** At most this many alerts (the rarest first in time). */
  maxAlerts: 20,
} as const;

export function rareJa4Clients(ctx: RuleContext): Insight[] {
  const logs = ctx.logs;
  if (!logs || logs.tls.length < RARE_JA4.minHellos) return [];
  const hellos = logs.tls.filter((t) => t.ja4 !== null);
  if (hellos.length < RARE_JA4.minHellos) return [];
  const seen = new Map<string, number>();
  // A destination: its server name when sent, else its address and port.
  const visitors = new Map<string, Set<string>>();
  const dest = (t: (typeof hellos)[number]) => t.sni?.toLowerCase() ?? `${t.server}:${t.serverPort}`;
  for (const t of hellos) {
    seen.set(t.ja4!, (seen.get(t.ja4!) ?? 0) + 1);
    const v = visitors.get(dest(t)) ?? new Set<string>();
    v.add(t.client);
    visitors.set(dest(t), v);
  }
  const repeated = hellos.filter((t) => (seen.get(t.ja4!) ?? 0) > 1).length;
  if (repeated / hellos.length < RARE_JA4.minRepeatedShare) return [];
  const out: Insight[] = [];
  for (const t of hellos) {
    if (seen.get(t.ja4!) !== 1 || (visitors.get(dest(t))?.size ?? 0) > 1) continue;
    out.push({
      insight_type: 'alert',
      alert_type: 'rare_tls_client',
      severity: 'low',
      summary: `${t.client} sent a TLS ClientHello with a fingerprint seen nowhere else in the capture (JA4 ${t.ja4}) to ${dest(t)}, which no other client contacted.`,
      details: {
        client: t.client,
        server: t.server,
        server_port: t.serverPort,
        sni: t.sni,
        ja4: t.ja4,
        ja3: t.ja3,
        hellos: hellos.length,
        distinct_ja4: seen.size,
        addresses: [t.client, t.server],
      },
      event_ts: t.ts,
      ...windowsOfTimes(ctx, t.ts, t.ts),
    });
    if (out.length >= RARE_JA4.maxAlerts) break;
  }
  return out;
}
