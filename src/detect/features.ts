import { FLOW_CHUNK, FLOW_DOUBLES } from '../analysis/flow-index.js';
import {
  type ArpLog,
  CONN_STATES,
  type FlowIndex,
  unansweredState,
  type WindowRow,
  type WindowSet,
} from '../analysis/index.js';
import { type FlowGroups, groupFlows, windowOf } from './flow-groups.js';
import { PairTable } from './pair-table.js';

/**
 * The model's feature vector of a window (docs/DETECTION.md). Rates and counts are log-scaled (ln(1 + x)),
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
    about:
      'most new TCP flows begun with a SYN (connection attempts) from one source to one host and port, ln(1+x)',
  },
  {
    name: 'unanswered_flows',
    floor: 0.5,
    about:
      'new TCP connection attempts left half-open: never answered (S0, SH, RSTOS0), or answered by a SYN-ACK the initiator reset or ignored, ln(1+x)',
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
  /** The (destination, port) with the most new TCP attempts never completed (`halfOpen`), and from how many sources. */
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
  /** The index grouped by window, when the caller has it already (the insight rules share it). */
  groups?: FlowGroups | null;
  /** The windows' rows, when the caller has them already (each is built on demand). */
  rows?: WindowRow[];
}

/** Per conn_state code, 1 when the responder sent nothing at all (SILENT). */
const SILENT_CODE = Uint8Array.from(CONN_STATES, (_, code) => (SILENT.has(code) ? 1 : 0));
/** Per conn_state code, 1 when the responder never completed a handshake (`unansweredState`). */
export const UNANSWERED_CODE = Uint8Array.from(CONN_STATES, (_, code) => (unansweredState(code) ? 1 : 0));

/**
 * Per conn_state code, for a connection attempt the initiator never completed (SPEC §5's SYN
 * flood): 1 when the state says so whatever was sent (S0, REJ, RSTOS0, SH: no SYN-ACK came); 2
 * when it depends on the initiator's packets (S1, RSTO: a SYN-ACK came, and the initiator either
 * completed the handshake or ignored or reset the SYN-ACK, as a raw-socket flood does); 0 otherwise.
 */
export const HALF_OPEN_CODE = Uint8Array.from(CONN_STATES, (s) =>
  s === 'S0' || s === 'REJ' || s === 'RSTOS0' || s === 'SH' ? 1 : s === 'S1' || s === 'RSTO' ? 2 : 0,
);
const RSTO = CONN_STATES.indexOf('RSTO');

/**
 * Whether flow `f` (conn_state code `state`) is a connection attempt its initiator never completed.
 * For S1 and RSTO the index has no ACK flag, so the initiator's packets decide: a SYN-ACK ignored
 * leaves the initiator's SYN alone (S1, 1 packet), one reset leaves SYN and RST (RSTO, 2), and a
 * completed handshake takes one more (its ACK). An initiator that repeated its SYN before the
 * SYN-ACK and then ignored it counts as completed: the error is towards reporting no flood.
 */
export function halfOpen(index: FlowIndex, f: number, state: number): boolean {
  const code = HALF_OPEN_CODE[state];
  if (code !== 2) return code === 1;
  return index.srcPackets(f) <= (state === RSTO ? 2 : 1);
}

/**
 * Computes every window's feature vector: window counters from the analysis, and per-source
 * figures from the flow index (each flow counts in the window where it started). Flows are taken
 * in window order from the index's grouping, then each window's flows are counted in hash tables
 * that are cleared between windows, so memory is the index plus the busiest window. Flows are
 * visited in ascending order within a window, and ties go to the key that reached a count first.
 */
export function computeFeatures(
  windows: WindowSet,
  index: FlowIndex | null,
  inputs: FeatureInputs = {},
): WindowFeatures {
  const n = windows.count;
  const values = new Float64Array(n * FEATURE_COUNT);
  const actors: WindowActors[] = [];
  const groups = index && n > 0 ? (inputs.groups ?? groupFlows(index, windows)) : null;
  const uploads =
    index && inputs.isLocal && groups ? new Uploads(index, windows, groups.addresses, inputs.isLocal) : null;
  const tally = groups ? new WindowTally(groups, index!, uploads) : null;
  const arp = inputs.arp ? arpByWindow(inputs.arp, windows) : null;
  const rows = inputs.rows ?? windows.toArray();
  const mix = protocolMix(rows, arp);
  let k = 0;
  for (const w of rows) {
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
    if (tally) {
      tally.count(k, a);
      v[o + 10] = ln1p(tally.maxPorts);
      v[o + 11] = ln1p(Math.max(tally.maxHosts, arp ? arp.targets[k] : 0));
      v[o + 12] = ln1p(tally.maxConnections);
      v[o + 13] = ln1p(tally.unanswered);
      // A closed port answering a SYN is a refusal (what SYN vs SYN-ACK measures), not a reset of a
      // connection: those resets are left out of the RST rate.
      v[o + 5] = Math.max(0, w.tcp_rst_count - tally.refused) / (tcp + PRIOR);
      v[o + 14] = tally.entropy;
    }
    actors.push(a);
    k++;
  }
  // In kilobytes: a few hundred bytes of requests is no upload, and should not spread the scale.
  if (uploads) {
    const largest = uploads.largest();
    for (let w = 0; w < n; w++) values[w * FEATURE_COUNT + 21] = ln1p(largest[w] / 1000);
  }
  return { values, count: n, actors };
}

/**
 * Counts one window's flows at a time: the per-source figures and who did the most. Composite
 * keys are pairs of words; a window numbers its (source, destination) pairs, so longer keys are
 * (pair, word) pairs too. A flow's (pair, port, protocol) determines its other keys: only the
 * first flow of one looks them up. Each table holds at most a window's flows, so the counts of
 * its entries are Int32Arrays of the busiest window's size (integers stay small integers: a
 * double stored in an object's field would change its shape while the loop is being compiled).
 * Its own class, so the loop is compiled for itself.
 */
class WindowTally {
  /** (source, destination) → pair. */
  private readonly pairs: PairTable;
  /** (pair, port << 8 | protocol) → key. */
  private readonly keys: PairTable;
  /** (pair, port) → pairPort. */
  private readonly pairPorts: PairTable;
  /** (port << 8 | protocol, 0) → service, in first-seen order (the entropy's sum order). */
  private readonly services: PairTable;
  /** (source, port << 8 | protocol) → sweep. */
  private readonly sweeps: PairTable;
  /** (source, port): seen. */
  private readonly srcPortSeen: PairTable;
  /** (destination, port) → flood. */
  private readonly floods: PairTable;
  /** Per pair, its distinct TCP/UDP ports and its entry in `uploads` (-1: none). */
  private readonly pairPortCount: Int32Array;
  private readonly pairUpload: Int32Array;
  /** Per key, its pairPort and service. */
  private readonly keyPairPort: Int32Array;
  private readonly keyService: Int32Array;
  /** Per pairPort: new flows, new TCP connections, 1 once seen as TCP or UDP, flood + 1. */
  private readonly ppFlows: Int32Array;
  private readonly ppConnections: Int32Array;
  private readonly ppTcpUdp: Int32Array;
  private readonly ppFlood: Int32Array;
  /** Per service, new flows. */
  private readonly serviceFlows: Int32Array;
  /** Per sweep, distinct destinations. */
  private readonly sweepHosts: Int32Array;
  /** Per flood, new TCP attempts never completed (`halfOpen`) and distinct sources. */
  private readonly floodFlows: Int32Array;
  private readonly floodSources: Int32Array;
  /** Per source address: the window it was last counted in, its distinct ports and hosts there. */
  private readonly srcWindow: Int32Array;
  private readonly srcPorts: Int32Array;
  private readonly srcHosts: Int32Array;
  // The last window's figures.
  maxPorts = 0;
  maxHosts = 0;
  maxConnections = 0;
  unanswered = 0;
  refused = 0;
  entropy = 0;

  constructor(
    private readonly groups: FlowGroups,
    private readonly index: FlowIndex,
    private readonly uploads: Uploads | null,
  ) {
    const busiest = groups.busiest;
    this.pairs = new PairTable(0, busiest);
    this.keys = new PairTable(0, busiest);
    this.pairPorts = new PairTable(0, busiest);
    this.services = new PairTable(0, busiest);
    this.sweeps = new PairTable(0, busiest);
    this.srcPortSeen = new PairTable(0, busiest);
    this.floods = new PairTable(0, busiest);
    this.pairPortCount = new Int32Array(busiest);
    this.pairUpload = new Int32Array(busiest);
    this.keyPairPort = new Int32Array(busiest);
    this.keyService = new Int32Array(busiest);
    this.ppFlows = new Int32Array(busiest);
    this.ppConnections = new Int32Array(busiest);
    this.ppTcpUdp = new Int32Array(busiest);
    this.ppFlood = new Int32Array(busiest);
    this.serviceFlows = new Int32Array(busiest);
    this.sweepHosts = new Int32Array(busiest);
    this.floodFlows = new Int32Array(busiest);
    this.floodSources = new Int32Array(busiest);
    this.srcWindow = new Int32Array(groups.addresses).fill(-1);
    this.srcPorts = new Int32Array(groups.addresses);
    this.srcHosts = new Int32Array(groups.addresses);
  }

  /** Counts window k's flows; its actors into `a`. */
  count(k: number, a: WindowActors): void {
    const { groups, index, pairs, keys, pairPorts, services, sweeps, srcPortSeen, floods, uploads } = this;
    const { pairPortCount, pairUpload, keyPairPort, keyService, ppFlows, ppConnections, ppTcpUdp, ppFlood } =
      this;
    const { serviceFlows, sweepHosts, floodFlows, floodSources, srcWindow, srcPorts, srcHosts } = this;
    const from = groups.offsets[k];
    const to = groups.offsets[k + 1];
    const size = to - from;
    pairs.clear(size);
    keys.clear(size);
    pairPorts.clear(size);
    services.clear(size);
    sweeps.clear(size);
    srcPortSeen.clear(size);
    floods.clear(size);
    const gsrc = groups.src;
    const gdst = groups.dst;
    const gmeta = groups.meta;
    let maxPorts = 0;
    let maxHosts = 0;
    let maxConnections = 0;
    let unanswered = 0;
    let refused = 0;
    let floodBest = -1;
    for (let j = from; j < to; j++) {
      const src = gsrc[j];
      const dst = gdst[j];
      const m = gmeta[j];
      const port = m >>> 16;
      const proto = (m >>> 8) & 0xff;
      const state = m & 0xff;
      const portProto = (port << 8) | proto;
      if (srcWindow[src] !== k) {
        srcWindow[src] = k;
        srcPorts[src] = 0;
        srcHosts[src] = 0;
      }
      const pair = pairs.add(src, dst);
      if (pairs.added) {
        pairPortCount[pair] = 0;
        pairUpload[pair] = uploads ? uploads.entry(src, dst) : -1;
        const c = ++srcHosts[src];
        if (c > maxHosts) maxHosts = c;
      }
      if (pairUpload[pair] >= 0) uploads!.add(pairUpload[pair], groups.flows[j], k);
      const key = keys.add(pair, portProto);
      let pp: number;
      let service: number;
      if (keys.added) {
        // Host sweep: distinct hosts per (src, port, protocol); ICMP sweeps have port 0. A new
        // (pair, port, protocol) is a new host of its sweep.
        const sweep = sweeps.add(src, portProto);
        if (sweeps.added) {
          sweepHosts[sweep] = 0;
          // A new (src, port) is a new (src, port, protocol) first.
          srcPortSeen.add(src, port);
          if (srcPortSeen.added) {
            const c = ++srcPorts[src];
            if (c > maxPorts) maxPorts = c;
          }
        }
        const n2 = ++sweepHosts[sweep];
        if (n2 > a.sweepHosts) {
          a.sweepHosts = n2;
          a.sweepSrc = src;
          a.sweepPort = port;
          a.sweepProto = proto;
        }
        pp = pairPorts.add(pair, port);
        if (pairPorts.added) {
          ppFlows[pp] = 0;
          ppConnections[pp] = 0;
          ppTcpUdp[pp] = 0;
          ppFlood[pp] = 0;
        }
        service = services.add(portProto, 0);
        if (services.added) serviceFlows[service] = 0;
        keyPairPort[key] = pp;
        keyService[key] = service;
      } else {
        pp = keyPairPort[key];
        service = keyService[key];
      }
      serviceFlows[service]++;
      if ((proto === 6 || proto === 17) && ppTcpUdp[pp] === 0) {
        // Port scan: distinct ports per (src, dst) pair.
        ppTcpUdp[pp] = 1;
        const n2 = ++pairPortCount[pair];
        if (n2 > a.scanPorts) {
          a.scanPorts = n2;
          a.scanSrc = src;
          a.scanDst = dst;
        }
      }
      // Counted for every flow (0 or 1), so the compiled loop has seen these adds from the start
      // instead of meeting them at the first unanswered flow and starting over.
      const tcp = proto === 6 ? 1 : 0;
      refused += tcp & (state === REJ ? 1 : 0);
      const half = tcp === 1 && HALF_OPEN_CODE[state] !== 0 && halfOpen(index, groups.flows[j], state);
      // Half-open but not refused: a refusal (a closed port's answer) counts in SYN vs SYN-ACK.
      unanswered += tcp & SILENT_CODE[state];
      if (half && HALF_OPEN_CODE[state] === 2) unanswered++;
      if (half) {
        let dp = ppFlood[pp] - 1;
        if (dp < 0) {
          // The first half-open attempt from src to (dst, port): a new source of that flood.
          dp = floods.add(dst, port);
          if (floods.added) {
            floodFlows[dp] = 0;
            floodSources[dp] = 0;
          }
          ppFlood[pp] = dp + 1;
          floodSources[dp]++;
        }
        const n2 = ++floodFlows[dp];
        if (n2 > a.floodFlows) {
          a.floodFlows = n2;
          a.floodDst = dst;
          a.floodPort = port;
          floodBest = dp;
        }
      }
      const n2 = ++ppFlows[pp];
      // Connections begin with a SYN: a stray packet without a handshake (Zeek OTH) is none.
      if (proto === 6 && state !== OTH) {
        const n3 = ++ppConnections[pp];
        if (n3 > maxConnections) maxConnections = n3;
      }
      if (n2 > a.burstFlows) {
        a.burstFlows = n2;
        a.burstSrc = src;
        a.burstDst = dst;
        a.burstPort = port;
      }
    }
    if (floodBest >= 0) a.floodSources = floodSources[floodBest];
    let entropy = 0;
    if (size > 0)
      for (let e = 0; e < services.size; e++) {
        const p = serviceFlows[e] / size;
        entropy -= p * Math.log2(p);
      }
    this.maxPorts = maxPorts;
    this.maxHosts = maxHosts;
    this.maxConnections = maxConnections;
    this.unanswered = unanswered;
    this.refused = refused;
    this.entropy = entropy;
  }
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
  // ARP entries are in capture order, which is time order but for timestamps going backwards:
  // the requests (not gratuitous) are grouped by window first, with a counting sort.
  const win = new Int32Array(arp.size).fill(-1);
  const offsets = new Uint32Array(windows.count + 1);
  for (let i = 0; i < arp.size; i++) {
    const w = windowOf(arp.ts[i], windows);
    frames[w]++;
    if (arp.op[i] !== 1 || arp.sender[i] === arp.target[i] || w >= windows.count) continue;
    win[i] = w;
    offsets[w + 1]++;
  }
  let busiest = 0;
  for (let w = 0; w < windows.count; w++) {
    busiest = Math.max(busiest, offsets[w + 1]);
    offsets[w + 1] += offsets[w];
  }
  const next = offsets.slice(0, windows.count);
  const requests = new Uint32Array(offsets[windows.count]);
  for (let i = 0; i < arp.size; i++) if (win[i] >= 0) requests[next[win[i]]++] = i;
  // Per window: (sender, target) seen, and per sender its distinct targets. Addresses are IPv4
  // words, so the keys are taken as signed 32-bit words (the table compares them as such).
  const seen = new PairTable(0, busiest);
  const senders = new PairTable(0, busiest);
  const targets = new Int32Array(busiest);
  for (let w = 0; w < windows.count; w++) {
    const size = offsets[w + 1] - offsets[w];
    if (size === 0) continue;
    seen.clear(size);
    senders.clear(size);
    let best = 0;
    for (let j = offsets[w]; j < offsets[w + 1]; j++) {
      const i = requests[j];
      const sender = arp.sender[i] | 0;
      seen.add(sender, arp.target[i] | 0);
      if (!seen.added) continue;
      const e = senders.add(sender, 0);
      if (senders.added) targets[e] = 0;
      if (++targets[e] > best) best = targets[e];
    }
    out[w] = best;
  }
  return { targets: out, frames };
}

/**
 * Per window, the largest upload in progress: over (local host, remote address) pairs, the bytes
 * the local host sent beyond what it received on the connections it opened to that address, where
 * connections open at the same time count as one upload spanning all their windows. Flows come in
 * start-window order (from the window tally, which looks each pair up once per window); each
 * upload's total is applied to its window range with a range-maximum segment tree, so the cost is
 * O(flows + uploads · log windows).
 */
class Uploads {
  private readonly size: number;
  private readonly tag: Float64Array;
  /** (local host, remote address) → the pair's upload so far: bytes, first window (-1 before its
   * first flow), last window, end. */
  private readonly open = new PairTable(4);
  /** Per address id: 0 not yet asked, 1 local, 2 remote. */
  private readonly locality: Uint8Array;
  /** The index's chunks (see `chunks`). */
  private readonly doubles: readonly Float64Array[];

  constructor(
    index: FlowIndex,
    private readonly windows: Pick<WindowSet, 't0' | 'lengthS' | 'count'>,
    addresses: number,
    private readonly isLocal: (id: number) => boolean,
  ) {
    this.doubles = index.chunks().doubles;
    let size = 1;
    while (size < windows.count) size *= 2;
    this.size = size;
    this.tag = new Float64Array(2 * size);
    this.locality = new Uint8Array(addresses);
  }

  /**
   * The entry of (src, dst), or -1: uploads are what a local host pushes out on connections it
   * opened; a local server answering remote clients is serving, not uploading.
   */
  entry(src: number, dst: number): number {
    const locality = this.locality;
    if (locality[src] === 0) locality[src] = this.isLocal(src) ? 1 : 2;
    if (locality[src] !== 1) return -1;
    if (locality[dst] === 0) locality[dst] = this.isLocal(dst) ? 1 : 2;
    if (locality[dst] === 1) return -1;
    const u = this.open.add(src, dst);
    if (this.open.added) this.open.values[4 * u + 1] = -1;
    return u;
  }

  /** Flow f of entry e's pair, starting in window w. */
  add(e: number, f: number, w: number): void {
    const d = this.doubles[f >>> 16];
    const o = (f & (FLOW_CHUNK - 1)) * FLOW_DOUBLES;
    // What left beyond what came back: a download's ACKs are not an upload.
    const bytes = d[o + 2] - d[o + 3];
    const end = d[o + 1];
    const start = d[o];
    const to = Math.max(w, windowOf(end, this.windows));
    const up = this.open.values;
    const u = 4 * e;
    if (up[u + 1] >= 0 && start <= up[u + 3]) {
      // Connections of the pair open at the same time are one upload (parallel streams).
      up[u] += bytes;
      if (to > up[u + 2]) up[u + 2] = to;
      if (end > up[u + 3]) up[u + 3] = end;
    } else {
      if (up[u + 1] >= 0) this.apply(up[u + 1], up[u + 2], Math.max(0, up[u]));
      up[u] = bytes;
      up[u + 1] = w;
      up[u + 2] = to;
      up[u + 3] = end;
    }
  }

  /** Per window, the largest upload in progress, once every flow is in. */
  largest(): Float64Array {
    const up = this.open.values;
    for (let e = 0; e < this.open.size; e++)
      if (up[4 * e + 1] >= 0) this.apply(up[4 * e + 1], up[4 * e + 2], Math.max(0, up[4 * e]));
    const n = this.windows.count;
    const { tag, size } = this;
    const out = new Float64Array(n);
    for (let w = 0; w < n; w++) {
      let best = 0;
      for (let node = w + size; node >= 1; node >>= 1) if (tag[node] > best) best = tag[node];
      out[w] = best;
    }
    return out;
  }

  /** Raises windows from..to to at least v. */
  private apply(from: number, to: number, v: number): void {
    const tag = this.tag;
    let l = from + this.size;
    let r = to + this.size + 1;
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
  }
}

/** The capture's TCP, UDP and ICMP shares of its packets other than ARP (0 each when it has none). */
function protocolMix(
  rows: readonly WindowRow[],
  arp: { frames: Uint32Array } | null,
): { tcp: number; udp: number; icmp: number } {
  let packets = 0;
  if (arp) for (const n of arp.frames) packets -= n;
  let tcp = 0;
  let udp = 0;
  let icmp = 0;
  for (const w of rows) {
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

export type { WindowRow };
