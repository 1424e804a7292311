import { useMemo } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatFraction,
  formatPercent,
  formatRatio,
  formatTimestampText,
  plural,
} from '../../../src/format/index.js';
import { useApi } from '../api';
import { TimeChart } from '../charts/TimeChart';
import { protocolMixSpec, scoreSpec, throughputSpec, windowAt } from '../charts/window-charts';
import { SEVERITY_ORDER, severityColor } from '../colors';
import { Async, Card, Empty, ShareBar, Stat } from '../components/ui';
import {
  anomaliesPath,
  anomalyScoresPath,
  insightsPath,
  readTalkerDirection,
  TALKER_DIRECTIONS,
  type TalkerDirection,
  talkersPath,
  windowsPath,
} from '../endpoints';
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

/**
 * Too few windows with traffic for the model to judge a busy one (docs/DETECTION.md): every window
 * is scored, none is flagged, whatever its score. The same test as the anomalies page's.
 */
export function modelCannotFlag(d: AnomaliesResponse): boolean {
  const m = d.model;
  return m?.active_training_windows !== undefined && m.active_training_windows < (m.min_active_windows ?? 0);
}

/** Why no window is flagged when the model cannot flag, in the anomalies page's words. */
export function cannotFlagText(d: AnomaliesResponse): string {
  return `Only ${formatCount(d.model?.active_training_windows ?? 0)} of these windows carry traffic, fewer than the ${d.model?.min_active_windows} the model needs to judge a busy window: busy windows are scored but none is flagged, whatever its score.`;
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

/** An address with a line-break opportunity after each colon: a long IPv6 address wraps whole. */
function BreakableAddress({ ip }: { ip: string }) {
  const parts = ip.split(':');
  return (
    <>
      {parts.map((part, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one address, in order
        <span key={i}>
          {part}
          {i < parts.length - 1 && (
            <>
              :<wbr />
            </>
          )}
        </span>
      ))}
    </>
  );
}

const DIRECTION_LABEL: Record<TalkerDirection, string> = {
  both: 'Both',
  sent: 'Sent',
  received: 'Received',
};

/** What a talker's share means in each direction (bytes in that direction / all bytes). */
export const TALKER_SHARE_NOTE: Record<TalkerDirection, string> = {
  both: "Bytes sent + received, as tshark's endpoints count them: a packet counts for its sender and its receiver, so the shares of all bytes add up to 200% (an address talking to itself can pass 100%).",
  sent: 'Bytes each address sent (as the source); share of all bytes in the capture.',
  received: 'Bytes each address received (as the destination); share of all bytes in the capture.',
};

function DirectionSwitch({
  value,
  onChange,
}: {
  value: TalkerDirection;
  onChange: (d: TalkerDirection) => void;
}) {
  return (
    <fieldset className="segmented" aria-label="Talkers by direction">
      {TALKER_DIRECTIONS.map((d) => (
        <button
          key={d}
          type="button"
          className={`segmented-item${d === value ? ' active' : ''}`}
          aria-pressed={d === value}
          onClick={() => onChange(d)}
        >
          {DIRECTION_LABEL[d]}
        </button>
      ))}
    </fieldset>
  );
}

function TalkerList({
  sessionId,
  talkers,
  direction,
}: {
  sessionId: string;
  talkers: Talker[];
  direction: TalkerDirection;
}) {
  const max = Math.max(...talkers.map((t) => t.share), 1e-9);
  const verb = direction === 'sent' ? 'sent' : direction === 'received' ? 'received' : 'sent + received';
  return (
    <div className="talkers">
      <div className="talkers-head" aria-hidden="true">
        <span />
        <span>Address</span>
        <span />
        <span className="right">Bytes</span>
        <span className="right">Packets</span>
        <span className="right">Share</span>
      </div>
      <ol className="barlist" data-testid="top-talkers">
        {talkers.map((t, i) => (
          <li
            key={t.ip}
            title={`${t.ip}: ${formatCount(t.bytes)} bytes in ${formatCount(t.packets)} packets ${verb}`}
          >
            <span className="barlist-rank">{t.rank ?? i + 1}</span>
            <Link
              className="barlist-label mono"
              to={pageUrl('protocols', sessionId, { ip: t.ip })}
              title={`${t.ip}: list its flows`}
            >
              <BreakableAddress ip={t.ip} />
            </Link>
            <span className="barlist-bar">
              <ShareBar pct={(t.share / max) * 100} />
            </span>
            <span className="barlist-value">{formatBytes(t.bytes)}</span>
            <span className="barlist-packets">
              {formatCount(t.packets)}
              <span className="barlist-unit"> {t.packets === 1 ? 'packet' : 'packets'}</span>
            </span>
            <span className="barlist-share">{formatPercent(t.share)}</span>
          </li>
        ))}
      </ol>
    </div>
  );
}

export function OverviewPage({ session, summary }: { session: Session; summary: Summary }) {
  const id = session.session_id;
  const windows = useWindows(id);
  const [search, setSearch] = useSearchParams();
  const direction = readTalkerDirection(search);
  const setDirection = (d: TalkerDirection) => {
    const q = new URLSearchParams(search);
    if (d === 'both') q.delete('talkers');
    else q.set('talkers', d);
    setSearch(q, { replace: true });
  };
  const talkers = useApi<{ talkers: Talker[] }>(talkersPath(id, direction));
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
          actions={<DirectionSwitch value={direction} onChange={setDirection} />}
          className="talkers-card"
        >
          <p className="card-sub talkers-note">{TALKER_SHARE_NOTE[direction]}</p>
          <Async
            state={talkers}
            height={250}
            empty={(d) => d.talkers.length === 0}
            emptyText="No IP addresses in this capture."
          >
            {(d) => <TalkerList sessionId={id} talkers={d.talkers} direction={direction} />}
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
          {anomalies.data && modelCannotFlag(anomalies.data) && (
            <p className="card-note" data-testid="cannot-flag">
              {cannotFlagText(anomalies.data)}
            </p>
          )}
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
