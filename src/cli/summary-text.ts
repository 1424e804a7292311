import type { FullSummary } from '../detect/index.js';
import {
  formatBytes,
  formatCount,
  formatPercent,
  formatShare,
  formatTimestampText,
} from '../format/index.js';

/** Text from a capture, safe for a terminal: control characters (escape sequences) shown as U+FFFD. */
function printable(text: string, max = 60): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\uFFFD');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** The protocol logs' lines (none for a summary made with logs off, or before there were logs). */
function logLines(s: FullSummary): string[] {
  const names = (xs: { name: string; count: number }[], n = 3) =>
    xs.length === 0
      ? ''
      : `; top ${xs
          .slice(0, n)
          .map((x) => `${printable(x.name)} (${formatCount(x.count)})`)
          .join(', ')}`;
  const lines: string[] = [];
  const { dns, http, tls } = s as Partial<FullSummary>;
  if (dns)
    lines.push(
      `  DNS         queries ${formatCount(dns.queries)}, responses ${formatCount(dns.responses)}, NXDOMAIN ${formatPercent(dns.nxdomain_share * 100)}${names(dns.top_queries)}`,
    );
  if (http) {
    const mix = Object.entries(http.status_mix)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${formatCount(n)}`)
      .join(', ');
    lines.push(
      `  HTTP        requests ${formatCount(http.requests)}, responses ${formatCount(http.responses)}${mix ? ` (${mix})` : ''}${names(http.top_hosts)}`,
    );
  }
  if (tls)
    lines.push(
      `  TLS         ClientHellos ${formatCount(tls.client_hellos)}, ServerHellos ${formatCount(tls.server_hellos)}${names(tls.top_snis)}`,
    );
  return lines;
}

/** A summary as `analyze` and `show` print it for a person. */
export function humanSummary(s: FullSummary & { session_id?: string }): string {
  const f = s.file;
  const p = s.protocols;
  const t = s.tcp;
  const links = f.link_types.map((l) => l.name).join(', ') || 'no interfaces';
  const lines = [
    `${f.path}${s.session_id ? `  (session ${s.session_id})` : ''}`,
    `  format      ${f.format}${f.compression ? ` (${f.compression})` : ''}, ${links}`,
    `  packets     ${formatCount(f.packets)}, ${formatBytes(f.bytes)} on the wire (${formatBytes(f.captured_bytes)} captured)`,
    `  time        ${formatTimestampText(f.first_ts)} → ${formatTimestampText(f.last_ts)} (${f.duration_s.toFixed(3)} s)`,
    `  IP          IPv4 ${formatCount(p.ipv4)}, IPv6 ${formatCount(p.ipv6)}, non-IP ${formatCount(p.non_ip)}`,
    `  transport   TCP ${formatCount(p.tcp)} (${formatShare(p.tcp, f.packets)}), UDP ${formatCount(p.udp)} (${formatShare(p.udp, f.packets)}), ICMP ${formatCount(p.icmp)}, ICMPv6 ${formatCount(p.icmpv6)}, other IP ${formatCount(p.other)}`,
    `  TCP flags   SYN ${formatCount(t.syn)}, SYN-ACK ${formatCount(t.synack)}, RST ${formatCount(t.rst)}, FIN ${formatCount(t.fin)}; SYN/SYN-ACK ${t.syn_ack_ratio === null ? '—' : t.syn_ack_ratio.toFixed(2)}, RST rate ${formatShare(t.rst, p.tcp)}`,
  ];
  lines.push(
    `  TCP health  retransmissions ${formatCount(t.retransmissions)} (${formatShare(t.retransmissions, p.tcp)} of TCP packets)`,
    `  flows       ${formatCount(s.flows.count)} (TCP ${formatCount(s.flows.tcp)}, UDP ${formatCount(s.flows.udp)}, ICMP ${formatCount(s.flows.icmp)}, other ${formatCount(s.flows.other)}); ${formatCount(s.addresses.distinct)} addresses`,
    `  direction   in ${formatBytes(s.direction.inbound_bytes)}, out ${formatBytes(s.direction.outbound_bytes)}, internal ${formatBytes(s.direction.internal_bytes)}, external ${formatBytes(s.direction.external_bytes)}`,
    `  windows     ${formatCount(s.windows.count)} of ${s.windows.length_s} s`,
  );
  if (s.top_talkers.length > 0) {
    lines.push('  top talkers');
    for (const x of s.top_talkers.slice(0, 5)) {
      lines.push(
        `    ${x.ip.padEnd(39)} ${formatBytes(x.bytes).padStart(10)}  ${formatPercent(x.share, x.share < 1 ? 2 : 1)}`,
      );
    }
  }
  if (s.ports.length > 0) {
    lines.push('  top ports');
    for (const x of s.ports.slice(0, 5)) {
      lines.push(
        `    ${x.label.replace(/^\d+/, `${x.port}/${x.protocol}`).padEnd(24)} ${formatCount(x.flows).padStart(8)} flows ${formatPercent(x.percentage).padStart(6)} of packets`,
      );
    }
  }
  lines.push(...logLines(s));
  const anomalous = (s.anomalies ?? []).filter((a) => a.is_anomaly).length;
  if (s.anomalies)
    lines.push(
      `  anomalies   ${formatCount(anomalous)} of ${formatCount(s.anomalies.length)} windows at or above ${s.anomaly_model.threshold}`,
    );
  const alerts = (s.insights ?? []).filter((i) => i.insight_type === 'alert');
  if (alerts.length > 0) {
    lines.push('  alerts');
    for (const i of alerts.slice(0, 10)) lines.push(`    [${i.severity}] ${i.alert_type}: ${i.summary}`);
    if (alerts.length > 10) lines.push(`    … and ${alerts.length - 10} more`);
  }
  if (f.malformed_packets > 0) lines.push(`  malformed   ${formatCount(f.malformed_packets)} packets`);
  if (f.truncated) lines.push('  truncated   yes: the file ends early or is damaged (see warnings)');
  return `${lines.join('\n')}\n`;
}
