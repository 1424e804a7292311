import { CONN_STATES, unansweredState } from '../../analysis/index.js';
import { formatCount, formatSeconds } from '../../format/index.js';
import { eventRange, flowsIn, type Insight, ip, type RuleContext, runs, widened } from './context.js';

/** One source trying many ports of one host, per window. */
export const PORT_SCAN = { minPorts: 100, highPorts: 1000 } as const;

/** Port scans; each victim goes into `ctx.scanVictims` for the RST storm rule. */
export function portScans(ctx: RuleContext): Insight[] {
  const R = PORT_SCAN;
  const insights: Insight[] = [];
  const index = ctx.index;
  for (const run of runs(ctx.rows.length, (k) => {
    const a = ctx.actors[k];
    return a.scanPorts >= R.minPorts ? `${a.scanSrc}>${a.scanDst}` : null;
  })) {
    const [src, dst] = run.key.split('>').map(Number);
    const ports = new Set<number>();
    const open = new Set<number>();
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    for (const f of flowsIn(ctx, ...widened(ctx, run), src, dst, 0, 0)) {
      const port = index!.dstPort(f);
      ports.add(port);
      const st = CONN_STATES[index!.state(f)];
      if (index!.proto(f) === 6 && !unansweredState(index!.state(f)) && st !== 'OTH') open.add(port);
      first = Math.min(first, index!.start(f));
      last = Math.max(last, index!.start(f));
    }
    ctx.scanVictims.add(dst);
    const span = last - first;
    const openList = [...open].sort((a, b) => a - b);
    insights.push({
      insight_type: 'alert',
      alert_type: 'port_scan',
      severity: ports.size >= R.highPorts ? 'high' : 'medium',
      summary: `${ip(ctx, src)} probed ${formatCount(ports.size)} ports on ${ip(ctx, dst)} in ${formatSeconds(span)}${openList.length ? `; ${formatCount(openList.length)} answered as open` : ''}.`,
      details: {
        attacker: ip(ctx, src),
        victim: ip(ctx, dst),
        addresses: [ip(ctx, src), ip(ctx, dst)],
        distinct_ports: ports.size,
        open_ports: openList.slice(0, 50),
        ports: [...ports].sort((a, b) => a - b).slice(0, 50),
        first_ts: first,
        last_ts: last,
      },
      ...eventRange(ctx, run, first, last),
      event_ts: first,
    });
  }
  return insights;
}
