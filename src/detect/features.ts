import {
  type ArpLog,
  CONN_STATES,
  type FlowIndex,
  unansweredState,
  type WindowRow,
  type WindowSet,
} from '../analysis/index.js';

/**
 * The model's feature vector of a window (SPEC §5). Rates and counts are log-scaled (ln(1 + x)),
 * so a tenfold burst is a step of the same size whatever the capture's usual level; ratios,
 * shares and entropies stay as they are. Each entry says in a user's words what it measures, and
 * `floor` is the smallest spread the robust scaling will assume for it (a feature that never moves
 * in the baseline must move by at least that much to count as unusual: ln(1+x) features by a
 * factor of about 1.6, shares by 5 points).
 */
export const FEATURES = [
  { name: 'bytes_per_sec', floor: 0.5, about: 'bytes per second, ln(1+x)' },
  { name: 'packets_per_sec', floor: 0.5, about: 'packets per second, ln(1+x)' },
  { name: 'connection_rate', floor: 0.5, about: 'new flows per second, ln(1+x)' },
  { name: 'syn_per_sec', floor: 0.5, about: 'TCP SYNs (without ACK) per second, ln(1+x)' },
  {
    name: 'syn_synack_ratio',
    floor: 0.5,
    about: 'ln((SYN+5)/(SYN-ACK+5)): connection attempts left without a SYN-ACK (5 of each as prior)',
  },
  {
    name: 'rst_rate',
    floor: 0.05,
    about:
      'RST packets other than refusals of a connection attempt (Zeek REJ) / (TCP packets + 20): aborts and injected resets',
  },
  { name: 'retransmission_rate', floor: 0.05, about: 'retransmissions / (TCP packets + 20)' },
  { name: 'unique_src_ips', floor: 0.5, about: 'distinct source addresses, ln(1+x)' },
  { name: 'unique_dst_ips', floor: 0.5, about: 'distinct destination addresses, ln(1+x)' },
  { name: 'port_diversity', floor: 0.5, about: 'distinct service ports, ln(1+x)' },
  {
    name: 'max_dst_ports_per_src',
    floor: 0.5,
    about: 'most distinct destination ports one source tried, ln(1+x)',
  },
  {
    name: 'max_dst_hosts_per_src',
    floor: 0.5,
    about: 'most distinct hosts one source tried to reach (by new flows or by ARP requests), ln(1+x)',
  },
  {
    name: 'max_flows_per_src',
    floor: 0.5,
    about: 'most new TCP connections (begun with a SYN) one source opened to one host and port, ln(1+x)',
  },
  {
    name: 'unanswered_flows',
    floor: 0.5,
    about: 'new TCP flows the responder never answered at all (S0, SH, RSTOS0), ln(1+x)',
  },
  { name: 'dst_port_entropy', floor: 0.5, about: 'entropy of the destination ports of new flows, bits' },
  { name: 'mean_packet_size', floor: 50, about: 'mean packet size, bytes' },
  {
    name: 'tcp_share',
    floor: 0.1,
    about: "TCP share of packets other than ARP, with 20 packets of the capture's own mix as prior",
  },
  {
    name: 'udp_share',
    floor: 0.1,
    about: "UDP share of packets other than ARP, with 20 packets of the capture's own mix as prior",
  },
  {
    name: 'icmp_share',
    floor: 0.1,
    about:
      "ICMP and ICMPv6 share of packets other than ARP, with 20 packets of the capture's own mix as prior",
  },
  {
    name: 'outbound_bytes_per_sec',
    floor: 0.5,
    about: 'bytes from local to remote addresses per second, ln(1+x)',
  },
  { name: 'out_in_ratio', floor: 0.5, about: 'ln((outbound bytes+1)/(inbound bytes+1))' },
  {
    name: 'max_upload_kb',
    // Upload sizes span orders of magnitude (requests of a few kB, photos of tens of MB): one unit
    // of spread is a factor of e² ≈ 7.
    floor: 2,
    about:
      'largest upload in progress, kB: most bytes one local host sent beyond what it received, on connections it opened to one remote address that are open during the window (connections open at the same time count as one upload), ln(1+x)',
  },
] as const;

export type FeatureName = (typeof FEATURES)[number]['name'];
export const FEATURE_NAMES: string[] = FEATURES.map((f) => f.name);
export const FEATURE_COUNT = FEATURES.length;

/**
 * Features where only a rise is a symptom: volumes, rates and counts. Attacks add traffic; less
 * of it than usual is a quiet hour of the day, so the model judges these only upwards in windows
 * with traffic (a silent window, an outage, is judged on everything). Ratios, shares, entropy and
 * packet size stay two-sided: a flood lowers the mean packet size and the port entropy.
 */
export const RISE_ONLY: ReadonlySet<FeatureName> = new Set<FeatureName>([
  'bytes_per_sec',
  'packets_per_sec',
  'connection_rate',
  'syn_per_sec',
  'rst_rate',
  'retransmission_rate',
  'unique_src_ips',
  'unique_dst_ips',
  'port_diversity',
  'max_dst_ports_per_src',
  'max_dst_hosts_per_src',
  'max_flows_per_src',
  'unanswered_flows',
  'outbound_bytes_per_sec',
  'max_upload_kb',
]);

/** Who did the most in one window: the material for insights. Ids are address-table ids. */
export interface WindowActors {
  /** The (source, destination) pair with the most distinct destination ports. */
  scanSrc: number;
  scanDst: number;
  scanPorts: number;
  /** The (source, port, protocol) with the most distinct destination hosts. */
  sweepSrc: number;
  sweepPort: number;
  sweepProto: number;
  sweepHosts: number;
  /** The (destination, port) with the most unanswered new TCP flows, and from how many sources. */
  floodDst: number;
  floodPort: number;
  floodFlows: number;
  floodSources: number;
  /** The (source, destination, port) with the most new flows. */
  burstSrc: number;
  burstDst: number;
  burstPort: number;
  burstFlows: number;
}

export interface WindowFeatures {
  /** Row-major, windows × FEATURE_COUNT, raw (unscaled) values. */
  values: Float64Array;
  count: number;
  actors: WindowActors[];
}

const ln1p = Math.log1p;
const PRIOR = 20;
const SYN_PRIOR = 5;

/** Zeek states in which the responder sent nothing at all: what a flood or a dead host leaves. */
const SILENT = new Set(
  ['S0', 'SH', 'RSTOS0'].map((s) => CONN_STATES.indexOf(s as (typeof CONN_STATES)[number])),
);
/** A connection attempt refused with a reset: the answer of a closed port. */
const REJ = CONN_STATES.indexOf('REJ');
const OTH = CONN_STATES.indexOf('OTH');

export interface FeatureInputs {
  /** ARP requests, for hosts tried by ARP (a sweep of the local network). */
  arp?: Pick<ArpLog, 'size' | 'ts' | 'op' | 'sender' | 'target'> | null;
  /** Whether an address-table id is in the session's local networks (for uploads). */
  isLocal?: (id: number) => boolean;
}

/**
 * Computes every window's feature vector: window counters from the analysis, and per-source
 * figures from the flow index (each flow counts in the window where it started). Flows are put
 * in window order with a counting sort, then each window's flows are grouped with maps that are
 * cleared between windows, so memory is the index plus the busiest window.
 */
export function computeFeatures(
  windows: WindowSet,
  index: FlowIndex | null,
  inputs: FeatureInputs = {},
): WindowFeatures {
  const n = windows.count;
  const values = new Float64Array(n * FEATURE_COUNT);
  const actors: WindowActors[] = [];
  const order = index ? flowsByWindow(index, windows) : null;
  const srcPorts = new Map<number, number>();
  const pairPorts = new Map<number, number>();
  const pairPortSeen = new Set<number>();
  const srcHosts = new Map<number, number>();
  const srcHostSeen = new Set<number>();
  const sweep = new Map<number, number>();
  const sweepSeen = new Set<number>();
  const flood = new Map<number, number>();
  const floodSrcSeen = new Set<number>();
  const floodSources = new Map<number, number>();
  const burst = new Map<number, number>();
  const connections = new Map<number, number>();
  const portCounts = new Map<number, number>();
  const srcPortSeen = new Set<number>();
  // Composite keys would not fit in a double's 53 exact bits (two 26-bit ids and a port), so each
  // window numbers its (source, destination) pairs, sweep keys and (destination, port) keys.
  const pairIds = new Map<number, number>();
  const sweepIds = new Map<number, number>();
  const dpIds = new Map<number, number>();
  const intern = (m: Map<number, number>, key: number) => {
    let id = m.get(key);
    if (id === undefined) {
      id = m.size;
      m.set(key, id);
    }
    return id;
  };
  const arp = inputs.arp ? arpByWindow(inputs.arp, windows) : null;
  const mix = protocolMix(windows, arp);
  const uploads =
    index && inputs.isLocal && order ? largestUploads(index, order, windows, inputs.isLocal) : null;
  let k = 0;
  for (const w of windows.rows()) {
    const o = k * FEATURE_COUNT;
    const dur = w.end_ts - w.start_ts || 1;
    const tcp = w.tcp_count;
    const v = values;
    v[o] = ln1p(w.bytes_per_sec);
    v[o + 1] = ln1p(w.packets_per_sec);
    v[o + 2] = ln1p(w.connection_rate);
    v[o + 3] = ln1p(w.tcp_syn_count / dur);
    // Five of each as prior: a window with three SYNs and one SYN-ACK is not a flood.
    v[o + 4] = Math.log((w.tcp_syn_count + SYN_PRIOR) / (w.tcp_synack_count + SYN_PRIOR));
    // Ratios get 20 pseudo-packets of prior: 1 RST among 3 packets is not a storm.
    v[o + 5] = w.tcp_rst_count / (tcp + PRIOR);
    v[o + 6] = w.tcp_retransmissions / (tcp + PRIOR);
    v[o + 7] = ln1p(w.unique_src_ips);
    v[o + 8] = ln1p(w.unique_dst_ips);
    v[o + 9] = ln1p(w.port_diversity);
    v[o + 15] = w.avg_packet_size;
    // Shares of few packets lean towards the capture's own mix, not towards zero: a window of two
    // DNS packets is quiet, not "unusually little TCP". ARP is left out: a LAN sweep's address
    // resolution is counted where it belongs (hosts tried), not as a drop in the TCP share.
    const counted = Math.max(
      w.packet_count - (arp ? arp.frames[k] : 0),
      w.tcp_count + w.udp_count + w.icmp_count,
    );
    v[o + 16] = (w.tcp_count + PRIOR * mix.tcp) / (counted + PRIOR);
    v[o + 17] = (w.udp_count + PRIOR * mix.udp) / (counted + PRIOR);
    v[o + 18] = (w.icmp_count + PRIOR * mix.icmp) / (counted + PRIOR);
    v[o + 19] = ln1p(w.outbound_bytes / dur);
    v[o + 20] = Math.log((w.outbound_bytes + 1) / (w.inbound_bytes + 1));

    const a: WindowActors = {
      scanSrc: -1,
      scanDst: -1,
      scanPorts: 0,
      sweepSrc: -1,
      sweepPort: 0,
      sweepProto: 0,
      sweepHosts: 0,
      floodDst: -1,
      floodPort: 0,
      floodFlows: 0,
      floodSources: 0,
      burstSrc: -1,
      burstDst: -1,
      burstPort: 0,
      burstFlows: 0,
    };
    if (index && order) {
      srcPorts.clear();
      pairPorts.clear();
      pairPortSeen.clear();
      srcHosts.clear();
      srcHostSeen.clear();
      sweep.clear();
      sweepSeen.clear();
      flood.clear();
      floodSrcSeen.clear();
      floodSources.clear();
      burst.clear();
      connections.clear();
      portCounts.clear();
      srcPortSeen.clear();
      pairIds.clear();
      sweepIds.clear();
      dpIds.clear();
      let maxPorts = 0;
      let maxHosts = 0;
      let maxConnections = 0;
      let unanswered = 0;
      let refused = 0;
      let flows = 0;
      for (let j = order.offsets[k]; j < order.offsets[k + 1]; j++) {
        const f = order.flows[j];
        const src = index.src(f);
        const dst = index.dst(f);
        const port = index.dstPort(f);
        const proto = index.proto(f);
        flows++;
        // Address ids are below 2^26 and ports below 2^16: a key of one id and a port, or of two
        // ids, is an exact double; anything longer goes through the window's numbering.
        const sp = src * 65536 + port;
        if (!srcPortSeen.has(sp)) {
          srcPortSeen.add(sp);
          const c = (srcPorts.get(src) ?? 0) + 1;
          srcPorts.set(src, c);
          if (c > maxPorts) maxPorts = c;
        }
        const sh = src * 67108864 + dst;
        const pair = intern(pairIds, sh);
        if (!srcHostSeen.has(sh)) {
          srcHostSeen.add(sh);
          const c = (srcHosts.get(src) ?? 0) + 1;
          srcHosts.set(src, c);
          if (c > maxHosts) maxHosts = c;
        }
        portCounts.set(port * 256 + proto, (portCounts.get(port * 256 + proto) ?? 0) + 1);
        if (proto === 6 || proto === 17) {
          // Port scan: distinct ports per (src, dst) pair.
          const pp = pair * 65536 + port;
          if (!pairPortSeen.has(pp)) {
            pairPortSeen.add(pp);
            const n2 = (pairPorts.get(sh) ?? 0) + 1;
            pairPorts.set(sh, n2);
            if (n2 > a.scanPorts) {
              a.scanPorts = n2;
              a.scanSrc = src;
              a.scanDst = dst;
            }
          }
        }
        // Host sweep: distinct hosts per (src, port, protocol); ICMP sweeps have port 0.
        const sweepKey = (src * 65536 + port) * 256 + proto;
        const seenKey = intern(sweepIds, sweepKey) * 67108864 + dst;
        if (!sweepSeen.has(seenKey)) {
          sweepSeen.add(seenKey);
          const n2 = (sweep.get(sweepKey) ?? 0) + 1;
          sweep.set(sweepKey, n2);
          if (n2 > a.sweepHosts) {
            a.sweepHosts = n2;
            a.sweepSrc = src;
            a.sweepPort = port;
            a.sweepProto = proto;
          }
        }
        const dp = dst * 65536 + port;
        if (proto === 6 && SILENT.has(index.state(f))) unanswered++;
        if (proto === 6 && index.state(f) === REJ) refused++;
        if (proto === 6 && unansweredState(index.state(f))) {
          const n2 = (flood.get(dp) ?? 0) + 1;
          flood.set(dp, n2);
          const fs = intern(dpIds, dp) * 67108864 + src;
          if (!floodSrcSeen.has(fs)) {
            floodSrcSeen.add(fs);
            floodSources.set(dp, (floodSources.get(dp) ?? 0) + 1);
          }
          if (n2 > a.floodFlows) {
            a.floodFlows = n2;
            a.floodDst = dst;
            a.floodPort = port;
          }
        }
        const bk = pair * 65536 + port;
        {
          const n2 = (burst.get(bk) ?? 0) + 1;
          burst.set(bk, n2);
          // Connections begin with a SYN: a stray packet without a handshake (Zeek OTH) is none.
          if (proto === 6 && index.state(f) !== OTH) {
            const n3 = (connections.get(bk) ?? 0) + 1;
            connections.set(bk, n3);
            if (n3 > maxConnections) maxConnections = n3;
          }
          if (n2 > a.burstFlows) {
            a.burstFlows = n2;
            a.burstSrc = src;
            a.burstDst = dst;
            a.burstPort = port;
          }
        }
      }
      if (a.floodDst >= 0) a.floodSources = floodSources.get(a.floodDst * 65536 + a.floodPort) ?? 0;
      v[o + 10] = ln1p(maxPorts);
      v[o + 11] = ln1p(Math.max(maxHosts, arp ? arp.targets[k] : 0));
      v[o + 12] = ln1p(maxConnections);
      v[o + 13] = ln1p(unanswered);
      // A closed port answering a SYN is a refusal (what SYN vs SYN-ACK measures), not a reset of a
      // connection: those resets are left out of the RST rate.
      v[o + 5] = Math.max(0, w.tcp_rst_count - refused) / (tcp + PRIOR);
      let entropy = 0;
      if (flows > 0)
        for (const c of portCounts.values()) {
          const p = c / flows;
          entropy -= p * Math.log2(p);
        }
      v[o + 14] = entropy;
    }
    // In kilobytes: a few hundred bytes of requests is no upload, and should not spread the scale.
    if (uploads) v[o + 21] = ln1p(uploads[k] / 1000);
    actors.push(a);
    k++;
  }
  return { values, count: n, actors };
}

/**
 * Per window, the most distinct addresses one sender asked for in ARP requests (not gratuitous),
 * and the ARP frames (requests and replies).
 */
function arpByWindow(
  arp: NonNullable<FeatureInputs['arp']>,
  windows: Pick<WindowSet, 't0' | 'lengthS' | 'count'>,
): { targets: Uint32Array; frames: Uint32Array } {
  const out = new Uint32Array(windows.count);
  const frames = new Uint32Array(windows.count);
  const perSender = new Map<number, Set<number>>();
  // ARP entries are in capture order, which is time order but for timestamps going backwards:
  // group by window first.
  const byWindow = new Map<number, number[]>();
  for (let i = 0; i < arp.size; i++) {
    const w = windowOf(arp.ts[i], windows);
    frames[w]++;
    if (arp.op[i] !== 1 || arp.sender[i] === arp.target[i]) continue;
    const list = byWindow.get(w);
    if (list) list.push(i);
    else byWindow.set(w, [i]);
  }
  for (const [w, list] of byWindow) {
    perSender.clear();
    let best = 0;
    for (const i of list) {
      let targets = perSender.get(arp.sender[i]);
      if (!targets) perSender.set(arp.sender[i], (targets = new Set()));
      targets.add(arp.target[i]);
      if (targets.size > best) best = targets.size;
    }
    out[w] = best;
  }
  return { targets: out, frames };
}

/**
 * Per window, the largest upload in progress: over (local host, remote address) pairs, the bytes
 * the local host sent beyond what it received on the connections it opened to that address, where
 * connections open at the same time count as one upload spanning all their windows. Flows are
 * visited in start-window order; each upload's total is applied to its window range with a
 * range-maximum segment tree, so the cost is O(flows + uploads · log windows).
 */
function largestUploads(
  index: FlowIndex,
  order: { offsets: Uint32Array; flows: Uint32Array },
  windows: Pick<WindowSet, 't0' | 'lengthS' | 'count'>,
  isLocal: (id: number) => boolean,
): Float64Array {
  const n = windows.count;
  let size = 1;
  while (size < n) size *= 2;
  const tag = new Float64Array(2 * size);
  const apply = (from: number, to: number, v: number) => {
    let l = from + size;
    let r = to + size + 1;
    while (l < r) {
      if (l & 1) {
        if (tag[l] < v) tag[l] = v;
        l++;
      }
      if (r & 1) {
        r--;
        if (tag[r] < v) tag[r] = v;
      }
      l >>= 1;
      r >>= 1;
    }
  };
  const open = new Map<number, { bytes: number; from: number; to: number; end: number }>();
  const localCache = new Map<number, boolean>();
  const local = (id: number) => {
    let x = localCache.get(id);
    if (x === undefined) {
      x = isLocal(id);
      localCache.set(id, x);
    }
    return x;
  };
  for (let w = 0; w < n; w++) {
    for (let j = order.offsets[w]; j < order.offsets[w + 1]; j++) {
      const f = order.flows[j];
      const src = index.src(f);
      const dst = index.dst(f);
      // Uploads are what a local host pushes out on connections it opened; a local server answering
      // remote clients is serving, not uploading.
      if (!local(src) || local(dst)) continue;
      // What left beyond what came back: a download's ACKs are not an upload.
      const bytes = index.srcBytes(f) - index.dstBytes(f);
      const key = src * 67108864 + dst;
      const to = Math.max(w, windowOf(index.end(f), windows));
      const u = open.get(key);
      if (u && index.start(f) <= u.end) {
        // Connections of the pair open at the same time are one upload (parallel streams).
        u.bytes += bytes;
        if (to > u.to) u.to = to;
        if (index.end(f) > u.end) u.end = index.end(f);
      } else {
        if (u) apply(u.from, u.to, Math.max(0, u.bytes));
        open.set(key, { bytes, from: w, to, end: index.end(f) });
      }
    }
  }
  for (const u of open.values()) apply(u.from, u.to, Math.max(0, u.bytes));
  const out = new Float64Array(n);
  for (let w = 0; w < n; w++) {
    let best = 0;
    for (let node = w + size; node >= 1; node >>= 1) if (tag[node] > best) best = tag[node];
    out[w] = best;
  }
  return out;
}

/** The capture's TCP, UDP and ICMP shares of its packets other than ARP (0 each when it has none). */
function protocolMix(
  windows: WindowSet,
  arp: { frames: Uint32Array } | null,
): { tcp: number; udp: number; icmp: number } {
  let packets = 0;
  if (arp) for (const n of arp.frames) packets -= n;
  let tcp = 0;
  let udp = 0;
  let icmp = 0;
  for (const w of windows.rows()) {
    packets += w.packet_count;
    tcp += w.tcp_count;
    udp += w.udp_count;
    icmp += w.icmp_count;
  }
  packets = Math.max(packets, tcp + udp + icmp);
  return packets
    ? { tcp: tcp / packets, udp: udp / packets, icmp: icmp / packets }
    : { tcp: 0, udp: 0, icmp: 0 };
}

/** Flow numbers grouped by the window of their start (a counting sort). */
export function flowsByWindow(
  index: FlowIndex,
  windows: Pick<WindowSet, 't0' | 'lengthS' | 'count'>,
): { offsets: Uint32Array; flows: Uint32Array } {
  const n = windows.count;
  const offsets = new Uint32Array(n + 1);
  if (n === 0) return { offsets, flows: new Uint32Array(0) };
  const win = new Uint32Array(index.size);
  for (let f = 0; f < index.size; f++) {
    const w = windowOf(index.start(f), windows);
    win[f] = w;
    offsets[w + 1]++;
  }
  for (let w = 0; w < n; w++) offsets[w + 1] += offsets[w];
  const fill = offsets.slice(0, n);
  const flows = new Uint32Array(index.size);
  for (let f = 0; f < index.size; f++) flows[fill[win[f]]++] = f;
  return { offsets, flows };
}

export function windowOf(ts: number, w: Pick<WindowSet, 't0' | 'lengthS' | 'count'>): number {
  return Math.min(Math.max(Math.floor((ts - w.t0) / w.lengthS), 0), Math.max(w.count - 1, 0));
}

export type { WindowRow };
