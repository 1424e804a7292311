import type { WindowRow } from '../../analysis/index.js';
import { formatCount, formatSeconds } from '../../format/index.js';
import { type Insight, median, type RuleContext, runs, windowRange } from './context.js';

/** TCP retransmissions per window, against the capture's median rate. */
export const RETRANSMISSION_SPIKE = {
  minRetransmissions: 20,
  minRate: 0.05,
  minFactor: 3,
  mediumRate: 0.1,
} as const;

export function retransmissionSpikes(ctx: RuleContext): Insight[] {
  const R = RETRANSMISSION_SPIKE;
  const rate = (w: WindowRow) => (w.tcp_count ? w.tcp_retransmissions / w.tcp_count : 0);
  const usual = median(ctx.rows.filter((w) => w.tcp_count > 0).map(rate));
  const out: Insight[] = [];
  for (const run of runs(ctx.rows.length, (k) => {
    const w = ctx.rows[k];
    const r = rate(w);
    return w.tcp_retransmissions >= R.minRetransmissions && r >= R.minRate && r >= R.minFactor * usual
      ? 'retx'
      : null;
  })) {
    const ws = ctx.rows.slice(run.from, run.to + 1);
    const retx = ws.reduce((a, w) => a + w.tcp_retransmissions, 0);
    const tcp = ws.reduce((a, w) => a + w.tcp_count, 0);
    const r = tcp ? retx / tcp : 0;
    out.push({
      insight_type: 'alert',
      alert_type: 'retransmission_spike',
      severity: r >= R.mediumRate ? 'medium' : 'low',
      summary: `${formatCount(retx)} TCP retransmissions in ${formatSeconds(ws[ws.length - 1].end_ts - ws[0].start_ts)} (${(r * 100).toFixed(1)}% of TCP packets; usually ${(usual * 100).toFixed(1)}%).`,
      details: { retransmissions: retx, tcp_packets: tcp, rate: r, usual_rate: usual, addresses: [] },
      ...windowRange(ctx, run.from, run.to),
    });
  }
  return out;
}
