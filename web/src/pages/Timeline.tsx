import { useEffect, useMemo, useRef } from 'react';
import { Link, useSearchParams } from 'react-router';
import { type Range, TimelineChart } from '../charts/TimelineChart';
import { SEVERITY_COLORS, SEVERITY_ORDER, severityColor } from '../colors';
import { Async, Card, Dot, Empty, SeverityBadge } from '../components/ui';
import { formatTime, formatTimeRange } from '../format';
import { pageUrl } from '../routes';
import type { Insight, Session, Summary, TrafficWindow } from '../types';
import { useInsights, useWindows } from './Overview';

const TYPE_NAMES: Record<string, string> = {
  port_scan: 'Port scan',
  host_sweep: 'Host sweep',
  syn_flood: 'SYN flood',
  packet_flood: 'Packet flood',
  rst_storm: 'RST storm',
  traffic_burst: 'Traffic burst',
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

/** The capture-time span of an insight's windows (window k covers [t0 + kL, t0 + (k+1)L)). */
function insightRange(i: Insight, windows: TrafficWindow[], lengthS: number): Range | null {
  if (i.window_start === null || windows.length === 0) return null;
  const t0 = windows[0].start_ts - windows[0].window_id * lengthS;
  const end = i.window_end ?? i.window_start;
  return { from: t0 + i.window_start * lengthS, to: t0 + (end + 1) * lengthS };
}

function EventItem({
  insight: i,
  windows,
  lengthS,
  selected,
  onSelect,
  sessionId,
}: {
  sessionId: string;
  insight: Insight;
  windows: TrafficWindow[];
  lengthS: number;
  selected: boolean;
  onSelect?: () => void;
}) {
  const range = insightRange(i, windows, lengthS);
  // Selected from the chart, the alert is brought into the list's view.
  const item = useRef<HTMLLIElement>(null);
  useEffect(() => {
    if (selected) item.current?.scrollIntoView({ block: 'nearest' });
  }, [selected]);
  const body = (
    <>
      <div className="event-head">
        <SeverityBadge severity={i.severity} />
        <span className="event-type">{typeName(i.alert_type)}</span>
        <span className="event-time">{formatTime(i.event_ts, 3)}</span>
      </div>
      <div className="event-text">{i.summary}</div>
      {range && (
        <div className="event-range muted small">
          {i.window_end !== null && i.window_end !== i.window_start
            ? `windows ${i.window_start}–${i.window_end}`
            : `window ${i.window_start}`}
          : {formatTimeRange(range.from, range.to, lengthS < 1 ? 3 : 0)}
        </div>
      )}
    </>
  );
  if (!onSelect) return <li className="event">{body}</li>;
  return (
    <li
      ref={item}
      className={`event${selected ? ' selected' : ''}`}
      style={{ borderLeftColor: severityColor(i.severity) }}
    >
      <button type="button" className="event-button" onClick={onSelect} aria-pressed={selected}>
        {body}
      </button>
      {selected && i.window_start !== null && (
        <div className="event-links small">
          <Link
            to={pageUrl('protocols', sessionId, {
              window_from: String(i.window_start),
              window_to: String(i.window_end ?? i.window_start),
            })}
          >
            Flows that started in these windows
          </Link>
          <Link to={pageUrl('anomalies', sessionId, { window: String(i.window_start) })}>Anomaly scores</Link>
        </div>
      )}
    </li>
  );
}

export function TimelinePage({ session }: { session: Session; summary: Summary }) {
  const id = session.session_id;
  const insights = useInsights(id);
  const windows = useWindows(id);
  const [search, setSearch] = useSearchParams();
  const selectedId = search.get('event');

  const alerts = useMemo(
    () =>
      (insights.data?.insights ?? [])
        .filter((i) => i.insight_type === 'alert')
        .sort((a, b) => (a.event_ts ?? 0) - (b.event_ts ?? 0)),
    [insights.data],
  );
  const summaries = useMemo(
    () => (insights.data?.insights ?? []).filter((i) => i.insight_type === 'summary'),
    [insights.data],
  );
  const selected = alerts.find((a) => String(a.id) === selectedId);
  const select = (a: Insight | null) => {
    const s = new URLSearchParams(search);
    if (a && String(a.id) !== selectedId) s.set('event', String(a.id));
    else s.delete('event');
    setSearch(s, { replace: true });
  };
  const lengthS = windows.data?.length_s ?? session.window_length ?? 1;
  const range = useMemo(
    () => (selected && windows.data ? insightRange(selected, windows.data.windows, lengthS) : null),
    [selected, windows.data, lengthS],
  );
  const counts = SEVERITY_ORDER.map((s) => [s, alerts.filter((a) => a.severity === s).length] as const);

  return (
    <div className="page timeline">
      <div className="grid grid-timeline">
        <Card
          title="Events on the capture's time axis"
          subtitle="Alerts at the capture time of their first packet or window; the line is packets per second. Click an event to zoom to its windows."
          actions={
            selected && (
              <button type="button" className="btn btn-small" onClick={() => select(null)}>
                Show the whole capture
              </button>
            )
          }
        >
          <div className="legend-row">
            {counts.map(([s, n]) => (
              <span key={s} className="legend-item">
                <Dot color={SEVERITY_COLORS[s]} />
                {s} <span className="muted">({n})</span>
              </span>
            ))}
          </div>
          <Async
            state={windows}
            height={320}
            empty={(d) => d.windows.length === 0}
            emptyText="No timestamped packets."
          >
            {(d) => (
              <TimelineChart
                alerts={alerts}
                windows={d.windows}
                lengthS={lengthS}
                selected={selected}
                range={range}
                onSelect={select}
                typeName={typeName}
              />
            )}
          </Async>
          {insights.data && alerts.length === 0 && (
            <p className="muted">
              No alert rule fired on this capture: no scans, sweeps, floods, storms or bursts.
            </p>
          )}
        </Card>
        <Card title="Alerts" subtitle={insights.data ? `${alerts.length} in capture-time order` : undefined}>
          <Async state={insights} height={200}>
            {() =>
              alerts.length === 0 ? (
                <Empty>No alerts.</Empty>
              ) : (
                <ol className="events" data-testid="events">
                  {alerts.map((a) => (
                    <EventItem
                      key={a.id}
                      sessionId={id}
                      insight={a}
                      windows={windows.data?.windows ?? []}
                      lengthS={lengthS}
                      selected={selected?.id === a.id}
                      onSelect={() => select(a)}
                    />
                  ))}
                </ol>
              )
            }
          </Async>
          {summaries.length > 0 && (
            <>
              <h3 className="subhead">Summary</h3>
              <ul className="events events-summary">
                {summaries.map((i) => (
                  <EventItem
                    key={i.id}
                    sessionId={id}
                    insight={i}
                    windows={[]}
                    lengthS={lengthS}
                    selected={false}
                  />
                ))}
              </ul>
            </>
          )}
        </Card>
      </div>
    </div>
  );
}
