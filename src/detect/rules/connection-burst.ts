import { unansweredState } from '../../analysis/index.js';
import { formatCount, formatSeconds } from '../../format/index.js';
import { eventRange, flowsIn, type Insight, ip, median, type RuleContext, runs, widened } from './context.js';

/**
 * Flows from one source to one service: per window ≥ 10× the usual most-flows-to-one-service and
 * ≥ 5/s; the run ≥ 100 flows, mostly answered.
 */
export const CONNECTION_BURST = {
  minFlows: 100,
  minFactor: 10,
  minPerSecond: 5,
  minAnsweredShare: 0.5,
  highFlows: 1000,
} as const;

export function connectionBursts(ctx: RuleContext): Insight[] {
  const R = CONNECTION_BURST;
  const index = ctx.index;
  const usual = median(ctx.actors.map((a) => a.burstFlows).filter((n) => n > 0));
  const out: Insight[] = [];
  for (const run of runs(ctx.rows.length, (k) => {
    const a = ctx.actors[k];
    const w = ctx.rows[k];
    const dur = w.end_ts - w.start_ts || 1;
    return a.burstFlows >= R.minFactor * Math.max(usual, 1) && a.burstFlows / dur >= R.minPerSecond
      ? `${a.burstSrc}>${a.burstDst}>${a.burstPort}`
      : null;
  })) {
    const [src, dst, port] = run.key.split('>').map(Number);
    let flows = 0;
    let answered = 0;
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    for (const f of flowsIn(ctx, ...widened(ctx, run), src, dst, 0xffff0000, port << 16)) {
      flows++;
      // Answered: the responder sent something and did not refuse (a lone RST is no connection).
      if (index!.dstPackets(f) > 0 && !unansweredState(index!.state(f))) answered++;
      first = Math.min(first, index!.start(f));
      last = Math.max(last, index!.start(f));
    }
    // Mostly unanswered attempts are a flood or a scan, reported by those rules.
    if (flows < R.minFlows || answered / flows < R.minAnsweredShare) continue;
    out.push({
      insight_type: 'alert',
      alert_type: 'connection_burst',
      severity: flows >= R.highFlows ? 'high' : 'medium',
      summary: `${ip(ctx, src)} opened ${formatCount(flows)} connections to ${ip(ctx, dst)}:${port} in ${formatSeconds(last - first)} (usually at most ${formatCount(usual)} per window from one source).`,
      details: {
        source: ip(ctx, src),
        destination: ip(ctx, dst),
        attacker: ip(ctx, src),
        victim: ip(ctx, dst),
        port,
        addresses: [ip(ctx, src), ip(ctx, dst)],
        flows,
        answered,
        usual_per_window: usual,
        first_ts: first,
        last_ts: last,
      },
      ...eventRange(ctx, run, first, last),
      event_ts: first,
    });
  }
  return out;
}
