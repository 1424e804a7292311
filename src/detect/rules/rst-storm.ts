import { CONN_STATES } from '../../analysis/index.js';
import { formatCount, formatSeconds } from '../../format/index.js';
import { halfOpen } from '../features.js';
import { flowsIn, type Insight, ip, type RuleContext, runs, widened, windowRange } from './context.js';

/** TCP resets, per window: how many, how fast, and their share of TCP packets. */
export const RST_STORM = { minResets: 100, minPerSecond: 50, minRate: 0.2, highResets: 1000 } as const;

/** Per conn_state code, 1 for the states a reset or a one-way TCP flow leaves (what `rstStorms` counts). */
const RESET_STATES = Uint8Array.from(CONN_STATES, (s) =>
  ['REJ', 'RSTR', 'RSTRH', 'RSTO', 'RSTOS0', 'OTH'].includes(s) ? 1 : 0,
);

/** RST storms, except a port scan's victim answering it: reads `ctx.scanVictims`, so it runs after `portScans`. */
export function rstStorms(ctx: RuleContext): Insight[] {
  const R = RST_STORM;
  const index = ctx.index;
  const out: Insight[] = [];
  for (const run of runs(ctx.rows.length, (k) => {
    const w = ctx.rows[k];
    const dur = w.end_ts - w.start_ts || 1;
    const rate = w.tcp_count ? w.tcp_rst_count / w.tcp_count : 0;
    return w.tcp_rst_count >= R.minResets && w.tcp_rst_count / dur >= R.minPerSecond && rate >= R.minRate
      ? 'rst'
      : null;
  })) {
    // Widened by a window each side, as the other rules are: a storm's first and last resets fall
    // in windows where it had only begun or was ending.
    const [from, to] = widened(ctx, run);
    const ws = ctx.rows.slice(from, to + 1);
    const resets = ws.reduce((a, w) => a + w.tcp_rst_count, 0);
    const tcp = ws.reduce((a, w) => a + w.tcp_count, 0);
    // Who reset: the responder for REJ/RSTR/RSTRH, the originator for RSTO/RSTOS0, and the sender
    // of one-way TCP packets without a handshake (blind resets aimed at guessed connections).
    const senders = new Map<number, number>();
    const receivers = new Map<number, number>();
    let first = Number.POSITIVE_INFINITY;
    // First reset per sender and per receiver: the storm's first is its attacker's or victim's
    // (the widened windows may hold others' resets before it began).
    const firstFrom = new Map<number, number>();
    const firstTo = new Map<number, number>();
    // The floods of these windows, and the resets that are their initiators' answers to SYN-ACKs.
    const floods = ctx.floods.filter((x) => x.to >= run.from && x.from <= run.to);
    const floodResets = floods.map(() => 0);
    for (const f of flowsIn(ctx, from, to, -1, -1, 0xff00, 6 << 8, RESET_STATES)) {
      const st = CONN_STATES[index!.state(f)];
      const byResponder = st === 'REJ' || st === 'RSTR' || st === 'RSTRH';
      const byOriginator = st === 'RSTO' || st === 'RSTOS0';
      const blind = st === 'OTH' && index!.dstPackets(f) === 0;
      if (!byResponder && !byOriginator && !blind) continue;
      const s = byResponder ? index!.dst(f) : index!.src(f);
      const r = byResponder ? index!.src(f) : index!.dst(f);
      const n = blind ? index!.srcPackets(f) : 1;
      senders.set(s, (senders.get(s) ?? 0) + n);
      if (st === 'RSTO' && floods.length > 0 && halfOpen(index!, f, index!.state(f))) {
        const d = index!.dst(f);
        const p = index!.dstPort(f);
        const x = floods.findIndex((x) => x.victim === d && x.port === p);
        if (x >= 0) floodResets[x]++;
      }
      receivers.set(r, (receivers.get(r) ?? 0) + n);
      const t = index!.start(f);
      first = Math.min(first, t);
      if (t < (firstFrom.get(s) ?? Number.POSITIVE_INFINITY)) firstFrom.set(s, t);
      if (t < (firstTo.get(r) ?? Number.POSITIVE_INFINITY)) firstTo.set(r, t);
    }
    const bySize = (m: Map<number, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
    const topSender = bySize(senders)[0];
    const topReceiver = bySize(receivers)[0];
    const counted = [...senders.values()].reduce((a, b) => a + b, 0);
    // A port scan's victim answering closed ports is the scan, already reported (when it sent most
    // of the resets: among thousands of spoofed sources with one each, any of them tops the list).
    if (topSender && topSender[1] >= counted / 2 && ctx.scanVictims.has(topSender[0])) continue;
    // Resets that are mostly a SYN flood's initiators refusing the victim's SYN-ACKs (a raw-socket
    // flood: the kernel resets what it never asked for) are part of the flood, told in its alert.
    const most = floodResets.reduce((b, n, x) => (n > floodResets[b] ? x : b), 0);
    if (floods.length > 0 && floodResets[most] >= counted / 2) {
      const d = floods[most].details;
      d.rst_storm = { resets, tcp_packets: tcp, first_ts: Number.isFinite(first) ? first : null };
      continue;
    }
    // One address sent most of them, or they came from many (spoofed) sources.
    const attacker = topSender && topSender[1] >= counted / 2 ? topSender[0] : null;
    const victim = topReceiver && topReceiver[1] >= counted / 2 ? topReceiver[0] : null;
    if (attacker !== null) first = firstFrom.get(attacker)!;
    else if (victim !== null) first = firstTo.get(victim)!;
    const dur = ws[ws.length - 1].end_ts - ws[0].start_ts;
    // Counts per party, not a verb over all of them: the window's resets include others' too.
    const parties: string[] = [];
    if (attacker !== null) parties.push(`${formatCount(senders.get(attacker)!)} from ${ip(ctx, attacker)}`);
    else if (senders.size > 1)
      parties.push(`${formatCount(counted)} from ${formatCount(senders.size)} source addresses`);
    if (victim !== null) parties.push(`${formatCount(receivers.get(victim)!)} to ${ip(ctx, victim)}`);
    out.push({
      insight_type: 'alert',
      alert_type: 'rst_storm',
      severity: resets >= R.highResets ? 'high' : 'medium',
      summary: `${formatCount(resets)} TCP resets in ${formatSeconds(dur)} (${((resets / tcp) * 100).toFixed(1)}% of TCP packets)${parties.length ? `; ${parties.join(', ')}` : ''}.`,
      details: {
        resets,
        tcp_packets: tcp,
        attacker: attacker === null ? null : ip(ctx, attacker),
        victim: victim === null ? null : ip(ctx, victim),
        distinct_sources: senders.size,
        addresses: [
          ...(victim === null ? [] : [ip(ctx, victim)]),
          ...bySize(senders)
            .slice(0, 10)
            .map(([a]) => ip(ctx, a)),
        ],
        top_resetters: bySize(senders)
          .slice(0, 10)
          .map(([a, n]) => ({ ip: ip(ctx, a), resets: n })),
        first_ts: Number.isFinite(first) ? first : null,
      },
      ...windowRange(ctx, from, to),
      // The first reset's time when the flows show it (a run's first window may start earlier).
      ...(Number.isFinite(first) ? { event_ts: Math.max(first, ws[0].start_ts) } : {}),
    });
  }
  return out;
}
