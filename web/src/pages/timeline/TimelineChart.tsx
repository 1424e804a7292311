import { useCallback, useMemo, useRef } from 'react';
import type uPlot from 'uplot';
import { formatCountAxis, formatPerSecond, formatTime } from '../../../../src/format/index.js';
import type { Insight, TrafficWindow } from '../../api/types';
import {
  axis,
  clipToPlot,
  fromZeroHeld,
  Plot,
  type PlotPoint,
  px,
  stepAt,
  stepped,
  timeAxis,
  timeChartBase,
} from '../../charts/Plot';
import { column, windowTimes } from '../../charts/window-charts';
import { severityColor } from '../../colors';
import { typeName } from './alert-types';
import { type Marker, stackOffsets } from './stacking';

/** Canvas pixels per CSS pixel, as uPlot draws. */
const pxRatio = () => window.devicePixelRatio || 1;

// The timeline page's chart: packets per second above, one lane of event markers per alert type
// below, on one time axis. Two uPlot charts that share the pointer and the zoom; each event is also
// a dashed line across the packets. A selected event's windows are shaded and shown with context.

export interface Range {
  from: number;
  to: number;
}

interface Props {
  alerts: Insight[];
  windows: TrafficWindow[];
  lengthS: number;
  selected: Insight | undefined;
  /** The selected event's windows. */
  range: Range | null;
  onSelect: (a: Insight) => void;
}

const CONTEXT_HEIGHT = 210;
const LANE_HEIGHT = 34;
/** Room per marker of a stack at one instant, in CSS pixels. */
const STACK_PITCH = 19;
const MAX_LANE_HEIGHT = 96;
const LABEL_WIDTH = 150;
const SEVERITY_SIZE: Record<string, number> = { low: 11, medium: 14, high: 17, critical: 20 };

/** The most alerts of one type within `tolerance` seconds of each other: how high a lane must be. */
function tallestStack(alerts: Insight[], tolerance: number): number {
  const byType = new Map<string, number[]>();
  for (const a of alerts) {
    const t = a.alert_type ?? 'alert';
    const list = byType.get(t) ?? [];
    list.push(a.event_ts ?? 0);
    byType.set(t, list);
  }
  let most = 1;
  for (const times of byType.values()) {
    times.sort((x, y) => x - y);
    let from = 0;
    for (let i = 0; i < times.length; i++) {
      while (times[i] - times[from] > tolerance) from++;
      most = Math.max(most, i - from + 1);
    }
  }
  return most;
}

export function TimelineChart({ alerts, windows, lengthS, selected, range, onSelect }: Props) {
  const types = useMemo(() => [...new Set(alerts.map((a) => a.alert_type ?? 'alert'))], [alerts]);
  const first = windows[0]?.start_ts ?? 0;
  const last = windows.length ? windows[windows.length - 1].start_ts + lengthS : first + lengthS;
  // Lanes tall enough for the alerts of one type that meet at one instant on the whole capture.
  const laneHeight = useMemo(
    () =>
      Math.min(
        MAX_LANE_HEIGHT,
        Math.max(LANE_HEIGHT, tallestStack(alerts, (last - first) / 50) * STACK_PITCH + 6),
      ),
    [alerts, first, last],
  );
  // Zoom to the selected event's windows with some context either side.
  const view = useMemo((): [number, number] | null => {
    if (!range) return null;
    const pad = Math.max((range.to - range.from) * 0.6, lengthS * 3);
    return [Math.max(first, range.from - pad), Math.min(last, range.to + pad)];
  }, [range, first, last, lengthS]);

  const data = useMemo(
    () => [windowTimes(windows, lengthS), column(windows, (w) => w.packets_per_sec)] as uPlot.AlignedData,
    [windows, lengthS],
  );

  // The two charts follow each other's zoom.
  const charts = useRef<(uPlot | null)[]>([null, null]);
  const follow = (me: number) => (u: uPlot, key: string) => {
    if (key !== 'x') return;
    const other = charts.current[1 - me];
    const { min, max } = u.scales.x;
    if (!other || min === undefined || max === undefined) return;
    if (other.scales.x.min !== min || other.scales.x.max !== max) other.setScale('x', { min, max });
  };
  const syncKey = `timeline-${windows.length}`;

  // Made anew with the data and the selection; the zoom helpers above read refs only.
  // biome-ignore lint/correctness/useExhaustiveDependencies: see above
  const contextOptions = useCallback(
    (width: number, height: number): uPlot.Options => ({
      ...timeChartBase(width, height, [8, 40, 0, 0], syncKey),
      scales: { x: { time: true }, y: { range: fromZeroHeld } },
      axes: [
        timeAxis({ values: () => [], size: 6, ticks: { show: false } }),
        axis({ values: (_u, s) => s.map(formatCountAxis), size: LABEL_WIDTH }),
      ],
      series: [
        {},
        {
          label: 'Packets/s',
          stroke: '#8aa4c8',
          fill: 'rgba(138, 164, 200, 0.25)',
          width: 1,
          paths: stepped,
          points: { show: false },
        },
      ],
      hooks: {
        drawClear: [
          (u) => {
            if (!range) return;
            const { ctx, bbox } = u;
            const x0 = u.valToPos(range.from, 'x', true);
            const x1 = Math.max(u.valToPos(range.to, 'x', true), x0 + px(2));
            ctx.save();
            clipToPlot(u);
            ctx.fillStyle = 'rgba(224, 80, 43, 0.14)';
            ctx.fillRect(x0, bbox.top, x1 - x0, bbox.height);
            ctx.strokeStyle = severityColor(selected?.severity ?? '');
            ctx.lineWidth = px(1);
            ctx.strokeRect(x0, bbox.top, x1 - x0, bbox.height);
            ctx.restore();
          },
        ],
        draw: [
          (u) => {
            const { ctx, bbox } = u;
            ctx.save();
            clipToPlot(u);
            ctx.setLineDash([px(4), px(3)]);
            ctx.globalAlpha = 0.7;
            for (const a of alerts) {
              const x = u.valToPos(a.event_ts ?? first, 'x', true);
              if (x < bbox.left || x > bbox.left + bbox.width) continue;
              ctx.strokeStyle = severityColor(a.severity);
              ctx.lineWidth = px(selected?.id === a.id ? 2 : 1);
              ctx.beginPath();
              ctx.moveTo(x, bbox.top);
              ctx.lineTo(x, bbox.top + bbox.height);
              ctx.stroke();
            }
            ctx.restore();
          },
        ],
        setScale: [follow(0)],
      },
    }),
    [alerts, range, selected, first],
  );

  /** Where each alert's marker is, in CSS pixels of the plot: markers at one instant stacked. */
  const placed = (u: uPlot): { a: Insight; x: number; y: number; r: number }[] => {
    const markers: Marker[] = alerts.map((a) => ({
      x: u.valToPos(a.event_ts ?? first, 'x'),
      lane: types.indexOf(a.alert_type ?? 'alert'),
      r: (SEVERITY_SIZE[a.severity] ?? 12) / 2,
      severity: a.severity,
    }));
    const room =
      types.length > 1 ? Math.abs(u.valToPos(1, 'y') - u.valToPos(0, 'y')) : u.bbox.height / pxRatio();
    const offsets = stackOffsets(markers, room);
    return alerts.map((a, i) => ({
      a,
      x: markers[i].x,
      y: u.valToPos(markers[i].lane, 'y') + offsets[i],
      r: markers[i].r,
    }));
  };

  /** The marker nearest the point within its radius and a few pixels (of equals, the one drawn on top). */
  const markerAt = (u: uPlot, { left, top }: PlotPoint): Insight | null => {
    if (left < 0) return null;
    let best: Insight | null = null;
    let bestD = Infinity;
    for (const m of placed(u)) {
      const d = Math.hypot(m.x - left, m.y - top);
      if (d <= m.r + 4 && d <= bestD) {
        best = m.a;
        bestD = d;
      }
    }
    return best;
  };

  // Made anew with the data and the selection; the zoom helpers above read refs only.
  // biome-ignore lint/correctness/useExhaustiveDependencies: see above
  const laneOptions = useCallback(
    (width: number, height: number): uPlot.Options => ({
      ...timeChartBase(width, height, [4, 40, 0, 0], syncKey),
      scales: {
        x: { time: true },
        // Lane k at k, the first type at the top.
        y: { range: [-0.5, Math.max(types.length, 1) - 0.5], dir: -1, ori: 1 },
      },
      axes: [
        timeAxis(),
        axis({
          splits: () => types.map((_, i) => i),
          values: (_u, s) => s.map((i) => typeName(types[i] ?? null)),
          size: LABEL_WIDTH,
          ticks: { show: false },
        }),
      ],
      series: [{}, { paths: () => null, points: { show: false } }],
      hooks: {
        draw: [
          (u) => {
            const { ctx, bbox } = u;
            const ratio = pxRatio();
            ctx.save();
            clipToPlot(u);
            // The selected marker last, over its neighbours.
            const marks = placed(u).sort(
              (m, n) => Number(m.a.id === selected?.id) - Number(n.a.id === selected?.id),
            );
            for (const { a, x: cx, y: cy, r } of marks) {
              const x = bbox.left + cx * ratio;
              if (x < bbox.left - px(10) || x > bbox.left + bbox.width + px(10)) continue;
              const y = bbox.top + cy * ratio;
              const isSel = selected?.id === a.id;
              ctx.beginPath();
              ctx.arc(x, y, px(r), 0, 2 * Math.PI);
              ctx.fillStyle = severityColor(a.severity);
              ctx.fill();
              ctx.strokeStyle = isSel ? '#1d2533' : '#fff';
              ctx.lineWidth = px(isSel ? 2.5 : 1);
              ctx.stroke();
            }
            ctx.restore();
          },
        ],
        setScale: [follow(1)],
      },
    }),
    [alerts, types, selected, first],
  );
  const laneData = useMemo(
    () => [data[0], new Float64Array(data[0].length).fill(Number.NaN)] as uPlot.AlignedData,
    [data],
  );

  return (
    <div className="timeline-chart">
      <Plot
        options={contextOptions}
        data={data}
        height={CONTEXT_HEIGHT}
        head={
          <div className="time-chart-head" style={{ height: 24 }}>
            <span className="time-chart-axis">packets/s</span>
          </div>
        }
        headHeight={24}
        view={view}
        ariaLabel="Packets per second"
        title="Drag to zoom in, double-click to zoom out"
        onReady={(u) => {
          charts.current[0] = u;
        }}
        tooltip={(u) => {
          const i = stepAt(data[0], u.posToVal(u.cursor.left ?? -1, 'x'));
          const w = i < 0 ? undefined : windows[i];
          return w ? [[formatTime(w.start_ts)], [`${formatPerSecond(w.packets_per_sec)} packets`]] : null;
        }}
      />
      <Plot
        options={laneOptions}
        data={laneData}
        height={Math.max(70, types.length * laneHeight) + 30}
        view={view}
        ariaLabel="Event timeline"
        onReady={(u) => {
          charts.current[1] = u;
        }}
        tooltip={(u) => {
          const a = markerAt(u, { left: u.cursor.left ?? -1, top: u.cursor.top ?? -1 });
          if (!a) return null;
          return [
            [
              { text: a.severity.toUpperCase(), bold: true, color: severityColor(a.severity) },
              ` ${typeName(a.alert_type)}`,
            ],
            [formatTime(a.event_ts, 3)],
            [{ text: a.summary, note: true }],
          ];
        }}
        onClick={(u, at) => {
          const a = markerAt(u, at);
          if (a) onSelect(a);
        }}
      />
    </div>
  );
}
