import { useMemo } from 'react';
import { Link, useNavigate } from 'react-router';
import { useApi } from '../api';
import { TimeChart } from '../charts/TimeChart';
import { protocolMixSpec, scoreSpec, throughputSpec, windowAt } from '../charts/window-charts';
import { SEVERITY_ORDER, severityColor } from '../colors';
import { Async, Card, Empty, ShareBar, Stat } from '../components/ui';
import { anomaliesPath, anomalyScoresPath, insightsPath, talkersPath, windowsPath } from '../endpoints';
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatFraction,
  formatPercent,
  formatRatio,
  formatTimestampText,
  plural,
} from '../format';
import { pageUrl } from '../routes';
import type {
  AnomaliesResponse,
  InsightsResponse,
  Session,
  Summary,
  Talker,
  WindowsResponse,
} from '../types';

export function useWindows(sessionId: string) {
  return useApi<WindowsResponse>(windowsPath(sessionId));
}

/** Every window's score with its explanation (the anomalies page). */
export function useAnomalies(sessionId: string) {
  return useApi<AnomaliesResponse>(anomaliesPath(sessionId));
}

/** Scores only: the overview's timeline does not show the explanations. */
function useAnomalyScores(sessionId: string) {
  return useApi<AnomaliesResponse>(anomalyScoresPath(sessionId));
}

export function useInsights(sessionId: string) {
  return useApi<InsightsResponse>(insightsPath(sessionId));
}

function Headline({ session, summary }: { session: Session; summary: Summary }) {
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
            ? `of ${plural(anomalies.data.anomalies.length, 'window')} (${summary.windows.length_s} s)`
            : undefined
        }
      />
    </div>
  );
}

/** What the reader had to skip or could not read, as the CLI reports it: never hidden. */
function CaptureNotes({ summary }: { summary: Summary }) {
  const f = summary.file;
  const notes: string[] = [...f.warnings];
  if (f.malformed_packets > 0 && !notes.some((w) => w.includes('malformed')))
    notes.push(`${plural(f.malformed_packets, 'malformed packet')} counted and skipped`);
  if ((f.unsupported_linktype_packets ?? 0) > 0 && !notes.some((w) => w.includes('link')))
    notes.push(
      `${plural(f.unsupported_linktype_packets ?? 0, 'packet')} of an unsupported link type counted`,
    );
  if ((f.packets_without_timestamp ?? 0) > 0 && !notes.some((w) => w.includes('timestamp')))
    notes.push(
      `${plural(f.packets_without_timestamp ?? 0, 'packet')} without a timestamp (left out of the windows)`,
    );
  if (notes.length === 0) return null;
  return (
    <div className="notice" role="status" data-testid="capture-notes">
      <strong>{f.truncated ? 'The capture file is truncated.' : 'Reading the capture needed care.'}</strong>
      <ul>
        {notes.map((n) => (
          <li key={n}>{n}</li>
        ))}
      </ul>
    </div>
  );
}

function TalkerList({ talkers }: { talkers: Talker[] }) {
  const max = Math.max(...talkers.map((t) => t.share), 1e-9);
  return (
    <ol className="barlist" data-testid="top-talkers">
      {talkers.map((t, i) => (
        <li key={t.ip} title={`${t.ip}: ${formatCount(t.bytes)} bytes in ${formatCount(t.packets)} packets`}>
          <span className="barlist-rank">{t.rank ?? i + 1}</span>
          <span className="barlist-label mono">{t.ip}</span>
          <span className="barlist-bar">
            <ShareBar pct={(t.share / max) * 100} />
          </span>
          <span className="barlist-value">{formatBytes(t.bytes)}</span>
          <span className="barlist-share">{formatPercent(t.share)}</span>
        </li>
      ))}
    </ol>
  );
}

export function OverviewPage({ session, summary }: { session: Session; summary: Summary }) {
  const id = session.session_id;
  const windows = useWindows(id);
  const talkers = useApi<{ talkers: Talker[] }>(talkersPath(id));
  const anomalies = useAnomalyScores(id);
  const navigate = useNavigate();
  const lengthS = windows.data?.length_s ?? summary.windows.length_s;

  const mix = useMemo(
    () => windows.data && protocolMixSpec(windows.data.windows, lengthS),
    [windows.data, lengthS],
  );
  const through = useMemo(
    () => windows.data && throughputSpec(windows.data.windows, lengthS),
    [windows.data, lengthS],
  );
  const score = useMemo(
    () => anomalies.data && scoreSpec(anomalies.data.anomalies, anomalies.data.threshold, lengthS),
    [anomalies.data, lengthS],
  );
  const noWindows = (d: WindowsResponse) => d.windows.length === 0;

  return (
    <div className="page overview">
      <CaptureNotes summary={summary} />
      <Headline session={session} summary={summary} />
      <div className="grid grid-2-1">
        <Card
          title="Protocol mix over time"
          subtitle={`Packets per ${lengthS} s window by transport (the effective packet's first transport header)`}
        >
          <Async
            state={windows}
            height={300}
            empty={noWindows}
            emptyText="The capture has no timestamped packets."
          >
            {() =>
              mix && <TimeChart spec={mix} height={300} syncKey={id} ariaLabel="Protocol mix over time" />
            }
          </Async>
        </Card>
        <Card
          title="Top talkers"
          subtitle="Bytes sent and received per address; share of all bytes (each packet counts for both ends)"
        >
          <Async
            state={talkers}
            height={250}
            empty={(d) => d.talkers.length === 0}
            emptyText="No IP addresses in this capture."
          >
            {(d) => <TalkerList talkers={d.talkers} />}
          </Async>
        </Card>
      </div>
      <div className="grid grid-1-1">
        <Card
          title="Throughput"
          subtitle={`Bytes per second and packets per second, per ${lengthS} s window`}
        >
          <Async state={windows} height={230} empty={noWindows} emptyText="No windows.">
            {() =>
              through && (
                <TimeChart spec={through} height={230} syncKey={id} ariaLabel="Throughput over time" />
              )
            }
          </Async>
        </Card>
        <Card
          title="Anomaly score"
          subtitle="Per window, 0–1; red: anomalous. Click a window to see why."
          actions={
            <Link to={pageUrl('anomalies', id)} className="btn btn-small">
              Anomalies
            </Link>
          }
        >
          <Async
            state={anomalies}
            height={230}
            empty={(d) => d.anomalies.length === 0}
            emptyText="No windows scored."
          >
            {(d) =>
              score ? (
                <TimeChart
                  spec={score}
                  height={230}
                  syncKey={id}
                  ariaLabel="Anomaly score per window"
                  onPlotClick={(sec) => {
                    const a = windowAt(d.anomalies, lengthS, sec);
                    if (a) navigate(pageUrl('anomalies', id, { window: String(a.window_id) }));
                  }}
                />
              ) : (
                <Empty>—</Empty>
              )
            }
          </Async>
        </Card>
      </div>
    </div>
  );
}
