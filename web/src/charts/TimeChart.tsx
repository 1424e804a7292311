import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import { FONT } from './font';

// Time series on a canvas with uPlot: the overview's three charts. uPlot draws 100,000 points in a
// few milliseconds and is 50 kB, where ECharts (the other pages' charts) costs the opened page
// ~0.5 s of the browser's one thread before its first chart shows; so the landing page does not
// load ECharts at all. Step lines hold each window's value across its window; drag on the plot
// zooms in, a double click zooms out; the pointer's position is shared by the charts of a page.

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

export interface TimeAxis {
  /** The axis' name, shown above it. */
  name: string;
  format: (v: number) => string;
  /** A fixed range (the anomaly score's 0–1); otherwise from zero to the data's maximum. */
  range?: [number, number];
  /** Tick step for a fixed range. */
  step?: number;
}

export interface TimeChartSpec {
  /** Times in seconds (UTC), ascending. */
  x: Float64Array;
  series: TimeSeries[];
  left: TimeAxis;
  right?: TimeAxis;
  legend: LegendItem[];
  /** The tooltip's HTML for the point at index `i` of `x` (values from the page's data only). */
  tooltip: (i: number) => string;
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

const AXIS_COLOR = '#5b6474';
const GRID_COLOR = '#e6e9ef';
const LEGEND_HEIGHT = 24;

/** Tick labels for a time axis: seconds, milliseconds for short spans, the date for long ones. */
function timeLabels(span: number) {
  return (_u: uPlot, splits: number[]) =>
    splits.map((s) => {
      const iso = new Date(s * 1000).toISOString();
      if (span > 86400) return `${iso.slice(5, 10)}\n${iso.slice(11, 16)}`;
      return span < 10 ? iso.slice(11, 23) : iso.slice(11, 19);
    });
}

function yRange(axis: TimeAxis): uPlot.Scale.Range {
  if (axis.range) return axis.range;
  return (_u, _min, max) => {
    const top = Number.isFinite(max) && max > 0 ? max : 1;
    const [, niceTop] = uPlot.rangeNum(0, top, 0.1, true);
    return [0, niceTop];
  };
}

function options(spec: TimeChartSpec, width: number, height: number, syncKey?: string): uPlot.Options {
  const first = spec.x[0] ?? 0;
  const span = (spec.x[spec.x.length - 1] ?? first) - first;
  const stepped = uPlot.paths.stepped?.({ align: 1 });
  const font = `11px ${FONT}`;
  const axisBase = {
    stroke: AXIS_COLOR,
    font,
    ticks: { stroke: GRID_COLOR, width: 1, size: 4 },
    grid: { stroke: GRID_COLOR, width: 1 },
  };
  const axes: uPlot.Axis[] = [
    {
      ...axisBase,
      grid: { show: false },
      values: timeLabels(span),
      space: span > 86400 ? 70 : span < 10 ? 110 : 80,
      size: span > 86400 ? 42 : 30,
    },
    {
      ...axisBase,
      scale: 'y',
      values: (_u, splits) => splits.map(spec.left.format),
      size: 56,
      ...(spec.left.step ? { incrs: [spec.left.step] } : {}),
    },
  ];
  if (spec.right) {
    const fmt = spec.right.format;
    axes.push({
      ...axisBase,
      scale: 'y2',
      side: 1,
      grid: { show: false },
      values: (_u, splits) => splits.map(fmt),
      size: 52,
    });
  }
  const scales: uPlot.Scales = { x: { time: true }, y: { range: yRange(spec.left) } };
  if (spec.right) scales.y2 = { range: yRange(spec.right) };
  return {
    width,
    height,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    legend: { show: false },
    // Without a right-hand axis, room for half of the last time label, centred on the plot's end.
    padding: [8, spec.right ? 4 : 40, 0, 0],
    cursor: {
      drag: { x: true, y: false, setScale: true },
      y: false,
      points: { size: 6 },
      ...(syncKey ? { sync: { key: syncKey } } : {}),
    },
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
}

/** A uPlot chart over `spec`, sized to its container's width; the legend and axis names above it. */
export function TimeChart(props: Props) {
  const { spec, height, ariaLabel, syncKey } = props;
  const box = useRef<HTMLDivElement>(null);
  const tip = useRef<HTMLDivElement>(null);
  const click = useRef(props.onPlotClick);
  click.current = props.onPlotClick;
  const plotHeight = height - LEGEND_HEIGHT;

  useEffect(() => {
    const node = box.current;
    const tipNode = tip.current;
    if (!node || !tipNode) return;
    const opts = options(spec, Math.max(node.clientWidth, 100), plotHeight, syncKey);
    // The charts of a page share the pointer's time; only the one under the pointer shows its tip.
    let hovering = false;
    opts.hooks = {
      ...opts.hooks,
      setCursor: [
        (u) => {
          const i = u.cursor.idx;
          const left = u.cursor.left ?? -1;
          if (!hovering || i === null || i === undefined || left < 0) {
            tipNode.style.display = 'none';
            return;
          }
          tipNode.innerHTML = spec.tooltip(i);
          tipNode.style.display = 'block';
          // Beside the pointer, on the side with room, inside the chart.
          const plotLeft = u.over.offsetLeft;
          const x = plotLeft + left;
          const w = tipNode.offsetWidth;
          const flip = x + 16 + w > node.clientWidth;
          tipNode.style.left = `${Math.max(0, flip ? x - 16 - w : x + 16)}px`;
          tipNode.style.top = `${LEGEND_HEIGHT + Math.max(0, (u.cursor.top ?? 0) - 20)}px`;
        },
      ],
    };
    const u = new uPlot(opts, [spec.x, ...spec.series.map((s) => s.values)] as uPlot.AlignedData, node);
    // A click is a press and release in one place; a drag zooms instead.
    let downX = 0;
    const onDown = (e: MouseEvent) => {
      downX = e.clientX;
    };
    const onUp = (e: MouseEvent) => {
      const cb = click.current;
      if (!cb || Math.abs(e.clientX - downX) > 3) return;
      const left = u.cursor.left ?? -1;
      if (left < 0) return;
      const sec = u.posToVal(left, 'x');
      if (Number.isFinite(sec)) cb(sec);
    };
    const onEnter = () => {
      hovering = true;
    };
    const onLeave = () => {
      hovering = false;
      tipNode.style.display = 'none';
    };
    u.over.addEventListener('mouseenter', onEnter);
    u.over.addEventListener('mousedown', onDown);
    u.over.addEventListener('mouseup', onUp);
    u.over.addEventListener('mouseleave', onLeave);
    if (click.current) u.over.style.cursor = 'pointer';
    const ro = new ResizeObserver(() => {
      const w = Math.max(node.clientWidth, 100);
      if (w !== u.width) u.setSize({ width: w, height: plotHeight });
    });
    ro.observe(node);
    return () => {
      ro.disconnect();
      u.destroy();
    };
  }, [spec, plotHeight, syncKey]);

  return (
    <div className="chart time-chart" style={{ height }} role="img" aria-label={ariaLabel}>
      <div className="time-chart-head" style={{ height: LEGEND_HEIGHT }}>
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
      <div ref={box} className="time-chart-plot" title="Drag to zoom in, double-click to zoom out" />
      <div ref={tip} className="chart-tip" style={{ display: 'none' }} />
    </div>
  );
}
