import { CONN_STATES } from '../../analysis/index.js';
import { formatCount, formatSeconds } from '../../format/index.js';
import { halfOpen } from '../features.js';
import { eventRange, flowsIn, type Insight, ip, type RuleContext, runs, widened } from './context.js';

/**
 * Connection attempts to one host and port that the initiator never completed (SPEC §5), per
 * window. `spoofedPerSource`: when no source sent most attempts and the sources sent this many
 * each or fewer on average, they are one-shot addresses, the mark of spoofing.
 */
export const SYN_FLOOD = {
  minAttempts: 200,
  minPerSecond: 50,
  criticalAttempts: 10_000,
  spoofedPerSource: 2,
} as const;

const S1 = CONN_STATES.indexOf('S1');
const RSTO = CONN_STATES.indexOf('RSTO');
const REJ = CONN_STATES.indexOf('REJ');
const SH = CONN_STATES.indexOf('SH');
/** States a TCP attempt may end in; `halfOpen` tells the completed ones from the others. */
const ATTEMPT = Uint8Array.from(CONN_STATES, (s) => (s === 'OTH' || s === 'RSTRH' || s === 'SHR' ? 0 : 1));

export function synFloods(ctx: RuleContext): Insight[] {
  const R = SYN_FLOOD;
  const index = ctx.index;
  const out: Insight[] = [];
  for (const run of runs(ctx.rows.length, (k) => {
    const a = ctx.actors[k];
    const w = ctx.rows[k];
    const dur = w.end_ts - w.start_ts || 1;
    return a.floodFlows >= R.minAttempts && a.floodFlows / dur >= R.minPerSecond
      ? `${a.floodDst}>${a.floodPort}`
      : null;
  })) {
    const [dst, port] = run.key.split('>').map(Number);
    const [from, to] = widened(ctx, run);
    const sources = new Map<number, number>();
    let attempts = 0;
    let synacked = 0;
    let reset = 0;
    let refused = 0;
    let unanswered = 0;
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    const completedBy: number[] = [];
    for (const f of flowsIn(ctx, from, to, -1, dst, 0xffffff00, (port << 16) | (6 << 8), ATTEMPT)) {
      const state = index!.state(f);
      const s = index!.src(f);
      if (!halfOpen(index!, f, state)) {
        completedBy.push(s);
        continue;
      }
      attempts++;
      sources.set(s, (sources.get(s) ?? 0) + 1);
      if (state === RSTO) {
        synacked++;
        reset++;
      } else if (state === S1) synacked++;
      else if (state === REJ) refused++;
      else if (state !== SH) unanswered++;
      const t = index!.start(f);
      if (t < first) first = t;
      if (t > last) last = t;
    }
    // Handshakes the same sources did complete to that service in those windows: "none" must be true.
    const completed = completedBy.filter((s) => sources.has(s)).length;
    const bySize = [...sources.entries()].sort((a, b) => b[1] - a[1]);
    const top = bySize.slice(0, 10);
    const attacker = top[0] && top[0][1] >= attempts / 2 ? top[0][0] : null;
    const spoofed = attacker === null && attempts / sources.size <= R.spoofedPerSource;
    const others = sources.size - 1;
    const who =
      attacker !== null
        ? others === 0
          ? ip(ctx, attacker)
          : `${ip(ctx, attacker)} (${formatCount(top[0][1])} of them) and ${formatCount(others)} other source${others === 1 ? '' : 's'}`
        : `${formatCount(sources.size)} ${spoofed ? 'spoofed ' : ''}source${sources.size === 1 ? '' : 's'}`;
    const target = `${ip(ctx, dst)}:${port}`;
    const outcome: string[] = [];
    if (reset > 0)
      outcome.push(
        `${formatCount(reset)} answered by a SYN-ACK that ${attacker !== null && others === 0 ? ip(ctx, attacker) : 'its source'} reset`,
      );
    if (synacked - reset > 0)
      outcome.push(`${formatCount(synacked - reset)} answered by a SYN-ACK never acknowledged`);
    if (refused > 0) outcome.push(`${formatCount(refused)} refused`);
    if (unanswered > 0) outcome.push(`${formatCount(unanswered)} never answered`);
    const none =
      completed === 0
        ? 'none completed its handshake'
        : `none of these completed its handshake (the same ${attacker !== null ? 'source' : 'sources'} completed ${formatCount(completed)} other${completed === 1 ? '' : 's'})`;
    const details: Record<string, unknown> = {
      victim: ip(ctx, dst),
      port,
      // One source sent most of them; spoofed floods come from many.
      attacker: attacker === null ? null : ip(ctx, attacker),
      spoofed,
      addresses: [ip(ctx, dst), ...top.map(([s]) => ip(ctx, s))],
      attempts,
      completed,
      synacked,
      reset_by_initiator: reset,
      refused,
      unanswered_flows: unanswered,
      distinct_sources: sources.size,
      top_sources: top.map(([s, n]) => ({ ip: ip(ctx, s), attempts: n })),
      first_ts: first,
      last_ts: last,
      span_s: last - first,
    };
    ctx.floods.push({ victim: dst, port, from, to, details });
    out.push({
      insight_type: 'alert',
      alert_type: 'syn_flood',
      severity: attempts >= R.criticalAttempts ? 'critical' : 'high',
      summary: `SYN flood: ${target} received ${formatCount(attempts)} connection attempts (SYNs) from ${who} in ${formatSeconds(last - first)}; ${none}: ${outcome.join(', ')}.`,
      details,
      ...eventRange(ctx, run, first, last),
      event_ts: first,
    });
  }
  return out;
}
