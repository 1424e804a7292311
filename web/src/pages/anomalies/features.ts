import { formatByteRate, formatBytes, formatCount, formatPercent } from '../../../../src/format/index.js';

/**
 * How the anomaly model's features read for people. The model works on transformed values
 * (docs/DETECTION.md: rates and counts as ln(1 + x), small-count ratios with 20 pseudo-packets,
 * ratios as logarithms); `value` and `baseline` (the median over the baseline's windows) arrive in
 * that space. Every transform is monotonic, so mapping both back gives the window's figure and
 * the baseline's median in the feature's own unit.
 */
export interface FeatureInfo {
  label: string;
  /** Value shown for people, from the model's transformed value. */
  show: (x: number) => string;
}

const ln1p = (f: (v: number) => string) => (x: number) => f(Math.max(0, Math.expm1(x)));
const count = (v: number) => (Math.abs(v - Math.round(v)) < 0.05 ? formatCount(v) : v.toFixed(1));
const perSec = (v: number) => (v === 0 ? '0/s' : `${v < 10 ? v.toFixed(2) : formatCount(v)}/s`);
const share = (x: number) => formatPercent(x * 100);
const times = (x: number) => {
  const r = Math.exp(x);
  return `${r < 10 ? r.toFixed(2) : formatCount(r)}×`;
};

export const FEATURES: Record<string, FeatureInfo> = {
  bytes_per_sec: { label: 'Bytes per second', show: ln1p(formatByteRate) },
  packets_per_sec: { label: 'Packets per second', show: ln1p(perSec) },
  connection_rate: { label: 'New flows per second', show: ln1p(perSec) },
  syn_per_sec: { label: 'SYNs per second', show: ln1p(perSec) },
  syn_synack_ratio: { label: 'SYN vs SYN-ACK, (SYN+5)/(SYN-ACK+5)', show: times },
  rst_rate: { label: 'RST rate, refusals left out (smoothed)', show: share },
  retransmission_rate: { label: 'Retransmission rate (smoothed)', show: share },
  unique_src_ips: { label: 'Distinct source addresses', show: ln1p(count) },
  unique_dst_ips: { label: 'Distinct destination addresses', show: ln1p(count) },
  port_diversity: { label: 'Distinct service ports', show: ln1p(count) },
  max_dst_ports_per_src: { label: 'Most ports tried by one source', show: ln1p(count) },
  max_dst_hosts_per_src: { label: 'Most hosts tried by one source', show: ln1p(count) },
  max_flows_per_src: { label: 'Most connections from one source to one service', show: ln1p(count) },
  unanswered_flows: { label: 'Half-open connection attempts', show: ln1p(count) },
  dst_port_entropy: { label: 'Destination-port entropy', show: (x) => `${x.toFixed(2)} bits` },
  mean_packet_size: { label: 'Mean packet size', show: (x) => formatBytes(x) },
  tcp_share: { label: 'TCP share of IP packets (smoothed)', show: share },
  udp_share: { label: 'UDP share of IP packets (smoothed)', show: share },
  icmp_share: { label: 'ICMP share of IP packets (smoothed)', show: share },
  outbound_bytes_per_sec: { label: 'Outbound bytes per second', show: ln1p(formatByteRate) },
  out_in_ratio: { label: 'Outbound vs inbound bytes', show: times },
  max_upload_kb: { label: 'Largest upload in progress', show: ln1p((kb) => formatBytes(kb * 1000)) },
};

export function featureInfo(name: string): FeatureInfo {
  return (
    FEATURES[name] ?? {
      label: name.replace(/_/g, ' '),
      show: (x: number) => (Number.isFinite(x) ? x.toPrecision(4) : '—'),
    }
  );
}
