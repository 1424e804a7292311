import { formatTimestamp, linkTypeName } from '../capture/index.js';
import type { AnalysisResult } from './analyze.js';
import type { Talker } from './analyzer.js';
import { type LogTotals, topOf } from './logs.js';
import { serviceLabel, serviceName } from './services.js';
import { DURATION_KEYS, distribution, SIZE_KEYS } from './windows.js';

/** How many entries each ranking of the summary shows. */
export const SUMMARY_TOP = 20;
export const SUMMARY_PORTS = 50;

/**
 * The JSON summary document (the README's table of its parts) (all but `anomalies` and `insights`, which the detection
 * stage adds). Capture timestamps of the file are decimal strings with 9 decimals, like tshark's
 * frame.time_epoch, because a JavaScript number cannot hold epoch nanoseconds exactly; flow and
 * window times are seconds as numbers (microsecond precision).
 */
export function buildSummary(result: AnalysisResult) {
  const { info, analyzer, report } = result;
  const stats = analyzer.stats;
  const ts = (sec: number | null, nsec: number) => (sec === null ? null : formatTimestamp(sec, nsec));
  const ratio = (n: number, d: number) => (d === 0 ? null : round(n / d, 6));
  const totalBytes = stats.bytes;
  const share = (bytes: number) => (totalBytes === 0 ? 0 : round((bytes / totalBytes) * 100, 4));
  const talker = (t: Talker, bytes: number, packets: number) => ({
    ip: analyzer.addresses.format(t.id),
    bytes,
    packets,
    share: share(bytes),
    bytes_sent: t.bytesSent,
    bytes_received: t.bytesReceived,
    packets_sent: t.packetsSent,
    packets_received: t.packetsReceived,
  });
  const bytes = talkerBytes(report.talkers);
  const rank = (keys: Float64Array, key: (t: Talker) => number, packets: (t: Talker) => number) =>
    top(
      report.talkers,
      SUMMARY_TOP,
      keys,
      (a, b) => key(b) - key(a) || packets(b) - packets(a) || a.id - b.id,
    ).map((t) => talker(t, key(t), packets(t)));
  const transportPackets = stats.tcp + stats.udp;
  const flows = analyzer.flowCounts;
  const d = analyzer.directionBytes;
  const dp = analyzer.directionPackets;
  return {
    file: {
      path: result.path,
      format: info.format,
      compression: info.compression,
      link_types: info.linkTypes.map((id) => ({ id, name: linkTypeName(id) })),
      packets: stats.packets,
      bytes: stats.bytes,
      captured_bytes: stats.capturedBytes,
      first_ts: stats.hasTimestamp ? ts(stats.minSec, stats.minNsec) : null,
      last_ts: stats.hasTimestamp ? ts(stats.maxSec, stats.maxNsec) : null,
      duration_s: round(stats.durationSeconds(), 9),
      first_record_ts: stats.packets > 0 ? ts(stats.firstRecordSec, stats.firstRecordNsec) : null,
      last_record_ts: stats.packets > 0 ? ts(stats.lastRecordSec, stats.lastRecordNsec) : null,
      packets_without_timestamp: stats.packetsWithoutTimestamp,
      malformed_packets: stats.malformed,
      unsupported_linktype_packets: stats.unsupportedLinkType,
      truncated: info.truncated,
      warnings: result.warnings,
    },
    protocols: {
      tcp: stats.tcp,
      udp: stats.udp,
      icmp: stats.icmp,
      icmpv6: stats.icmpv6,
      other: stats.otherIp,
      non_ip: stats.nonIp,
      ipv4: stats.ipv4,
      ipv6: stats.ipv6,
      ipv4_fragments: stats.ipv4Fragments,
      ipv6_fragment_header: stats.ipv6FragmentHeader,
    },
    tcp: {
      syn: stats.tcpSyn,
      synack: stats.tcpSynAck,
      ack: stats.tcpAck,
      rst: stats.tcpRst,
      fin: stats.tcpFin,
      retransmissions: analyzer.retransmissions,
      syn_ack_ratio: ratio(stats.tcpSyn, stats.tcpSynAck),
      rst_rate: stats.tcp === 0 ? 0 : round(stats.tcpRst / stats.tcp, 6),
      retransmission_rate: stats.tcp === 0 ? 0 : round(analyzer.retransmissions / stats.tcp, 6),
    },
    flows: {
      count: flows.total,
      tcp: flows.tcp,
      udp: flows.udp,
      icmp: flows.icmp,
      other: flows.other,
      conn_states: Object.fromEntries([...analyzer.connStates.entries()].sort((a, b) => b[1] - a[1])),
      tcp_conn_states: Object.fromEntries([...analyzer.tcpConnStates.entries()].sort((a, b) => b[1] - a[1])),
      timeouts_s: analyzer.timeouts,
    },
    addresses: {
      distinct: analyzer.addresses.size,
      local: report.localAddresses,
      remote: analyzer.addresses.size - report.localAddresses,
    },
    top_talkers: rank(
      bytes.both,
      (t) => t.bytesSent + t.bytesReceived,
      (t) => t.packetsSent + t.packetsReceived,
    ),
    top_senders: rank(
      bytes.sent,
      (t) => t.bytesSent,
      (t) => t.packetsSent,
    ),
    top_receivers: rank(
      bytes.received,
      (t) => t.bytesReceived,
      (t) => t.packetsReceived,
    ),
    ports: report.ports.slice(0, SUMMARY_PORTS).map((p) => ({
      protocol: p.protocol,
      port: p.port,
      service: serviceName(p.protocol, p.port),
      label: serviceLabel(p.protocol, p.port),
      flows: p.flows,
      packets: p.packets,
      bytes: p.bytes,
      percentage: transportPackets === 0 ? 0 : round((p.packets / transportPackets) * 100, 4),
    })),
    top_flows: report.topFlows.slice(0, SUMMARY_TOP),
    packet_size_distribution: distribution(SIZE_KEYS, report.windows.sizeTotals()),
    flow_duration_distribution: distribution(DURATION_KEYS, analyzer.flowDurations),
    direction: {
      local_networks: analyzer.localNets.texts,
      inbound_bytes: d[0],
      outbound_bytes: d[1],
      internal_bytes: d[2],
      external_bytes: d[3],
      inbound_packets: dp[0],
      outbound_packets: dp[1],
      internal_packets: dp[2],
      external_packets: dp[3],
    },
    windows: {
      length_s: report.windows.lengthS,
      count: report.windows.count,
      start_ts: report.windows.count > 0 ? report.windows.t0 : null,
    },
    ...logParts(report.logs),
  };
}

/** How many names, hosts, agents, SNIs and fingerprints the summary's log parts list. */
export const SUMMARY_LOG_TOP = 10;

/**
 * The protocol logs' parts of the summary (null each with logs off). Messages are counted as
 * tshark counts them (`dns.flags.response`, `http.request`, `http.response`,
 * `tls.handshake.type`); transactions are the log's rows.
 */
function logParts(logs: LogTotals | null) {
  if (logs === null) return { dns: null, http: null, tls: null };
  const { dns, http, tls } = logs;
  const top = (t: Parameters<typeof topOf>[0]) => topOf(t, SUMMARY_LOG_TOP);
  const classes = http.statusClasses;
  return {
    dns: {
      queries: dns.queries,
      responses: dns.responses,
      transactions: dns.rows,
      unanswered: dns.unanswered,
      nxdomain: dns.nxdomain,
      /** NXDOMAIN among the answered transactions. */
      nxdomain_share: dns.answeredRows === 0 ? 0 : round(dns.nxdomain / dns.answeredRows, 6),
      malformed: dns.malformed,
      top_queries: top(dns.names),
    },
    http: {
      requests: http.requests,
      responses: http.responses,
      transactions: http.rows,
      status_mix: {
        '1xx': classes[1],
        '2xx': classes[2],
        '3xx': classes[3],
        '4xx': classes[4],
        '5xx': classes[5],
        none: classes[0],
      },
      top_hosts: top(http.hosts),
      top_user_agents: top(http.userAgents),
    },
    tls: {
      client_hellos: tls.clientHellos,
      server_hellos: tls.serverHellos,
      handshakes: tls.rows,
      certificates: tls.certificates,
      top_snis: top(tls.snis),
      top_ja4: top(tls.ja4),
    },
  };
}

export type Summary = ReturnType<typeof buildSummary>;

/**
 * Each talker's bytes sent, received and both, in one pass: the talkers are objects all over the
 * heap, and reading each once is most of what ranking them costs.
 */
function talkerBytes(talkers: readonly Talker[]): {
  sent: Float64Array;
  received: Float64Array;
  both: Float64Array;
} {
  const sent = new Float64Array(talkers.length);
  const received = new Float64Array(talkers.length);
  const both = new Float64Array(talkers.length);
  for (let i = 0; i < talkers.length; i++) {
    const t = talkers[i];
    sent[i] = t.bytesSent;
    received[i] = t.bytesReceived;
    both[i] = t.bytesSent + t.bytesReceived;
  }
  return { sent, received, both };
}

/**
 * The first `n` of `items` in the order `compare` gives, as sorting all of them would give them
 * when the order is total (no two items compare equal): one pass keeping the best n in order,
 * instead of sorting every address of the capture. `keys[i]` is items[i]'s first criterion
 * (larger first): an item whose key is below the n-th best's is passed over on that compare.
 */
function top<T>(items: readonly T[], n: number, keys: Float64Array, compare: (a: T, b: T) => number): T[] {
  // Indices of the best so far, in order.
  const best: number[] = [];
  if (n <= 0) return [];
  for (let k = 0; k < items.length; k++) {
    const full = best.length === n;
    if (full && (keys[k] < keys[best[n - 1]] || compare(items[k], items[best[n - 1]]) >= 0)) continue;
    // Shift the worse ones down (the last falls off when the list is full) and put it in place.
    let i = full ? n - 1 : best.length;
    for (; i > 0 && compare(items[k], items[best[i - 1]]) < 0; i--) best[i] = best[i - 1];
    best[i] = k;
  }
  return best.map((k) => items[k]);
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
