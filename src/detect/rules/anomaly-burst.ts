import { formatSeconds } from '../../format/index.js';
import { type Insight, type RuleContext, runs } from './context.js';

/** Windows the model scored anomalous; the model's view alone is never above medium: the rules say what happened. */
export const ANOMALY_BURST = { minWindows: 2, singleScore: 0.8, mediumScore: 0.75 } as const;

export function anomalyBursts(ctx: RuleContext): Insight[] {
  const R = ANOMALY_BURST;
  const anomalies = ctx.anomalies;
  const out: Insight[] = [];
  // Windows a rule's alert (medium or above) already explains: the model saying the same adds
  // nothing but a second alert for one event.
  const explained = new Uint8Array(anomalies.length);
  for (const i of ctx.raised)
    if (
      i.insight_type === 'alert' &&
      i.severity !== 'low' &&
      i.window_start !== null &&
      i.window_end !== null
    )
      explained.fill(1, i.window_start, i.window_end + 1);
  for (const run of runs(anomalies.length, (k) => (anomalies[k].isAnomaly ? 'a' : null))) {
    // Only strictly consecutive anomalous windows form a burst.
    let start = run.from;
    for (let k = run.from; k <= run.to + 1; k++) {
      if (k <= run.to && anomalies[k].isAnomaly) continue;
      const end = k - 1;
      if (end >= start) {
        const n = end - start + 1;
        const slice = anomalies.slice(start, end + 1);
        const peak = Math.max(...slice.map((a) => a.score));
        let unexplained = false;
        for (let j = start; j <= end; j++) if (explained[j] === 0) unexplained = true;
        if (unexplained && (n >= R.minWindows || peak >= R.singleScore)) {
          const drivers = new Map<string, number>();
          for (const a of slice)
            if (a.top) {
              const key = `${a.top.feature} (${a.top.direction})`;
              drivers.set(key, (drivers.get(key) ?? 0) + 1);
            }
          const driver = [...drivers.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
          const t0 = ctx.rows[start].start_ts;
          const t1 = ctx.rows[end].end_ts;
          out.push({
            insight_type: 'alert',
            alert_type: 'anomaly_burst',
            severity: peak >= R.mediumScore ? 'medium' : 'low',
            summary: `${n === 1 ? '1 window' : `${n} consecutive windows`} (${formatSeconds(t1 - t0)}) scored as anomalous, peak ${peak.toFixed(2)}${driver ? `, driven by ${driver}` : ''}.`,
            details: { windows: n, peak_score: peak, driver: driver ?? null, addresses: [] },
            window_start: start,
            window_end: end,
            event_ts: t0,
          });
        }
      }
      start = k + 1;
    }
  }
  return out;
}
