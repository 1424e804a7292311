import { formatTimestamp, linkTypeName } from '../capture/index.js';
import type { AnalysisResult } from './analyze.js';

/**
 * The JSON summary document of SPEC §4 (the parts built so far: file, protocols, tcp).
 * Timestamps are decimal strings with 9 decimals, like tshark's frame.time_epoch, because a
 * JavaScript number cannot hold epoch nanoseconds exactly.
 */
export function buildSummary(result: AnalysisResult) {
  const { info, stats } = result;
  const ts = (sec: number | null, nsec: number) => (sec === null ? null : formatTimestamp(sec, nsec));
  const ratio = (n: number, d: number) => (d === 0 ? null : round(n / d, 6));
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
      syn_ack_ratio: ratio(stats.tcpSyn, stats.tcpSynAck),
      rst_rate: ratio(stats.tcpRst, stats.tcp),
    },
  };
}

export type Summary = ReturnType<typeof buildSummary>;

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
