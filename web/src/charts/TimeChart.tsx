import { useCallback, useMemo } from 'react';
import type uPlot from 'uplot';
import type { Tip } from './common';
import { axis, fromZeroHeld, Plot, stepAt, stepped, timeAxis, timeChartBase, WHOLE_STEPS } from './Plot';

// Time series over the session's windows: step lines (each window's value held across its window),
// stacked layers, shaded spans and markers drawn by the chart's own hooks. Drag on the plot zooms
// in, a double click zooms out; charts given the same sync key show the pointer's time together.

export interface TimeSeries {
  label: string;
  color: string;
  /** One value per x; null leaves a gap. */
  values: ArrayLike<number | null>;
  /** Area under the line, to zero (stacked layers are drawn as their running sums, opaque). */
  fill?: string;
  width?: number;
  /** The right-hand axis instead of the left one. */
  right?: boolean;
}

export interface LegendItem {
  label: string;
  color: string;
  kind: 'line' | 'area' | 'dot' | 'dash';
}

export interface ValueAxis {
  /** The axis' name, shown above it. */
  name: string;
  format: (v: number) => string;
  /** A fixed range (the anomaly score's 0–1); otherwise from zero to the data's maximum. */
  range?: [number, number];
  /** Tick step for a fixed range. */
  step?: number;
  /** Counts: ticks at whole numbers only. */
  whole?: boolean;
  /** Room for the tick labels, in CSS pixels. */
  size?: number;
}

export interface TimeChartSpec {
  /** Times in seconds (UTC), ascending. */
  x: Float64Array;
  series: TimeSeries[];
  left: ValueAxis;
  right?: ValueAxis;
  legend: LegendItem[];
  /** The tooltip for the point at index `i` of `x` (empty for none). */
  tooltip: (i: number) => Tip;
  /** Drawing behind the series (shaded spans), in canvas pixels. */
  under?: (u: uPlot) => void;
  /** Drawing over the series (threshold, markers). */
  over?: (u: uPlot) => void;
}

interface Props {
  spec: TimeChartSpec;
  height: number;
  ariaLabel: string;
  /** A click on the plot (not a drag), as the time in seconds under the pointer. */
  onPlotClick?: (sec: number) => void;
  /** Charts with the same key show the pointer's time together. */
  syncKey?: string;
}

const HEAD_HEIGHT = 24;

function valueScale(a: ValueAxis): uPlot.Scale {
  return { range: a.range ?? fromZeroHeld };
}

export function TimeChart({ spec, height, ariaLabel, onPlotClick, syncKey }: Props) {
  const options = useCallback(
    (width: number, h: number): uPlot.Options => {
      const axes: uPlot.Axis[] = [
        timeAxis(),
        axis({
          scale: 'y',
          values: (_u, splits) => splits.map(spec.left.format),
          size: spec.left.size ?? 56,
          ...(spec.left.step ? { incrs: [spec.left.step] } : spec.left.whole ? { incrs: WHOLE_STEPS } : {}),
        }),
      ];
      const scales: uPlot.Scales = { x: { time: true }, y: valueScale(spec.left) };
      if (spec.right) {
        const fmt = spec.right.format;
        axes.push(
          axis({
            scale: 'y2',
            side: 1,
            grid: { show: false },
            values: (_u, splits) => splits.map(fmt),
            size: spec.right.size ?? 52,
          }),
        );
        scales.y2 = valueScale(spec.right);
      }
      return {
        // Without a right-hand axis, room for half of the last time label, centred on the plot's end.
        ...timeChartBase(width, h, [8, spec.right ? 4 : 40, 0, 0], syncKey),
        scales,
        axes,
        series: [
          {},
          ...spec.series.map(
            (s): uPlot.Series => ({
              label: s.label,
              stroke: s.color,
              width: s.width ?? (s.fill ? 0 : 1.3),
              fill: s.fill,
              scale: s.right ? 'y2' : 'y',
              paths: stepped,
              points: { show: false },
            }),
          ),
        ],
        hooks: {
          drawClear: spec.under ? [spec.under] : [],
          draw: spec.over ? [spec.over] : [],
        },
      };
    },
    [spec, syncKey],
  );
  const data = useMemo(() => [spec.x, ...spec.series.map((s) => s.values)] as uPlot.AlignedData, [spec]);
  const head = (
    <div className="time-chart-head" style={{ height: HEAD_HEIGHT }}>
      <span className="time-chart-axis">{spec.left.name}</span>
      <span className="time-chart-legend">
        {spec.legend.map((l) => (
          <span key={l.label} className="time-chart-key">
            <span className={`key-${l.kind}`} style={{ color: l.color }} />
            {l.label}
          </span>
        ))}
      </span>
      <span className="time-chart-axis">{spec.right?.name ?? ''}</span>
    </div>
  );
  return (
    <Plot
      options={options}
      data={data}
      height={height}
      head={head}
      headHeight={HEAD_HEIGHT}
      ariaLabel={ariaLabel}
      title="Drag to zoom in, double-click to zoom out"
      tooltip={(u) => {
        const i = stepAt(spec.x, u.posToVal(u.cursor.left ?? -1, 'x'));
        return i < 0 ? null : spec.tooltip(i);
      }}
      onClick={
        onPlotClick
          ? (u, at) => {
              const sec = u.posToVal(at.left, 'x');
              if (Number.isFinite(sec)) onPlotClick(sec);
            }
          : undefined
      }
    />
  );
}
