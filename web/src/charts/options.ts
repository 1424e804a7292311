import { COLORS } from '../colors';
import { formatPercent } from '../format';
import type { Anomaly } from '../types';
import type { ChartOption } from './Chart';
import { TOOLTIP_BASE, timeAxis, timeZoom, valueAxis, windowTitle } from './common';

// ECharts options shared by the pages (the overview's are in overview-charts.ts). Every series is [time in ms, value] over the session's windows
// (empty windows included, so gaps show as zero). Long sessions (up to 100,000 windows) stay fast:
// no symbols, LTTB sampling on lines (index buckets for stacks, so the layers stay aligned), large
// mode on bars and scatters, and zooming by wheel, drag and slider.

interface AxisParam {
  axisValue: number;
  dataIndex: number;
  seriesName: string;
  color: string;
  value: [number, number];
}

function spanOf(windows: { start_ts: number }[], lengthS: number): number {
  if (windows.length === 0) return 0;
  return windows[windows.length - 1].start_ts + lengthS - windows[0].start_ts;
}

const GRID = { left: 64, right: 24, top: 40, bottom: 56 };

/**
 * [time, value] pairs for a step line (`step: 'end'`: a value holds from its window's start until
 * the next point), so each window's value spans its window; the last window gets a closing point
 * (and a capture of one window still draws).
 */
export function stepData<T extends { start_ts: number }>(
  rows: T[],
  lengthS: number,
  value: (r: T) => number,
) {
  const out: [number, number][] = rows.map((r) => [r.start_ts * 1000, value(r)]);
  const last = rows[rows.length - 1];
  if (last) out.push([(last.start_ts + lengthS) * 1000, value(last)]);
  return out;
}

/** The time axis spans the windows exactly: first window's start to last window's end. */
export function windowBounds(rows: { start_ts: number }[], lengthS: number) {
  if (rows.length === 0) return {};
  return { min: rows[0].start_ts * 1000, max: (rows[rows.length - 1].start_ts + lengthS) * 1000 };
}

export interface ScoreOptionArgs {
  anomalies: Anomaly[];
  threshold: number;
  lengthS: number;
  /** The window drawn as selected. */
  selected?: number | null;
}

/** Runs of consecutive anomalous windows as [first, last] window indexes into `anomalies`. */
export function anomalousRuns(anomalies: Anomaly[]): [number, number][] {
  const runs: [number, number][] = [];
  for (let i = 0; i < anomalies.length; i++) {
    if (!anomalies[i].is_anomaly) continue;
    const last = runs[runs.length - 1];
    if (last && last[1] === i - 1) last[1] = i;
    else runs.push([i, i]);
  }
  return runs;
}

export function scoreOption({ anomalies, threshold, lengthS, selected }: ScoreOptionArgs): ChartOption {
  const runs = anomalousRuns(anomalies);
  const sel =
    selected === null || selected === undefined ? undefined : anomalies.find((a) => a.window_id === selected);
  return {
    useUTC: true,
    legend: { top: 4, right: 8, itemWidth: 14, itemHeight: 10, data: ['Score', 'Anomalous window'] },
    grid: { ...GRID, right: 64 },
    tooltip: {
      ...TOOLTIP_BASE,
      trigger: 'axis',
      formatter: (ps: AxisParam[]) => {
        const p = ps.find((x) => x.seriesName === 'Score') ?? ps[0];
        if (!p) return '';
        const a = anomalies[Math.min(p.dataIndex, anomalies.length - 1)];
        if (!a) return '';
        // The overview loads scores only; the anomalies page has the reasons too.
        const top = (a.contributing_features ?? [])
          .slice(0, 3)
          .map(
            (f) =>
              `${f.feature.replace(/_/g, ' ')} ${f.direction === 'higher' ? '↑' : '↓'} ${formatPercent(f.share * 100, 0)}`,
          )
          .join('<br>');
        return `<b>${windowTitle(a.start_ts, lengthS)}</b><br>Window ${a.window_id}: score <b>${a.score.toFixed(3)}</b>${a.is_anomaly ? ' <span style="color:#d1342f">anomalous</span>' : ''}${top ? `<br><span style="color:#5b6474">${top}</span>` : ''}`;
      },
    },
    xAxis: timeAxis(spanOf(anomalies, lengthS), windowBounds(anomalies, lengthS)),
    yAxis: valueAxis('anomaly score', (v) => v.toFixed(1), { min: 0, max: 1, interval: 0.2 }),
    dataZoom: timeZoom(),
    series: [
      {
        name: 'Score',
        type: 'line',
        step: 'end',
        color: COLORS.score,
        showSymbol: false,
        sampling: 'lttb',
        lineStyle: { width: 1.3 },
        data: stepData(anomalies, lengthS, (a) => a.score),
        markLine: {
          silent: true,
          symbol: 'none',
          lineStyle: { color: COLORS.threshold, type: 'dashed', width: 1.2 },
          label: {
            formatter: `threshold\n${threshold}`,
            position: 'end',
            color: COLORS.threshold,
            lineHeight: 13,
          },
          data: [{ yAxis: threshold }],
        },
        markArea: {
          silent: true,
          itemStyle: { color: COLORS.highlight },
          data: [
            ...runs.map(([a, b]) => [
              { xAxis: anomalies[a].start_ts * 1000 },
              { xAxis: (anomalies[b].start_ts + lengthS) * 1000 },
            ]),
            ...(sel
              ? [
                  [
                    { xAxis: sel.start_ts * 1000, itemStyle: { color: 'rgba(47,111,219,0.22)' } },
                    { xAxis: (sel.start_ts + lengthS) * 1000 },
                  ],
                ]
              : []),
          ],
        },
      },
      {
        name: 'Anomalous window',
        type: 'scatter',
        color: COLORS.anomaly,
        symbolSize: 8,
        z: 4,
        large: anomalies.length > 5000,
        // At the middle of the window, on its step.
        data: anomalies.filter((a) => a.is_anomaly).map((a) => [(a.start_ts + lengthS / 2) * 1000, a.score]),
      },
      ...(sel
        ? [
            {
              name: 'Selected',
              type: 'scatter',
              color: '#2f6fdb',
              symbolSize: 13,
              symbol: 'circle',
              itemStyle: { borderColor: '#fff', borderWidth: 2 },
              z: 5,
              data: [[(sel.start_ts + lengthS / 2) * 1000, sel.score]],
            },
          ]
        : []),
    ],
  };
}

/** The window (by start time) under a time axis position in ms. */
export function windowAt<T extends { start_ts: number }>(
  rows: T[],
  lengthS: number,
  ms: number,
): T | undefined {
  const t = ms / 1000;
  let lo = 0;
  let hi = rows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid].start_ts <= t) lo = mid + 1;
    else hi = mid - 1;
  }
  const r = rows[hi];
  return r && t < r.start_ts + lengthS ? r : undefined;
}
