import { CONN_STATES } from '../../analysis/index.js';
import { formatCount, formatSeconds } from '../../format/index.js';
import { halfOpen } from '../features.js';
import { eventRange, flowsIn, type Insight, ip, median, type RuleContext, runs, widened } from './context.js';

/**
 * Flows from one source to one service: per window ≥ 10× the usual most-flows-to-one-service and
 * ≥ 5/s; the run ≥ 100 completed handshakes (SPEC §5: "opened N connections" is true of all N).
 */
export const CONNECTION_BURST = {
  minFlows: 100,
  minFactor: 10,
  minPerSecond: 5,
  highFlows: 1000,
} as const;

/** TCP states a connection attempt may end in (a stray packet without a SYN, Zeek OTH, is none). */
const ATTEMPT = Uint8Array.from(CONN_STATES, (s) => (s === 'OTH' || s === 'RSTRH' || s === 'SHR' ? 0 : 1));

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
    let attempts = 0;
    let completed = 0;
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    for (const f of flowsIn(
      ctx,
      ...widened(ctx, run),
      src,
      dst,
      0xffffff00,
      (port << 16) | (6 << 8),
      ATTEMPT,
    )) {
      attempts++;
      // Only a handshake the initiator completed is a connection it opened: a SYN-ACK it reset
      // or ignored (a raw-socket SYN flood) is an attempt, reported by `synFloods`.
      if (halfOpen(index!, f, index!.state(f))) continue;
      completed++;
      const t = index!.start(f);
      if (t < first) first = t;
      if (t > last) last = t;
    }
    if (completed < R.minFlows) continue;
    const flows = completed;
    out.push({
      insight_type: 'alert',
      alert_type: 'connection_burst',
      severity: flows >= R.highFlows ? 'high' : 'medium',
      summary: `${ip(ctx, src)} opened ${formatCount(flows)} connections to ${ip(ctx, dst)}:${port} in ${formatSeconds(last - first)} (in a usual window no source starts more than ${formatCount(usual)} flows to one service).`,
      details: {
        source: ip(ctx, src),
        destination: ip(ctx, dst),
        attacker: ip(ctx, src),
        victim: ip(ctx, dst),
        port,
        addresses: [ip(ctx, src), ip(ctx, dst)],
        flows,
        attempts,
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
