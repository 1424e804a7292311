import { useMemo } from 'react';
import { Link, useSearchParams } from 'react-router';
import { Chart, type ChartClick, type ChartOption } from '../charts/Chart';
import { escapeHtml, TOOLTIP_BASE, timeAxis, valueAxis } from '../charts/common';
import { stepData } from '../charts/options';
import { COLORS, SEVERITY_COLORS, SEVERITY_ORDER, severityColor } from '../colors';
import { Async, Card, Dot, Empty, SeverityBadge } from '../components/ui';
import { formatCountAxis, formatPerSecond, formatTime, formatTimeRange } from '../format';
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

/** Height of the packets-per-second context above the event lanes. */
const CONTEXT_H = 210;

const SEVERITY_SIZE: Record<string, number> = { low: 11, medium: 14, high: 17, critical: 20 };

interface Range {
  from: number;
  to: number;
}

/** The capture-time span of an insight's windows (window k covers [t0 + kL, t0 + (k+1)L)). */
function insightRange(i: Insight, windows: TrafficWindow[], lengthS: number): Range | null {
  if (i.window_start === null || windows.length === 0) return null;
  const t0 = windows[0].start_ts - windows[0].window_id * lengthS;
  const end = i.window_end ?? i.window_start;
  return { from: t0 + i.window_start * lengthS, to: t0 + (end + 1) * lengthS };
}

function timelineOption(
  alerts: Insight[],
  windows: TrafficWindow[],
  lengthS: number,
  selected: Insight | undefined,
): ChartOption {
  const types = [...new Set(alerts.map((a) => a.alert_type ?? 'alert'))];
  const first = windows[0]?.start_ts ?? 0;
  const last = windows.length ? windows[windows.length - 1].start_ts + lengthS : first + lengthS;
  const span = last - first;
  const range = selected ? insightRange(selected, windows, lengthS) : null;
  // Zoom to the selected event's windows with some context either side.
  let zoom: { startValue: number; endValue: number } | null = null;
  if (range) {
    const pad = Math.max((range.to - range.from) * 0.6, lengthS * 3);
    zoom = {
      startValue: Math.max(first, range.from - pad) * 1000,
      endValue: Math.min(last, range.to + pad) * 1000,
    };
  }
  const laneHeight = Math.max(70, types.length * 34);
  const markers = alerts.map((a) => ({
    value: [(a.event_ts ?? first) * 1000, a.alert_type ?? 'alert'],
    id: a.id,
    symbolSize: SEVERITY_SIZE[a.severity] ?? 12,
    itemStyle: {
      color: severityColor(a.severity),
      borderColor: selected?.id === a.id ? '#1d2533' : '#fff',
      borderWidth: selected?.id === a.id ? 2.5 : 1,
    },
  }));
  return {
    useUTC: true,
    axisPointer: { link: [{ xAxisIndex: 'all' }] },
    grid: [
      { left: 160, right: 24, top: 28, height: CONTEXT_H },
      { left: 160, right: 24, top: 28 + CONTEXT_H + 34, height: laneHeight },
    ],
    tooltip: {
      ...TOOLTIP_BASE,
      trigger: 'item',
      formatter: (p: { seriesName: string; dataIndex: number; value: [number, number] }) => {
        if (p.seriesName === 'Events') {
          const a = alerts[p.dataIndex];
          if (!a) return '';
          return `<b style="color:${severityColor(a.severity)}">${a.severity.toUpperCase()}</b> ${escapeHtml(typeName(a.alert_type))}<br>${formatTime(a.event_ts, 3)}<br><span style="white-space:normal;display:inline-block;max-width:360px">${escapeHtml(a.summary)}</span>`;
        }
        const w = windows[Math.min(p.dataIndex, windows.length - 1)];
        return w ? `${formatTime(w.start_ts)}<br>${formatPerSecond(w.packets_per_sec)} packets` : '';
      },
    },
    xAxis: [
      timeAxis(span, { gridIndex: 0, min: first * 1000, max: last * 1000, axisLabel: { show: false } }),
      timeAxis(span, { gridIndex: 1, min: first * 1000, max: last * 1000 }),
    ],
    yAxis: [
      valueAxis('packets/s', formatCountAxis, { gridIndex: 0 }),
      {
        type: 'category',
        gridIndex: 1,
        data: types,
        axisLabel: { color: COLORS.axis, formatter: (t: string) => typeName(t), margin: 12 },
        axisTick: { show: false },
        splitLine: { show: true, lineStyle: { color: COLORS.grid } },
      },
    ],
    dataZoom: [
      { type: 'inside', xAxisIndex: [0, 1], filterMode: 'none', ...(zoom ?? { start: 0, end: 100 }) },
      {
        type: 'slider',
        xAxisIndex: [0, 1],
        height: 18,
        bottom: 8,
        filterMode: 'none',
        labelFormatter: '',
        ...(zoom ?? { start: 0, end: 100 }),
      },
    ],
    series: [
      {
        name: 'Packets/s',
        type: 'line',
        xAxisIndex: 0,
        yAxisIndex: 0,
        step: 'end',
        showSymbol: false,
        sampling: 'lttb',
        color: '#8aa4c8',
        areaStyle: { opacity: 0.25 },
        lineStyle: { width: 1 },
        data: stepData(windows, lengthS, (w) => w.packets_per_sec),
        markArea: range
          ? {
              silent: true,
              itemStyle: {
                color: COLORS.highlight,
                borderColor: severityColor(selected?.severity ?? ''),
                borderWidth: 1,
              },
              data: [[{ xAxis: range.from * 1000 }, { xAxis: range.to * 1000 }]],
            }
          : undefined,
        markLine: {
          silent: true,
          symbol: 'none',
          label: { show: false },
          data: alerts.map((a) => ({
            xAxis: (a.event_ts ?? first) * 1000,
            lineStyle: {
              color: severityColor(a.severity),
              type: 'dashed',
              width: selected?.id === a.id ? 2 : 1,
              opacity: 0.7,
            },
          })),
        },
      },
      {
        name: 'Events',
        type: 'scatter',
        xAxisIndex: 1,
        yAxisIndex: 1,
        data: markers,
        z: 3,
      },
    ],
  };
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
  const option = useMemo(
    () => windows.data && timelineOption(alerts, windows.data.windows, lengthS, selected),
    [alerts, windows.data, lengthS, selected],
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
            {() =>
              option && (
                <Chart
                  option={option}
                  height={
                    Math.max(70, new Set(alerts.map((a) => a.alert_type)).size * 34) +
                    28 +
                    CONTEXT_H +
                    34 +
                    40
                  }
                  ariaLabel="Event timeline"
                  onClick={(e: ChartClick) => {
                    if (e.seriesName === 'Events') select(alerts[e.dataIndex] ?? null);
                  }}
                />
              )
            }
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
