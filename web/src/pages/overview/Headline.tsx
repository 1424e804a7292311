import { Link } from 'react-router';
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatFraction,
  formatRatio,
  formatTimestampText,
  plural,
} from '../../../../src/format/index.js';
import { useAnomalyScores, useInsights } from '../../api/hooks';
import type { Session, Summary } from '../../api/types';
import { SEVERITY_ORDER, severityColor } from '../../colors';
import { Stat } from '../../components/ui';
import { pageUrl } from '../../routes';
import { cannotFlagText, modelCannotFlag } from '../anomalies/model-note';

/** The headline figures: packets, bytes, duration, flows, addresses, TCP health, alerts, anomalous windows. */
export function Headline({ session, summary }: { session: Session; summary: Summary }) {
  const insights = useInsights(session.session_id);
  const anomalies = useAnomalyScores(session.session_id);
  const f = summary.file;
  const p = summary.protocols;
  const tcp = summary.tcp;
  const alerts = insights.data?.insights.filter((i) => i.insight_type === 'alert');
  const bySeverity = SEVERITY_ORDER.slice()
    .reverse()
    .map((s) => [s, alerts?.filter((a) => a.severity === s).length ?? 0] as const)
    .filter(([, n]) => n > 0);
  const flagged = anomalies.data?.anomalies.filter((a) => a.is_anomaly).length;
  return (
    <div className="stats" data-testid="headline">
      <Stat
        label="Packets"
        value={<span data-testid="stat-packets">{formatCount(f.packets)}</span>}
        note={`IPv4 ${formatCount(p.ipv4)} · IPv6 ${formatCount(p.ipv6)} · non-IP ${formatCount(p.non_ip)}`}
      />
      <Stat
        label="Bytes"
        value={<span data-testid="stat-bytes">{formatBytes(f.bytes)}</span>}
        note={`${formatCount(f.bytes)} B on the wire`}
      />
      <Stat
        label="Duration"
        value={formatDuration(f.duration_s)}
        note={`${formatTimestampText(f.first_ts).slice(0, 19)} UTC`}
        title={`${formatTimestampText(f.first_ts)} → ${formatTimestampText(f.last_ts)}`}
      />
      <Stat
        label="Flows"
        value={formatCount(summary.flows.count)}
        note={`TCP ${formatCount(summary.flows.tcp)} · UDP ${formatCount(summary.flows.udp)} · ICMP ${formatCount(summary.flows.icmp)}`}
      />
      <Stat
        label="Addresses"
        value={summary.addresses ? formatCount(summary.addresses.distinct) : '—'}
        note={
          summary.addresses
            ? `${formatCount(summary.addresses.local)} local · ${formatCount(summary.addresses.remote)} remote`
            : undefined
        }
      />
      <div
        className="stat stat-wide"
        title="SYN / SYN-ACK · RST packets / TCP packets · retransmissions / TCP packets"
      >
        <div className="stat-label">TCP health</div>
        <div className="trio">
          <div>
            <div className="stat-value">{formatRatio(tcp.syn_ack_ratio)}</div>
            <div className="stat-note">SYN/SYN-ACK</div>
          </div>
          <div>
            <div className="stat-value">{formatFraction(tcp.rst_rate)}</div>
            <div className="stat-note">RST</div>
          </div>
          <div>
            <div className="stat-value">{formatFraction(tcp.retransmission_rate)}</div>
            <div className="stat-note">retrans.</div>
          </div>
        </div>
      </div>
      <Stat
        label="Alerts"
        value={
          <Link to={pageUrl('timeline', session.session_id)} data-testid="stat-alerts">
            {alerts ? formatCount(alerts.length) : insights.error ? '—' : '…'}
          </Link>
        }
        note={
          alerts && alerts.length > 0 ? (
            <span className="sev-list">
              {bySeverity.map(([s, n]) => (
                <span key={s} style={{ color: severityColor(s) }}>
                  {n} {s}
                </span>
              ))}
            </span>
          ) : alerts ? (
            'no rule fired'
          ) : undefined
        }
      />
      <Stat
        label="Anomalous"
        value={
          <Link to={pageUrl('anomalies', session.session_id)}>
            {flagged === undefined ? (anomalies.error ? '—' : '…') : formatCount(flagged)}
          </Link>
        }
        note={
          anomalies.data
            ? `of ${plural(anomalies.data.anomalies.length, 'window')} (${summary.windows.length_s} s)${
                modelCannotFlag(anomalies.data) ? '; none can be flagged' : ''
              }`
            : undefined
        }
        title={anomalies.data && modelCannotFlag(anomalies.data) ? cannotFlagText(anomalies.data) : undefined}
      />
    </div>
  );
}
