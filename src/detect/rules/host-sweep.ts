import { CONN_STATES, unansweredState } from '../../analysis/index.js';
import { formatCount, formatSeconds } from '../../format/index.js';
import {
  eventRange,
  flowsIn,
  type Insight,
  ip,
  protoName,
  type RuleContext,
  runs,
  widened,
} from './context.js';

/**
 * One source trying one port (or ICMP) on many hosts of a subnet per window: many hosts, or a few
 * where nearly every probe failed (no answer, refused, or reset at once).
 */
export const HOST_SWEEP = {
  minHosts: 50,
  minFailedHosts: 5,
  failedShare: 0.8,
  mediumHosts: 50,
  highHosts: 200,
  sameSubnetShare: 0.5,
} as const;

export function hostSweeps(ctx: RuleContext): Insight[] {
  const R = HOST_SWEEP;
  const index = ctx.index;
  const out: Insight[] = [];
  for (const run of runs(ctx.rows.length, (k) => {
    const a = ctx.actors[k];
    return a.sweepHosts >= R.minFailedHosts ? `${a.sweepSrc}>${a.sweepPort}>${a.sweepProto}` : null;
  })) {
    const [src, port, proto] = run.key.split('>').map(Number);
    const hosts = new Map<number, number>();
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    let answered = 0;
    let failed = 0;
    let probes = 0;
    for (const f of flowsIn(ctx, ...widened(ctx, run), src, -1, 0xffffff00, (port << 16) | (proto << 8))) {
      const dst = index!.dst(f);
      hosts.set(dst, (hosts.get(dst) ?? 0) + 1);
      probes++;
      if (index!.dstBytes(f) > 0) answered++;
      const st = CONN_STATES[index!.state(f)];
      if (
        index!.srcPackets(f) + index!.dstPackets(f) <= 4 &&
        (unansweredState(index!.state(f)) || st === 'RSTO' || (proto !== 6 && index!.dstPackets(f) === 0))
      )
        failed++;
      first = Math.min(first, index!.start(f));
      last = Math.max(last, index!.start(f));
    }
    // A sweep walks a subnet; a busy client reaching many servers does not.
    const subnets = new Map<number, number>();
    for (const h of hosts.keys()) {
      const v4 = ctx.analyzer.addresses.ipv4(h);
      const key = v4 === -1 ? -1 : v4 >>> 8;
      subnets.set(key, (subnets.get(key) ?? 0) + 1);
    }
    let topSubnet = -1;
    let topCount = 0;
    for (const [s, c] of subnets)
      if (c > topCount) {
        topCount = c;
        topSubnet = s;
      }
    if (topSubnet === -1 || topCount < hosts.size * R.sameSubnetShare) continue;
    if (hosts.size < R.minHosts && failed < probes * R.failedShare) continue;
    const subnet = `${topSubnet >>> 16}.${(topSubnet >>> 8) & 255}.${topSubnet & 255}.0/24`;
    const what =
      proto === 1 || proto === 58 ? 'sent ICMP probes to' : `probed ${port}/${protoName(proto)} on`;
    out.push({
      insight_type: 'alert',
      alert_type: 'host_sweep',
      severity: hosts.size >= R.highHosts ? 'high' : hosts.size >= R.mediumHosts ? 'medium' : 'low',
      summary: `${ip(ctx, src)} ${what} ${formatCount(hosts.size)} hosts in ${subnet} in ${formatSeconds(last - first)}; ${formatCount(answered)} answered.`,
      details: {
        attacker: ip(ctx, src),
        addresses: [ip(ctx, src)],
        port,
        protocol: protoName(proto),
        distinct_hosts: hosts.size,
        probes,
        failed_probes: failed,
        answered,
        subnet,
        targets: [...hosts.keys()].slice(0, 50).map((h) => ip(ctx, h)),
        first_ts: first,
        last_ts: last,
      },
      ...eventRange(ctx, run, first, last),
      event_ts: first,
    });
  }
  return out;
}
