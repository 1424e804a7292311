import { type FlowIndex, unansweredState, type WindowRow, type WindowSet } from '../analysis/index.js';

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
  { name: 'syn_synack_ratio', floor: 0.5, about: 'ln((SYN+1)/(SYN-ACK+1)): SYNs left unanswered' },
  { name: 'rst_rate', floor: 0.05, about: 'RST packets / (TCP packets + 20)' },
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
    about: 'most distinct destination hosts one source tried, ln(1+x)',
  },
  { name: 'max_flows_per_src', floor: 0.5, about: 'most new flows one source opened, ln(1+x)' },
  {
    name: 'unanswered_flows',
    floor: 0.5,
    about: 'new flows the responder never completed (S0, REJ, …), ln(1+x)',
  },
  { name: 'dst_port_entropy', floor: 0.5, about: 'entropy of the destination ports of new flows, bits' },
  { name: 'mean_packet_size', floor: 50, about: 'mean packet size, bytes' },
  { name: 'tcp_share', floor: 0.1, about: 'TCP packets / (packets + 20)' },
  { name: 'udp_share', floor: 0.1, about: 'UDP packets / (packets + 20)' },
  { name: 'icmp_share', floor: 0.1, about: 'ICMP and ICMPv6 packets / (packets + 20)' },
  {
    name: 'outbound_bytes_per_sec',
    floor: 0.5,
    about: 'bytes from local to remote addresses per second, ln(1+x)',
  },
  { name: 'out_in_ratio', floor: 0.5, about: 'ln((outbound bytes+1)/(inbound bytes+1))' },
] as const;

export type FeatureName = (typeof FEATURES)[number]['name'];
export const FEATURE_NAMES: string[] = FEATURES.map((f) => f.name);
export const FEATURE_COUNT = FEATURES.length;

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

/**
 * Computes every window's feature vector: window counters from the analysis, and per-source
 * figures from the flow index (each flow counts in the window where it started). Flows are put
 * in window order with a counting sort, then each window's flows are grouped with maps that are
 * cleared between windows, so memory is the index plus the busiest window.
 */
export function computeFeatures(windows: WindowSet, index: FlowIndex | null): WindowFeatures {
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
  const srcFlows = new Map<number, number>();
  const flood = new Map<number, number>();
  const floodSrcSeen = new Set<number>();
  const floodSources = new Map<number, number>();
  const burst = new Map<number, number>();
  const portCounts = new Map<number, number>();
  const srcPortSeen = new Set<number>();
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
    v[o + 4] = Math.log((w.tcp_syn_count + 1) / (w.tcp_synack_count + 1));
    // Ratios get 20 pseudo-packets of prior: 1 RST among 3 packets is not a storm.
    v[o + 5] = w.tcp_rst_count / (tcp + PRIOR);
    v[o + 6] = w.tcp_retransmissions / (tcp + PRIOR);
    v[o + 7] = ln1p(w.unique_src_ips);
    v[o + 8] = ln1p(w.unique_dst_ips);
    v[o + 9] = ln1p(w.port_diversity);
    v[o + 15] = w.avg_packet_size;
    v[o + 16] = w.tcp_count / (w.packet_count + PRIOR);
    v[o + 17] = w.udp_count / (w.packet_count + PRIOR);
    v[o + 18] = w.icmp_count / (w.packet_count + PRIOR);
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
      srcFlows.clear();
      flood.clear();
      floodSrcSeen.clear();
      floodSources.clear();
      burst.clear();
      portCounts.clear();
      srcPortSeen.clear();
      let maxPorts = 0;
      let maxHosts = 0;
      let maxFlows = 0;
      let unanswered = 0;
      let flows = 0;
      for (let j = order.offsets[k]; j < order.offsets[k + 1]; j++) {
        const f = order.flows[j];
        const src = index.src(f);
        const dst = index.dst(f);
        const port = index.dstPort(f);
        const proto = index.proto(f);
        flows++;
        // Keys pack ids below 2^26 and ports below 2^16 (plus protocol) into exact doubles.
        const sp = src * 65536 + port;
        if (!srcPortSeen.has(sp)) {
          srcPortSeen.add(sp);
          const c = (srcPorts.get(src) ?? 0) + 1;
          srcPorts.set(src, c);
          if (c > maxPorts) maxPorts = c;
        }
        const sh = src * 67108864 + dst;
        if (!srcHostSeen.has(sh)) {
          srcHostSeen.add(sh);
          const c = (srcHosts.get(src) ?? 0) + 1;
          srcHosts.set(src, c);
          if (c > maxHosts) maxHosts = c;
        }
        const c = (srcFlows.get(src) ?? 0) + 1;
        srcFlows.set(src, c);
        if (c > maxFlows) maxFlows = c;
        portCounts.set(port * 256 + proto, (portCounts.get(port * 256 + proto) ?? 0) + 1);
        if (proto === 6 || proto === 17) {
          // Port scan: distinct ports per (src, dst) pair.
          const pp = sh * 65536 + port;
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
        const seenKey = sweepKey * 67108864 + dst;
        if (Number.isSafeInteger(seenKey) && !sweepSeen.has(seenKey)) {
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
        if (proto === 6 && unansweredState(index.state(f))) {
          unanswered++;
          const n2 = (flood.get(dp) ?? 0) + 1;
          flood.set(dp, n2);
          const fs = dp * 67108864 + src;
          if (Number.isSafeInteger(fs) && !floodSrcSeen.has(fs)) {
            floodSrcSeen.add(fs);
            floodSources.set(dp, (floodSources.get(dp) ?? 0) + 1);
          }
          if (n2 > a.floodFlows) {
            a.floodFlows = n2;
            a.floodDst = dst;
            a.floodPort = port;
          }
        }
        const bk = sh * 65536 + port;
        if (Number.isSafeInteger(bk)) {
          const n2 = (burst.get(bk) ?? 0) + 1;
          burst.set(bk, n2);
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
      v[o + 11] = ln1p(maxHosts);
      v[o + 12] = ln1p(maxFlows);
      v[o + 13] = ln1p(unanswered);
      let entropy = 0;
      if (flows > 0)
        for (const c of portCounts.values()) {
          const p = c / flows;
          entropy -= p * Math.log2(p);
        }
      v[o + 14] = entropy;
    }
    actors.push(a);
    k++;
  }
  return { values, count: n, actors };
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
