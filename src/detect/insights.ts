import { FLOW_CHUNK, FLOW_DOUBLES, FLOW_WORDS } from '../analysis/flow-index.js';
import type { Analyzer, FlowIndex, Summary, WindowRow, WindowSet } from '../analysis/index.js';
import { CONN_STATES, unansweredState } from '../analysis/index.js';
import { formatBytes, formatCount, formatSeconds } from '../format/index.js';
import { UNANSWERED_CODE, type WindowActors } from './features.js';
import { type FlowGroups, groupFlows, mergeRuns, windowOf } from './flow-groups.js';
import { PairTable } from './pair-table.js';

export type Severity = 'low' | 'medium' | 'high' | 'critical';

export interface Insight {
  insight_type: 'alert' | 'summary';
  alert_type: string;
  severity: Severity;
  /** One plain sentence. */
  summary: string;
  details: Record<string, unknown>;
  /** Capture time of the event's first packet or window (seconds since the epoch). */
  event_ts: number | null;
  window_start: number | null;
  window_end: number | null;
}

/** Rule thresholds, per window unless said otherwise. */
export const RULES = {
  portScan: { minPorts: 100, highPorts: 1000 },
  /** Many hosts, or a few where nearly every probe failed (no answer, refused, or reset at once). */
  hostSweep: {
    /** ARP requests further apart than this (seconds) belong to different sweeps. */
    arpGap: 10,
    minHosts: 50,
    minFailedHosts: 5,
    failedShare: 0.8,
    mediumHosts: 50,
    highHosts: 200,
    sameSubnetShare: 0.5,
  },
  /** One-way non-TCP packets at a high rate to one destination and port. */
  packetFlood: { minPackets: 1000, minPerSecond: 500, maxReplyShare: 0.1, criticalPackets: 100_000 },
  synFlood: { minUnanswered: 200, minPerSecond: 50, criticalUnanswered: 10_000 },
  rstStorm: { minResets: 100, minPerSecond: 50, minRate: 0.2, highResets: 1000 },
  /** Total or outbound bytes/s far above the capture's usual; high for a large upload to a remote address. */
  /** From 4× the usual rate: low; an outbound surge of 10× the usual outbound: medium; one local host uploading ≥ 50 MB of it to one remote address: high. */
  trafficBurst: { minFactor: 4, mediumFactor: 10, minBytes: 1_000_000, highBytes: 50_000_000 },
  /** Per window ≥ 10× the usual most-flows-to-one-service and ≥ 5/s; the run ≥ 100 flows. */
  connectionBurst: { minFlows: 100, minFactor: 10, minPerSecond: 5, minAnsweredShare: 0.5, highFlows: 1000 },
  retransmissionSpike: { minRetransmissions: 20, minRate: 0.05, minFactor: 3, mediumRate: 0.1 },
  /** The model's view alone is never above medium: the rules say what happened. */
  anomalyBurst: { minWindows: 2, singleScore: 0.8, mediumScore: 0.75 },
} as const;

export interface AnomalyView {
  score: number;
  isAnomaly: boolean;
  top: { feature: string; direction: string } | null;
}

interface Ctx {
  windows: WindowSet;
  rows: WindowRow[];
  actors: WindowActors[];
  index: FlowIndex | null;
  analyzer: Analyzer;
  summary: Summary;
  /** The index grouped by start window: given by the caller, or built on first use. */
  groups?: FlowGroups | null;
  /** Flow numbers a rule matched, before they are sorted (grown as needed). */
  scratch: Uint32Array;
  /** Built on first use: see `findBursts` and `burstConversations`. */
  bursts?: BurstSet;
  conversations?: PairTable[];
}

/**
 * The flow index grouped by the window each flow starts in, so that a rule looks at the flows of
 * its windows instead of every flow of the capture for every event: with millions of flows and
 * hundreds of events that was most of the detection's time.
 */
function grouped(ctx: Ctx): FlowGroups {
  if (!ctx.groups) ctx.groups = groupFlows(ctx.index!, ctx.windows);
  return ctx.groups;
}

/** The windows from..to clamped as the grouping's offsets allow: windows [first, end). */
function windowSpan(g: FlowGroups, from: number, to: number): [number, number] {
  const last = g.offsets.length - 2;
  return [Math.max(0, Math.min(from, last + 1)), Math.max(0, Math.min(to + 1, last + 1))];
}

/** Flows whose end lies over this many windows after their start may overlap any later window. */
const SHORT_SPAN = 2;

/** Room for `n` flow numbers in the scratch buffer. */
function scratch(ctx: Ctx, n: number): Uint32Array {
  if (ctx.scratch.length < n) ctx.scratch = new Uint32Array(Math.max(n, 2 * ctx.scratch.length));
  return ctx.scratch;
}

/**
 * Flows starting in windows from..to, ascending (the order a scan of the whole index gives), that
 * match: source `src` and destination `dst` (-1: any), dstPort << 16 | protocol << 8 | state under
 * `mask` equal to `meta` under it, and a state allowed by `states` (null: any). Matching on the
 * grouping's words first leaves only the matches to put in order (each window's are already).
 */
function flowsIn(
  ctx: Ctx,
  from: number,
  to: number,
  src: number,
  dst: number,
  mask: number,
  meta: number,
  states: Uint8Array | null = null,
): Uint32Array {
  if (!ctx.index) return new Uint32Array(0);
  const g = grouped(ctx);
  const [k0, k1] = windowSpan(g, from, to);
  const { offsets, flows, src: gsrc, dst: gdst, meta: gmeta } = g;
  const out = scratch(ctx, offsets[k1] - offsets[k0]);
  const want = meta & mask;
  const runs: number[] = [];
  let n = 0;
  for (let k = k0; k < k1; k++) {
    const start = n;
    for (let j = offsets[k]; j < offsets[k + 1]; j++) {
      const m = gmeta[j];
      if ((src < 0 || gsrc[j] === src) && (dst < 0 || gdst[j] === dst) && (m & mask) === want)
        if (states === null || states[m & 0xff] === 1) out[n++] = flows[j];
    }
    if (n > start) runs.push(start);
  }
  return mergeRuns(out, n, runs);
}

function protoName(p: number): string {
  return p === 6 ? 'tcp' : p === 17 ? 'udp' : p === 1 ? 'icmp' : p === 58 ? 'icmpv6' : String(p);
}

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Consecutive windows (a gap of one quiet window allowed) where `key(k)` is the same non-null. */
function runs(n: number, key: (k: number) => string | null): { key: string; from: number; to: number }[] {
  const out: { key: string; from: number; to: number }[] = [];
  for (let k = 0; k < n; k++) {
    const c = key(k);
    if (c === null) continue;
    const last = out[out.length - 1];
    if (last && last.key === c && k - last.to <= 2) last.to = k;
    else out.push({ key: c, from: k, to: k });
  }
  return out;
}

/**
 * A run of windows where one actor crossed a rule's threshold, widened by a window on each side:
 * an attack's first and last probes often fall in windows where it had only begun or was
 * ending, below the threshold, and they are still part of it (its count and first-packet time).
 */
function widened(ctx: Ctx, run: { from: number; to: number }): [number, number] {
  return [Math.max(0, run.from - 1), Math.min(ctx.rows.length - 1, run.to + 1)];
}

/** The windows of an event's first and last flow (the run itself when it had none). */
function eventRange(ctx: Ctx, run: { from: number; to: number }, first: number, last: number) {
  if (!Number.isFinite(first)) return windowRange(ctx, run.from, run.to);
  return windowRange(ctx, windowOf(first, ctx.windows), windowOf(last, ctx.windows));
}

/** Runs every rule detector; `anomalies` is the model's view of each window. */
export function detectInsights(
  windows: WindowSet,
  actors: WindowActors[],
  analyzer: Analyzer,
  summary: Summary,
  anomalies: AnomalyView[],
  /** What the caller has built already: the index grouped by window, the windows' rows. */
  shared: { groups?: FlowGroups | null; rows?: WindowRow[] } = {},
): Insight[] {
  const rows = shared.rows ?? windows.toArray();
  const ctx: Ctx = {
    windows,
    rows,
    actors,
    index: analyzer.flowIndex,
    analyzer,
    summary,
    groups: shared.groups ?? null,
    scratch: new Uint32Array(1024),
  };
  const out: Insight[] = [];
  const scans = portScans(ctx);
  out.push(...scans.insights);
  out.push(...hostSweeps(ctx));
  out.push(...arpSweeps(ctx));
  out.push(...synFloods(ctx));
  out.push(...packetFloods(ctx));
  out.push(...rstStorms(ctx, scans.victims));
  out.push(...trafficBursts(ctx));
  out.push(...connectionBursts(ctx));
  out.push(...retransmissionSpikes(ctx));
  out.push(...anomalyBursts(ctx, anomalies));
  out.push(...summaryInsights(ctx));
  return out.sort(
    (a, b) => (a.event_ts ?? Number.POSITIVE_INFINITY) - (b.event_ts ?? Number.POSITIVE_INFINITY),
  );
}

function ip(ctx: Ctx, id: number): string {
  return ctx.analyzer.addresses.format(id);
}

function windowRange(ctx: Ctx, from: number, to: number) {
  return { window_start: from, window_end: to, event_ts: ctx.rows[from]?.start_ts ?? null };
}

function portScans(ctx: Ctx): { insights: Insight[]; victims: Set<number> } {
  const R = RULES.portScan;
  const victims = new Set<number>();
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
    victims.add(dst);
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
  return { insights, victims };
}

function hostSweeps(ctx: Ctx): Insight[] {
  const R = RULES.hostSweep;
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

const v4 = (a: number) => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;

/**
 * ARP sweeps (nmap's host discovery on a LAN, arp-scan): one sender asking for many addresses.
 * Requests are grouped per sender into bursts (a new burst after a minute of silence).
 */
function arpSweeps(ctx: Ctx): Insight[] {
  const R = RULES.hostSweep;
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
      if (j < list.length && arp.ts[list[j]] - arp.ts[list[j - 1]] <= R.arpGap) continue;
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
        window_start: ctx.rows.length ? windowOf(first, ctx.windows) : null,
        window_end: ctx.rows.length ? windowOf(last, ctx.windows) : null,
      });
    }
  }
  return out;
}

function synFloods(ctx: Ctx): Insight[] {
  const R = RULES.synFlood;
  const index = ctx.index;
  const out: Insight[] = [];
  for (const run of runs(ctx.rows.length, (k) => {
    const a = ctx.actors[k];
    const w = ctx.rows[k];
    const dur = w.end_ts - w.start_ts || 1;
    return a.floodFlows >= R.minUnanswered && a.floodFlows / dur >= R.minPerSecond
      ? `${a.floodDst}>${a.floodPort}`
      : null;
  })) {
    const [dst, port] = run.key.split('>').map(Number);
    const sources = new Map<number, number>();
    let flows = 0;
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    for (const f of flowsIn(
      ctx,
      ...widened(ctx, run),
      -1,
      dst,
      0xffffff00,
      (port << 16) | (6 << 8),
      UNANSWERED_CODE,
    )) {
      flows++;
      const s = index!.src(f);
      sources.set(s, (sources.get(s) ?? 0) + 1);
      first = Math.min(first, index!.start(f));
      last = Math.max(last, index!.start(f));
    }
    const top = [...sources.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10);
    const from =
      sources.size === 1
        ? `from ${ip(ctx, top[0][0])}`
        : `from ${formatCount(sources.size)} source addresses`;
    const synack = ctx.rows.slice(run.from, run.to + 1).reduce((a, w) => a + w.tcp_synack_count, 0);
    const syn = ctx.rows.slice(run.from, run.to + 1).reduce((a, w) => a + w.tcp_syn_count, 0);
    out.push({
      insight_type: 'alert',
      alert_type: 'syn_flood',
      severity: flows >= R.criticalUnanswered ? 'critical' : 'high',
      summary: `${ip(ctx, dst)}:${port} received ${formatCount(flows)} unanswered TCP connection attempts ${from} in ${formatSeconds(last - first)}.`,
      details: {
        victim: ip(ctx, dst),
        port,
        // One source sent most of them; spoofed floods come from many.
        attacker: top[0] && top[0][1] >= flows / 2 ? ip(ctx, top[0][0]) : null,
        addresses: [ip(ctx, dst), ...top.map(([s]) => ip(ctx, s))],
        unanswered_flows: flows,
        distinct_sources: sources.size,
        top_sources: top.map(([s, n]) => ({ ip: ip(ctx, s), flows: n })),
        syn,
        synack,
        first_ts: first,
        last_ts: last,
      },
      ...eventRange(ctx, run, first, last),
      event_ts: first,
    });
  }
  return out;
}

/**
 * Floods other than SYN floods (UDP, ICMP, ICMPv6, other IP): over the whole capture, the
 * packets sent to one destination and port, by any sources, with almost nothing coming back.
 */
function packetFloods(ctx: Ctx): Insight[] {
  const R = RULES.packetFlood;
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
    const w0 = windowOf(g.first, ctx.windows);
    const w1 = windowOf(g.last, ctx.windows);
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
      window_start: ctx.rows.length ? w0 : null,
      window_end: ctx.rows.length ? w1 : null,
    });
  }
  return out;
}

/** Per conn_state code, 1 for the states a reset or a one-way TCP flow leaves (what `rstStorms` counts). */
const RESET_STATES = Uint8Array.from(CONN_STATES, (s) =>
  ['REJ', 'RSTR', 'RSTRH', 'RSTO', 'RSTOS0', 'OTH'].includes(s) ? 1 : 0,
);

function rstStorms(ctx: Ctx, scanVictims: Set<number>): Insight[] {
  const R = RULES.rstStorm;
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
    const ws = ctx.rows.slice(run.from, run.to + 1);
    const resets = ws.reduce((a, w) => a + w.tcp_rst_count, 0);
    const tcp = ws.reduce((a, w) => a + w.tcp_count, 0);
    // Who reset: the responder for REJ/RSTR/RSTRH, the originator for RSTO/RSTOS0, and the sender
    // of one-way TCP packets without a handshake (blind resets aimed at guessed connections).
    const senders = new Map<number, number>();
    const receivers = new Map<number, number>();
    let first = Number.POSITIVE_INFINITY;
    for (const f of flowsIn(ctx, run.from, run.to, -1, -1, 0xff00, 6 << 8, RESET_STATES)) {
      const st = CONN_STATES[index!.state(f)];
      const byResponder = st === 'REJ' || st === 'RSTR' || st === 'RSTRH';
      const byOriginator = st === 'RSTO' || st === 'RSTOS0';
      const blind = st === 'OTH' && index!.dstPackets(f) === 0;
      if (!byResponder && !byOriginator && !blind) continue;
      const s = byResponder ? index!.dst(f) : index!.src(f);
      const r = byResponder ? index!.src(f) : index!.dst(f);
      const n = blind ? index!.srcPackets(f) : 1;
      senders.set(s, (senders.get(s) ?? 0) + n);
      receivers.set(r, (receivers.get(r) ?? 0) + n);
      first = Math.min(first, index!.start(f));
    }
    const bySize = (m: Map<number, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
    const topSender = bySize(senders)[0];
    const topReceiver = bySize(receivers)[0];
    // A port scan's victim answering closed ports is the scan, already reported.
    if (topSender && scanVictims.has(topSender[0])) continue;
    const counted = [...senders.values()].reduce((a, b) => a + b, 0);
    // One address sent most of them, or they came from many (spoofed) sources.
    const attacker = topSender && topSender[1] >= counted / 2 ? topSender[0] : null;
    const victim = topReceiver && topReceiver[1] >= counted / 2 ? topReceiver[0] : null;
    const dur = ws[ws.length - 1].end_ts - ws[0].start_ts;
    const from =
      attacker !== null
        ? ` from ${ip(ctx, attacker)}`
        : senders.size > 1
          ? ` from ${formatCount(senders.size)} source addresses`
          : '';
    const to = victim !== null ? ` to ${ip(ctx, victim)}` : '';
    out.push({
      insight_type: 'alert',
      alert_type: 'rst_storm',
      severity: resets >= R.highResets ? 'high' : 'medium',
      summary: `${formatCount(resets)} TCP resets in ${formatSeconds(dur)} (${((resets / tcp) * 100).toFixed(1)}% of TCP packets)${from}${to}.`,
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
      ...windowRange(ctx, run.from, run.to),
      // The first reset's time when the flows show it (a run's first window may start earlier).
      ...(Number.isFinite(first) ? { event_ts: Math.max(first, ws[0].start_ts) } : {}),
    });
  }
  return out;
}

function trafficBursts(ctx: Ctx): Insight[] {
  const R = RULES.trafficBurst;
  const { usual, usualOut, bursts } = findBursts(ctx);
  const out: Insight[] = [];
  if (usual === 0) return out;
  // The conversation that carried most of each: flows overlapping the burst, bytes prorated by
  // the part of the flow inside it (a flow's bytes are assumed spread evenly over its life).
  const conversations = ctx.index ? burstConversations(ctx) : bursts.map(() => new PairTable(3));
  for (let r = 0; r < bursts.length; r++) {
    const { from, to, t0, t1, outbound } = bursts[r];
    const ws = ctx.rows.slice(from, to + 1);
    const bytes = ws.reduce((a, w) => a + w.byte_count, 0);
    const outBytes = ws.reduce((a, w) => a + w.outbound_bytes, 0);
    const peak = Math.max(...ws.map((w) => (outbound ? outRate(w) : w.bytes_per_sec)));
    const pairs = conversations[r];
    // The pair with the most bytes, the first of them on a tie (a stable sort's first).
    let best = -1;
    for (let e = 0; e < pairs.size; e++)
      if (best < 0 || pairs.values[3 * e] > pairs.values[3 * best]) best = e;
    const top =
      best < 0
        ? undefined
        : {
            src: pairs.hi[best],
            dst: pairs.lo[best],
            bytes: pairs.values[3 * best],
            first: pairs.values[3 * best + 1],
            port: pairs.values[3 * best + 2],
          };
    const toRemote = top && ctx.analyzer.isLocal(top.src) && !ctx.analyzer.isLocal(top.dst);
    // Downloads far above the usual rate are ordinary on most networks (updates, videos): worth a
    // line on the timeline, not an alarm. Data leaving is what matters: an outbound surge is
    // medium, a large upload to one remote address high.
    const severity: Severity =
      top && toRemote && top.bytes >= R.highBytes && top.bytes >= (outbound ? outBytes : bytes) / 2
        ? 'high'
        : outbound && peak >= R.mediumFactor * usualOut
          ? 'medium'
          : 'low';
    const who = top
      ? `; ${ip(ctx, top.src)} sent ${formatBytes(top.bytes)} of it to ${ip(ctx, top.dst)}${top.port ? `:${top.port}` : ''}`
      : '';
    const base = outbound ? usualOut : usual;
    const what = outbound ? 'Outbound traffic (local hosts to remote addresses)' : 'Traffic';
    out.push({
      insight_type: 'alert',
      alert_type: 'traffic_burst',
      severity,
      summary: `${what} rose to ${formatBytes(peak)}/s for ${formatSeconds(t1 - t0)}, ${(peak / base).toFixed(0)}× the capture's usual ${formatBytes(base)}/s (${formatBytes(outbound ? outBytes : bytes)} in all)${who}.`,
      details: {
        direction: outbound ? 'outbound' : 'all',
        bytes,
        outbound_bytes: outBytes,
        peak_bytes_per_sec: peak,
        usual_bytes_per_sec: base,
        addresses: top ? [ip(ctx, top.src), ip(ctx, top.dst)] : [],
        top_sender: top ? ip(ctx, top.src) : null,
        top_receiver: top ? ip(ctx, top.dst) : null,
        port: top?.port ?? null,
        top_bytes: top ? Math.round(top.bytes) : 0,
        outbound_to_remote: Boolean(toRemote),
      },
      ...windowRange(ctx, from, to),
      // When the conversation that carried it began inside the burst, that is when it started.
      event_ts: top ? Math.max(t0, top.first) : t0,
    });
  }
  return out;
}

interface Burst {
  from: number;
  to: number;
  t0: number;
  t1: number;
  outbound: boolean;
}

const outRate = (w: WindowRow) => w.outbound_bytes / (w.end_ts - w.start_ts || 1);

interface BurstSet {
  /** The capture's usual bytes per second (all, outbound): medians over windows with traffic. */
  usual: number;
  usualOut: number;
  bursts: Burst[];
}

/** The runs of windows far above the usual rate (none when the capture has no traffic). */
function findBursts(ctx: Ctx): BurstSet {
  if (ctx.bursts) return ctx.bursts;
  const R = RULES.trafficBurst;
  const usual = median(ctx.rows.map((w) => w.bytes_per_sec).filter((r) => r > 0));
  const usualOut = median(ctx.rows.map(outRate).filter((r) => r > 0));
  // A window is a burst in all its traffic, or in what local hosts sent out (an upload can be far
  // above the usual outbound rate while downloads keep the total ordinary).
  const total = (w: WindowRow) => w.bytes_per_sec >= R.minFactor * usual && w.byte_count >= R.minBytes;
  const upload = (w: WindowRow) =>
    usualOut > 0 && outRate(w) >= R.minFactor * usualOut && w.outbound_bytes >= R.minBytes;
  const bursts: Burst[] =
    usual === 0
      ? []
      : runs(ctx.rows.length, (k) => (total(ctx.rows[k]) || upload(ctx.rows[k]) ? 'burst' : null)).map(
          (run) => {
            const ws = ctx.rows.slice(run.from, run.to + 1);
            return {
              from: run.from,
              to: run.to,
              t0: ws[0].start_ts,
              t1: ws[ws.length - 1].end_ts,
              outbound: ws.filter(upload).length > ws.filter(total).length,
            };
          },
        );
  ctx.bursts = { usual, usualOut, bursts };
  return ctx.bursts;
}

/**
 * Per burst, per (sender, receiver): bytes, first start and port of its first flow, over the flows
 * that may overlap the burst (those starting from SHORT_SPAN windows before it, a shorter flow
 * cannot reach further, and the long flows) and do, in ascending order; for an outbound burst,
 * only local hosts sending to remote ones. One pass over the index serves every burst, instead of
 * gathering and sorting each burst's flows.
 */
function burstConversations(ctx: Ctx): PairTable[] {
  if (ctx.conversations) return ctx.conversations;
  const index = ctx.index!;
  const { bursts } = findBursts(ctx);
  const conversations = bursts.map(() => new PairTable(3));
  ctx.conversations = conversations;
  if (bursts.length === 0) return conversations;
  const { t0: w0, lengthS, count } = ctx.windows;
  const last = Math.max(count - 1, 0);
  // Per window, the burst that looks at the flows starting there. Runs of bursts are at least
  // three windows apart, so the spans do not overlap.
  const burstOf = new Int32Array(last + 1).fill(-1);
  for (let b = 0; b < bursts.length; b++)
    for (let k = Math.max(0, bursts[b].from - SHORT_SPAN); k <= Math.min(last, bursts[b].to); k++)
      burstOf[k] = b;
  const isLocal = (id: number) => ctx.analyzer.isLocal(id);
  // The index's rows read in place (see `chunks`), in one flat loop (see `groupFlows`).
  const { doubles, words } = index.chunks();
  const ROW = FLOW_CHUNK - 1;
  for (let f = 0; f < index.size; f++) {
    const d = doubles[f >>> 16];
    const w = words[f >>> 16];
    const o = (f & ROW) * FLOW_DOUBLES;
    const u = (f & ROW) * FLOW_WORDS;
    const s = d[o];
    const e = d[o + 1];
    // windowAt written out (this loop runs for every flow): the grouping's windows.
    const k = Math.min(Math.max(Math.floor((s - w0) / lengthS), 0), last);
    const own = burstOf[k];
    // A long flow (its end over SHORT_SPAN windows after its start) may overlap any burst: those
    // its windows come near (one window of slack for rounding; the times decide). A flow shorter
    // than a window ends at most two windows (with rounding) after its start: not long.
    const end = e - s > lengthS ? Math.min(Math.max(Math.floor((e - w0) / lengthS), 0), last) : k;
    const long = end - k > SHORT_SPAN;
    if (own < 0 && !long) continue;
    // One call site, so the loop is compiled with one copy of it.
    for (let b = long ? 0 : own; b < (long ? bursts.length : own + 1); b++)
      if (b === own || (long && k <= bursts[b].to + 1 && end + 1 >= bursts[b].from))
        addConversation(d, w, o, u, bursts[b], isLocal, conversations[b]);
  }
  return conversations;
}

/**
 * The bytes inside the burst of the flow at `o` and `u` of an index chunk (`d`, `w`), prorated by the
 * part of its life there, to its conversation. It reads the flow's times again rather than take
 * them: a double passed to a call that is not inlined is allocated.
 */
function addConversation(
  d: Float64Array,
  w: Uint32Array,
  o: number,
  u: number,
  burst: Burst,
  isLocal: (id: number) => boolean,
  pairs: PairTable,
): void {
  const s = d[o];
  const e = d[o + 1];
  const { t0, t1 } = burst;
  if (e < t0 || s >= t1) return;
  const life = e - s;
  const part = life <= 0 ? 1 : (Math.min(e, t1) - Math.max(s, t0)) / life;
  const sb = d[o + 2] * part;
  const db = d[o + 3] * part;
  const forward = sb >= db;
  const src = forward ? w[u + 2] : w[u + 3];
  const dst = forward ? w[u + 3] : w[u + 2];
  if (burst.outbound && !(isLocal(src) && !isLocal(dst))) return;
  const p = pairs.add(src, dst) * 3;
  const pv = pairs.values;
  if (pairs.added) {
    pv[p + 1] = s;
    pv[p + 2] = w[u + 4] >>> 16;
  }
  pv[p] += Math.max(sb, db);
  pv[p + 1] = Math.min(pv[p + 1], s);
}

function connectionBursts(ctx: Ctx): Insight[] {
  const R = RULES.connectionBurst;
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

function retransmissionSpikes(ctx: Ctx): Insight[] {
  const R = RULES.retransmissionSpike;
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

function anomalyBursts(ctx: Ctx, anomalies: AnomalyView[]): Insight[] {
  const R = RULES.anomalyBurst;
  const out: Insight[] = [];
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
        if (n >= R.minWindows || peak >= R.singleScore) {
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

function summaryInsights(ctx: Ctx): Insight[] {
  const s = ctx.summary;
  const out: Insight[] = [];
  const first = s.file.first_ts === null ? null : Number(s.file.first_ts);
  const top = s.top_talkers[0];
  if (top && s.file.bytes > 0)
    out.push({
      insight_type: 'summary',
      alert_type: 'dominant_talker',
      severity: 'low',
      // share counts a packet for its sender and for its receiver (tshark's endpoints): an address
      // talking to itself can pass 100%, so the sentence says what is counted.
      summary: `${top.ip} is the busiest address: the bytes it sent and received come to ${top.share.toFixed(1)}% of the capture's bytes (${formatBytes(top.bytes)} in ${formatCount(top.packets)} packets).`,
      details: { ip: top.ip, bytes: top.bytes, packets: top.packets, share: top.share, addresses: [top.ip] },
      event_ts: first,
      window_start: ctx.rows.length ? 0 : null,
      window_end: ctx.rows.length ? ctx.rows.length - 1 : null,
    });
  const port = [...s.ports].sort((a, b) => b.bytes - a.bytes || b.packets - a.packets)[0];
  if (port) {
    const transportBytes = s.ports.reduce((a, p) => a + p.bytes, 0);
    const share = transportBytes ? (port.bytes / transportBytes) * 100 : 0;
    out.push({
      insight_type: 'summary',
      alert_type: 'dominant_service',
      severity: 'low',
      summary: `${port.label}/${port.protocol} carried the most traffic: ${formatBytes(port.bytes)} in ${formatCount(port.flows)} flows (${share.toFixed(1)}% of the bytes of the listed services).`,
      details: {
        protocol: port.protocol,
        port: port.port,
        service: port.service,
        bytes: port.bytes,
        flows: port.flows,
        packets: port.packets,
        addresses: [],
      },
      event_ts: first,
      window_start: ctx.rows.length ? 0 : null,
      window_end: ctx.rows.length ? ctx.rows.length - 1 : null,
    });
  }
  return out;
}
