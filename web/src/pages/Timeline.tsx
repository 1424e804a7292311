import { useEffect, useMemo, useRef } from 'react';
import { Link, useSearchParams } from 'react-router';
import { formatTime, formatTimeRange } from '../../../src/format/index.js';
import { useApi } from '../api';
import { type Range, TimelineChart } from '../charts/TimelineChart';
import { SEVERITY_COLORS, SEVERITY_ORDER, severityColor } from '../colors';
import { Async, Card, Dot, Empty, SeverityBadge } from '../components/ui';
import { anomalyScoresPath } from '../endpoints';
import { pageUrl } from '../routes';
import { peakWindow, readFilter, toggleFilter } from '../timeline-filter';
import type {
  AnomaliesResponse,
  Anomaly,
  Insight,
  Session,
  Severity,
  Summary,
  TrafficWindow,
} from '../types';
import { useInsights, useWindows } from './Overview';
import '../timeline.css';

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
  anomalies,
}: {
  sessionId: string;
  /** The session's window scores, once loaded: the link opens the alert's highest-scoring window. */
  anomalies?: Anomaly[];
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
        {i.insight_type !== 'summary' && <SeverityBadge severity={i.severity} />}
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
          <Link
            to={pageUrl('anomalies', sessionId, {
              window: String(peakWindow(anomalies, i.window_start, i.window_end ?? i.window_start)),
            })}
          >
            Anomaly scores
          </Link>
        </div>
      )}
    </li>
  );
}

export function TimelinePage({ session }: { session: Session; summary: Summary }) {
  const id = session.session_id;
  const insights = useInsights(id);
  const windows = useWindows(id);
  const scores = useApi<AnomaliesResponse>(anomalyScoresPath(id));
  const [search, setSearch] = useSearchParams();
  const selectedId = search.get('event');

  const allAlerts = useMemo(
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
  const types = useMemo(() => [...new Set(allAlerts.map((a) => a.alert_type ?? 'alert'))], [allAlerts]);
  const filterKey = `${search.get('severity')}|${search.get('type')}`;
  // biome-ignore lint/correctness/useExhaustiveDependencies: the filter is read from `search` by its key
  const filter = useMemo(() => readFilter(search), [filterKey]);
  const alerts = useMemo(
    () =>
      allAlerts.filter(
        (a) =>
          (!filter.severities || filter.severities.has(a.severity)) &&
          (!filter.types || filter.types.has(a.alert_type ?? 'alert')),
      ),
    [allAlerts, filter],
  );
  const selected = alerts.find((a) => String(a.id) === selectedId);
  const select = (a: Insight | null) => {
    const s = new URLSearchParams(search);
    if (a && String(a.id) !== selectedId) s.set('event', String(a.id));
    else s.delete('event');
    setSearch(s, { replace: true });
  };
  const toggle = (key: 'severity' | 'type', value: string, all: string[]) =>
    setSearch(toggleFilter(search, key, value, all), { replace: true });
  const showAll = () => {
    const s = new URLSearchParams(search);
    s.delete('severity');
    s.delete('type');
    setSearch(s, { replace: true });
  };
  const lengthS = windows.data?.length_s ?? session.window_length ?? 1;
  const range = useMemo(
    () => (selected && windows.data ? insightRange(selected, windows.data.windows, lengthS) : null),
    [selected, windows.data, lengthS],
  );
  const counts = SEVERITY_ORDER.map((s) => [s, allAlerts.filter((a) => a.severity === s).length] as const);
  const typeCounts = types.map(
    (t) => [t, allAlerts.filter((a) => (a.alert_type ?? 'alert') === t).length] as const,
  );
  const filtered = alerts.length !== allAlerts.length;
  const severityShown = (s: Severity) => !filter.severities || filter.severities.has(s);
  const typeShown = (t: string) => !filter.types || filter.types.has(t);

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
          <div className="legend-row timeline-filters">
            {counts.map(([s, n]) => (
              <button
                key={s}
                type="button"
                className={`legend-item legend-toggle${severityShown(s) ? '' : ' off'}`}
                aria-pressed={severityShown(s)}
                title={severityShown(s) ? `Hide the ${s} alerts` : `Show the ${s} alerts`}
                onClick={() => toggle('severity', s, SEVERITY_ORDER)}
              >
                <Dot color={severityShown(s) ? SEVERITY_COLORS[s] : 'transparent'} />
                {s} <span className="muted">({n})</span>
              </button>
            ))}
          </div>
          {types.length > 1 && (
            <div className="legend-row timeline-filters type-filters">
              {typeCounts.map(([t, n]) => (
                <button
                  key={t}
                  type="button"
                  className={`type-chip${typeShown(t) ? '' : ' off'}`}
                  aria-pressed={typeShown(t)}
                  title={typeShown(t) ? `Hide the ${typeName(t)} alerts` : `Show the ${typeName(t)} alerts`}
                  onClick={() => toggle('type', t, types)}
                >
                  {typeName(t)} <span className="muted">({n})</span>
                </button>
              ))}
            </div>
          )}
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
          {insights.data && allAlerts.length === 0 && (
            <p className="muted">
              No alert rule fired on this capture: no scans, sweeps, floods, storms or bursts.
            </p>
          )}
        </Card>
        <Card
          title="Alerts"
          subtitle={
            insights.data
              ? filtered
                ? `${alerts.length} of ${allAlerts.length} shown, in capture-time order`
                : `${allAlerts.length} in capture-time order`
              : undefined
          }
          actions={
            filtered && (
              <button type="button" className="btn btn-small" onClick={showAll}>
                Show all
              </button>
            )
          }
        >
          <Async state={insights} height={200}>
            {() =>
              alerts.length === 0 ? (
                <Empty>
                  {allAlerts.length === 0 ? 'No alerts.' : 'No alert of the severities and types shown.'}
                </Empty>
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
                      anomalies={scores.data?.anomalies}
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
