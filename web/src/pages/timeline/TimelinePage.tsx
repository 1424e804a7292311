import { useMemo } from 'react';
import { useSearchParams } from 'react-router';
import { useAnomalyScores, useInsights, useWindows } from '../../api/hooks';
import type { Insight, Session, Summary } from '../../api/types';
import { packetsOf } from '../../components/PacketsLink';
import { Async, Card, Empty } from '../../components/ui';
import { AlertFilters } from './AlertFilters';
import { EventItem, insightRange } from './EventItem';
import { TimelineChart } from './TimelineChart';
import { readFilter, toggleFilter } from './timeline-filter';
import './timeline.css';

export function TimelinePage({ session }: { session: Session; summary: Summary }) {
  const id = session.session_id;
  const insights = useInsights(id);
  const packets = packetsOf(session);
  const windows = useWindows(id);
  const scores = useAnomalyScores(id);
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
  const filtered = alerts.length !== allAlerts.length;

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
          <AlertFilters alerts={allAlerts} types={types} filter={filter} onToggle={toggle} />
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
                      packets={packets}
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
