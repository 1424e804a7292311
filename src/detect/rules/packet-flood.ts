import { FLOW_CHUNK, FLOW_DOUBLES, FLOW_WORDS } from '../../analysis/flow-index.js';
import { formatBytes, formatCount, formatSeconds } from '../../format/index.js';
import { PairTable } from '../pair-table.js';
import { type Insight, ip, protoName, type RuleContext, windowsOfTimes } from './context.js';

/** One-way non-TCP packets at a high rate to one destination and port, over the whole capture. */
export const PACKET_FLOOD = {
  minPackets: 1000,
  minPerSecond: 500,
  maxReplyShare: 0.1,
  criticalPackets: 100_000,
} as const;

/**
 * Floods other than SYN floods (UDP, ICMP, ICMPv6, other IP): over the whole capture, the
 * packets sent to one destination and port, by any sources, with almost nothing coming back.
 */
export function packetFloods(ctx: RuleContext): Insight[] {
  const R = PACKET_FLOOD;
  const index = ctx.index;
  if (!index) return [];
  // (destination, port << 8 | protocol) → packets, bytes, packets back, first start, last end: a
  // pass of its own over the index (in the conversations' pass, the rare flows other than TCP
  // made the compiled loop start over when the first one came).
  const groups = new PairTable(5);
  const { doubles, words } = index.chunks();
  const ROW = FLOW_CHUNK - 1;
  for (let f = 0; f < index.size; f++) {
    const w = words[f >>> 16];
    const u = (f & ROW) * FLOW_WORDS;
    const proto = (w[u + 4] >>> 8) & 0xff;
    if (proto === 6) continue;
    const d = doubles[f >>> 16];
    const o = (f & ROW) * FLOW_DOUBLES;
    const g = groups.add(w[u + 3], ((w[u + 4] >>> 16) << 8) | proto) * 5;
    const v = groups.values;
    if (groups.added) {
      v[g + 3] = Number.POSITIVE_INFINITY;
      v[g + 4] = Number.NEGATIVE_INFINITY;
    }
    v[g] += w[u];
    v[g + 1] += d[o + 2];
    v[g + 2] += w[u + 1];
    v[g + 3] = Math.min(v[g + 3], d[o]);
    v[g + 4] = Math.max(v[g + 4], d[o + 1]);
  }
  // The floods, in the order their groups first appeared; their sources (packets per source, in
  // first-seen order) only for them, in a second pass.
  const floods: {
    dst: number;
    port: number;
    proto: number;
    packets: number;
    bytes: number;
    back: number;
    first: number;
    last: number;
    sources: Map<number, number>;
  }[] = [];
  const floodOf = new Int32Array(groups.size).fill(-1);
  for (let e = 0; e < groups.size; e++) {
    const v = groups.values;
    const packets = v[5 * e];
    const back = v[5 * e + 2];
    const span = v[5 * e + 4] - v[5 * e + 3];
    // Packets that share one timestamp (a tool replaying a burst) have no measurable span.
    const rate = span > 0 ? packets / span : Number.POSITIVE_INFINITY;
    if (packets < R.minPackets || rate < R.minPerSecond || back > packets * R.maxReplyShare) continue;
    floodOf[e] = floods.length;
    floods.push({
      dst: groups.hi[e],
      port: groups.lo[e] >>> 8,
      proto: groups.lo[e] & 0xff,
      packets,
      bytes: v[5 * e + 1],
      back,
      first: v[5 * e + 3],
      last: v[5 * e + 4],
      sources: new Map(),
    });
  }
  if (floods.length > 0) {
    const { words } = index.chunks();
    for (let f = 0; f < index.size; f++) {
      const w = words[f >>> 16];
      const u = (f & (FLOW_CHUNK - 1)) * FLOW_WORDS;
      const proto = (w[u + 4] >>> 8) & 0xff;
      if (proto === 6) continue;
      const e = groups.get(w[u + 3], ((w[u + 4] >>> 16) << 8) | proto);
      if (floodOf[e] < 0) continue;
      const sources = floods[floodOf[e]].sources;
      const s = w[u + 2];
      sources.set(s, (sources.get(s) ?? 0) + w[u]);
    }
  }
  const out: Insight[] = [];
  for (const g of floods) {
    const span = g.last - g.first;
    const rate = span > 0 ? g.packets / span : Number.POSITIVE_INFINITY;
    const top = [...g.sources.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10);
    const from = g.sources.size === 1 ? ip(ctx, top[0][0]) : `${formatCount(g.sources.size)} sources`;
    const what =
      g.proto === 17
        ? `${g.port}/udp`
        : g.proto === 1
          ? 'ICMP'
          : g.proto === 58
            ? 'ICMPv6'
            : `IP protocol ${g.proto}`;
    out.push({
      insight_type: 'alert',
      alert_type: 'packet_flood',
      severity: g.packets >= R.criticalPackets ? 'critical' : 'high',
      summary: `${from} sent ${formatCount(g.packets)} ${what} packets (${formatBytes(g.bytes)}) to ${ip(ctx, g.dst)} in ${formatSeconds(span)}${Number.isFinite(rate) ? `, ${formatCount(rate)} per second` : ''}, with ${formatCount(g.back)} replies.`,
      details: {
        victim: ip(ctx, g.dst),
        port: g.port,
        protocol: protoName(g.proto),
        packets: g.packets,
        bytes: g.bytes,
        replies: g.back,
        packets_per_sec: Number.isFinite(rate) ? rate : null,
        distinct_sources: g.sources.size,
        top_sources: top.map(([s, n]) => ({ ip: ip(ctx, s), packets: n })),
        addresses: [ip(ctx, g.dst), ...top.map(([s]) => ip(ctx, s))],
        first_ts: g.first,
        last_ts: g.last,
      },
      event_ts: g.first,
      ...windowsOfTimes(ctx, g.first, g.last),
    });
  }
  return out;
}
