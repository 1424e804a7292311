import { formatCount, formatSeconds } from '../../format/index.js';
import { type Insight, type RuleContext, windowsOfTimes } from './context.js';
import { HOST_SWEEP } from './host-sweep.js';

/**
 * One sender asking by ARP for many addresses; raised as a host sweep, with the same bars for
 * its count of hosts as a sweep over IP.
 */
export const ARP_SWEEP = {
  /** ARP requests further apart than this (seconds) belong to different sweeps. */
  maxGap: 10,
  minHosts: HOST_SWEEP.minHosts,
  highHosts: HOST_SWEEP.highHosts,
} as const;

const v4 = (a: number) => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;

/**
 * ARP sweeps (nmap's host discovery on a LAN, arp-scan): one sender asking for many addresses.
 * Requests are grouped per sender into bursts (a new burst after more than `maxGap` seconds without one).
 */
export function arpSweeps(ctx: RuleContext): Insight[] {
  const R = ARP_SWEEP;
  const arp = ctx.analyzer.arp;
  const bySender = new Map<number, number[]>();
  for (let i = 0; i < arp.size; i++)
    if (arp.op[i] === 1 && arp.sender[i] !== arp.target[i]) {
      const list = bySender.get(arp.sender[i]) ?? [];
      list.push(i);
      bySender.set(arp.sender[i], list);
    }
  // ARP replies by the address they went to (the asker), in capture order: built when needed.
  let repliesTo: Map<number, number[]> | null = null;
  const out: Insight[] = [];
  for (const [sender, list] of bySender) {
    let start = 0;
    for (let j = 1; j <= list.length; j++) {
      if (j < list.length && arp.ts[list[j]] - arp.ts[list[j - 1]] <= R.maxGap) continue;
      const burst = list.slice(start, j);
      start = j;
      const targets = new Set(burst.map((i) => arp.target[i]));
      if (targets.size < R.minHosts) continue;
      const first = arp.ts[burst[0]];
      const last = arp.ts[burst[burst.length - 1]];
      if (!repliesTo) {
        repliesTo = new Map();
        for (let i = 0; i < arp.size; i++)
          if (arp.op[i] === 2) {
            const replies = repliesTo.get(arp.target[i]);
            if (replies) replies.push(i);
            else repliesTo.set(arp.target[i], [i]);
          }
      }
      const answered = new Set<number>();
      for (const i of repliesTo.get(sender) ?? [])
        if (targets.has(arp.sender[i]) && arp.ts[i] >= first) answered.add(arp.sender[i]);
      const subnets = new Map<number, number>();
      for (const t of targets) subnets.set(t >>> 8, (subnets.get(t >>> 8) ?? 0) + 1);
      const top = [...subnets.entries()].sort((a, b) => b[1] - a[1])[0];
      const subnet = `${v4(top[0] << 8)}/24`;
      out.push({
        insight_type: 'alert',
        alert_type: 'host_sweep',
        severity: targets.size >= R.highHosts ? 'high' : 'medium',
        summary: `${v4(sender)} sent ARP requests for ${formatCount(targets.size)} addresses in ${subnet} in ${formatSeconds(last - first)}; ${formatCount(answered.size)} answered.`,
        details: {
          attacker: v4(sender),
          addresses: [v4(sender)],
          protocol: 'arp',
          port: null,
          distinct_hosts: targets.size,
          answered: answered.size,
          live_hosts: [...answered].slice(0, 50).map(v4),
          subnet,
          first_ts: first,
          last_ts: last,
        },
        event_ts: first,
        ...windowsOfTimes(ctx, first, last),
      });
    }
  }
  return out;
}
