// Alert types as people read them, in the filters, the list and the chart's lanes.

const TYPE_NAMES: Record<string, string> = {
  port_scan: 'Port scan',
  host_sweep: 'Host sweep',
  syn_flood: 'SYN flood',
  packet_flood: 'Packet flood',
  rst_storm: 'RST storm',
  traffic_burst: 'Traffic burst',
  traffic_bursts: 'Usual traffic bursts',
  connection_burst: 'Connection burst',
  retransmission_spike: 'Retransmission spike',
  anomaly_burst: 'Anomaly burst',
  dominant_talker: 'Dominant talker',
  dominant_service: 'Dominant service',
};

export function typeName(t: string | null): string {
  if (!t) return 'Insight';
  return TYPE_NAMES[t] ?? t.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
}
