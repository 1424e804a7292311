import { formatCount, formatSeconds } from '../../format/index.js';
import { UNANSWERED_CODE } from '../features.js';
import { eventRange, flowsIn, type Insight, ip, type RuleContext, runs, widened } from './context.js';

/** Unanswered TCP connection attempts to one host and port, per window. */
export const SYN_FLOOD = { minUnanswered: 200, minPerSecond: 50, criticalUnanswered: 10_000 } as const;

export function synFloods(ctx: RuleContext): Insight[] {
  const R = SYN_FLOOD;
  const index = ctx.index;
  const out: Insight[] = [];
  for (const run of runs(ctx.rows.length, (k) => {
    const a = ctx.actors[k];
    const w = ctx.rows[k];
    const dur = w.end_ts - w.start_ts || 1;
    return a.floodFlows >= R.minUnanswered && a.floodFlows / dur >= R.minPerSecond
      ? `${a.floodDst}>${a.floodPort}`
      : null;
  })) {
    const [dst, port] = run.key.split('>').map(Number);
    const sources = new Map<number, number>();
    let flows = 0;
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    for (const f of flowsIn(
      ctx,
      ...widened(ctx, run),
      -1,
      dst,
      0xffffff00,
      (port << 16) | (6 << 8),
      UNANSWERED_CODE,
    )) {
      flows++;
      const s = index!.src(f);
      sources.set(s, (sources.get(s) ?? 0) + 1);
      first = Math.min(first, index!.start(f));
      last = Math.max(last, index!.start(f));
    }
    const top = [...sources.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10);
    const from =
      sources.size === 1
        ? `from ${ip(ctx, top[0][0])}`
        : `from ${formatCount(sources.size)} source addresses`;
    const synack = ctx.rows.slice(run.from, run.to + 1).reduce((a, w) => a + w.tcp_synack_count, 0);
    const syn = ctx.rows.slice(run.from, run.to + 1).reduce((a, w) => a + w.tcp_syn_count, 0);
    out.push({
      insight_type: 'alert',
      alert_type: 'syn_flood',
      severity: flows >= R.criticalUnanswered ? 'critical' : 'high',
      summary: `${ip(ctx, dst)}:${port} received ${formatCount(flows)} unanswered TCP connection attempts ${from} in ${formatSeconds(last - first)}.`,
      details: {
        victim: ip(ctx, dst),
        port,
        // One source sent most of them; spoofed floods come from many.
        attacker: top[0] && top[0][1] >= flows / 2 ? ip(ctx, top[0][0]) : null,
        addresses: [ip(ctx, dst), ...top.map(([s]) => ip(ctx, s))],
        unanswered_flows: flows,
        distinct_sources: sources.size,
        top_sources: top.map(([s, n]) => ({ ip: ip(ctx, s), flows: n })),
        syn,
        synack,
        first_ts: first,
        last_ts: last,
      },
      ...eventRange(ctx, run, first, last),
      event_ts: first,
    });
  }
  return out;
}
