import type { Severity } from './api/types';

/** One colour per transport everywhere (charts, badges, tables). */
export const PROTOCOL_COLORS = {
  tcp: '#2f6fdb',
  udp: '#1f9d74',
  icmp: '#e08a1e',
  other: '#8a94a6',
} as const;

export function protocolColor(protocol: string): string {
  const p = protocol.toLowerCase();
  if (p === 'tcp') return PROTOCOL_COLORS.tcp;
  if (p === 'udp') return PROTOCOL_COLORS.udp;
  if (p === 'icmp' || p === 'icmpv6') return PROTOCOL_COLORS.icmp;
  return PROTOCOL_COLORS.other;
}

/** Severity low → critical, from calm to alarming. */
export const SEVERITY_COLORS: Record<Severity, string> = {
  low: '#3d8fb8',
  medium: '#d99a00',
  high: '#e0502b',
  critical: '#a3123a',
};

export const SEVERITY_ORDER: Severity[] = ['low', 'medium', 'high', 'critical'];

export function severityColor(s: string): string {
  return SEVERITY_COLORS[s as Severity] ?? '#8a94a6';
}

/** Series colours: volume, rate, anomaly score, threshold, anomalous windows. */
export const COLORS = {
  bytes: '#2f6fdb',
  packets: '#7b5cd6',
  score: '#44546a',
  threshold: '#d1342f',
  anomaly: '#d1342f',
  highlight: 'rgba(224, 80, 43, 0.14)',
  inbound: '#2f6fdb',
  outbound: '#1f9d74',
  internal: '#8a94a6',
  external: '#b07cc6',
  grid: '#e6e9ef',
  axis: '#5b6474',
  bar: '#2f6fdb',
} as const;

/** Heatmap ramp: light for quiet cells, dark for busy ones. */
export const HEAT_RAMP = ['#e4eaf3', '#c6dbf5', '#7fb0e8', '#3b7dd8', '#1b4f9c', '#0d2b5c'];
