import { type ReactNode, useEffect, useRef } from 'react';
import uPlot from 'uplot';
import { renderTip, type Tip } from './common';
import { FONT } from './font';
import { TIME_INCRS, timeLabels, timeSpace, timeStep } from './time-axis';

// Every chart of the dashboard is a uPlot canvas: 50 kB, and a chart of 100,000 points drawn in a
// few milliseconds. (ECharts, used before, was 640 kB and ~0.5 s of the browser's one thread to load
// and draw a page's first chart: a page opened in a new tab took over a second.) This component
// owns one uPlot instance: made when its options or data change, sized to its container, with a
// tooltip beside the pointer and clicks told apart from drags (a drag zooms).

export const AXIS_COLOR = '#5b6474';
/** How long a click waits for a second one (a double click zooms out instead). */
const DOUBLE_CLICK_MS = 250;

/** Identifies an x axis by its extent and length: rebuilt with the same times, a chart keeps its zoom. */
function axisKey(x: ArrayLike<number>): string {
  return `${x.length}:${x[0]}:${x[x.length - 1]}`;
}
export const GRID_COLOR = '#e6e9ef';

export interface PlotPoint {
  left: number;
  top: number;
}

export interface PlotProps {
  /** The chart's options for a plot of `width` × `height` CSS pixels. */
  options: (width: number, height: number) => uPlot.Options;
  data: uPlot.AlignedData;
  /** Height of the whole chart, `head` included. */
  height: number;
  ariaLabel: string;
  /** Above the plot: legend and axis names. */
  head?: ReactNode;
  headHeight?: number;
  /** The tooltip for the pointer's position, or null for none (drawn as DOM text, common.ts). */
  tooltip?: (u: uPlot) => Tip | null;
  /** A click on the plot that was not a drag or part of a double click, at CSS pixels in the plot. */
  onClick?: (u: uPlot, at: PlotPoint) => void;
  /** The x range shown first; otherwise a chart rebuilt over the same times keeps its zoom. */
  view?: [number, number] | null;
  /** Receives the instance once made (to follow another chart's zoom, for example). */
  onReady?: (u: uPlot | null) => void;
  title?: string;
}

export function Plot(props: PlotProps) {
  const { options, data, height, ariaLabel, head, headHeight = 0, title } = props;
  const box = useRef<HTMLDivElement>(null);
  const tip = useRef<HTMLDivElement>(null);
  // Handlers change on every render; the chart reads the latest without being made again.
  const live = useRef(props);
  live.current = props;
  const plotHeight = height - headHeight;
  const view = useRef<{ key: string; min: number; max: number } | null>(null);

  useEffect(() => {
    const node = box.current;
    const tipNode = tip.current;
    if (!node || !tipNode) return;
    const opts = options(Math.max(node.clientWidth, 100), plotHeight);
    // Charts that share the pointer's position show a tip only under the pointer itself.
    let hovering = false;
    const hide = () => {
      tipNode.style.display = 'none';
    };
    const setCursor = (u: uPlot) => {
      const left = u.cursor.left ?? -1;
      const tip = hovering && left >= 0 ? live.current.tooltip?.(u) : null;
      if (!tip || tip.length === 0) return hide();
      tipNode.replaceChildren(renderTip(tip));
      tipNode.style.display = 'block';
      // Beside the pointer on the side with room, and above it near the chart's bottom.
      const x = u.over.offsetLeft + left;
      const w = tipNode.offsetWidth;
      const flip = x + 16 + w > node.clientWidth;
      tipNode.style.left = `${Math.max(0, flip ? x - 16 - w : x + 16)}px`;
      const y = headHeight + u.over.offsetTop + (u.cursor.top ?? 0);
      const h = tipNode.offsetHeight;
      tipNode.style.top = `${Math.max(0, y + h - 12 > height ? y - h - 8 : y - 12)}px`;
    };
    // The zoom a rebuilt chart of the same times keeps (a new selection redraws the chart).
    const keep = (u: uPlot) => {
      const { min, max } = u.scales.x;
      const x = u.data[0];
      const whole = min === x[0] && max === x[x.length - 1];
      view.current = whole || min === undefined || max === undefined ? null : { key: axisKey(x), min, max };
    };
    opts.hooks = {
      ...opts.hooks,
      draw: [...(opts.hooks?.draw ?? []), (u) => markLabels(node, u)],
      setCursor: [...(opts.hooks?.setCursor ?? []), setCursor],
      setScale: [...(opts.hooks?.setScale ?? []), (u, key) => key === 'x' && keep(u)],
    };
    const u = new uPlot(opts, data, node);
    // After the first drawing is committed (a scale set while uPlot is being made is overwritten).
    const shown = live.current.view;
    const kept = view.current;
    if (shown) queueMicrotask(() => u.setScale('x', { min: shown[0], max: shown[1] }));
    else if (shown === undefined && kept && kept.key === axisKey(data[0])) {
      const { min, max } = kept;
      queueMicrotask(() => u.setScale('x', { min, max }));
    }
    // A click is a press and release in one place, and not part of a double click (which zooms
    // out): it is acted on once a second press has not come.
    let downX = 0;
    let pending: ReturnType<typeof setTimeout> | undefined;
    const onDown = (e: MouseEvent) => {
      downX = e.clientX;
    };
    const onUp = (e: MouseEvent) => {
      clearTimeout(pending);
      if (e.detail > 1 || Math.abs(e.clientX - downX) > 3 || !live.current.onClick) return;
      // Where it was pressed: the pointer may move on while the click waits.
      const at = { left: u.cursor.left ?? -1, top: u.cursor.top ?? -1 };
      if (at.left < 0) return;
      pending = setTimeout(() => live.current.onClick?.(u, at), DOUBLE_CLICK_MS);
    };
    const onEnter = () => {
      hovering = true;
    };
    const onLeave = () => {
      hovering = false;
      hide();
    };
    u.over.addEventListener('mousedown', onDown);
    u.over.addEventListener('mouseup', onUp);
    u.over.addEventListener('mouseenter', onEnter);
    u.over.addEventListener('mouseleave', onLeave);
    if (live.current.onClick) u.over.style.cursor = 'pointer';
    const ro = new ResizeObserver(() => {
      const w = Math.max(node.clientWidth, 100);
      if (w !== u.width) u.setSize({ width: w, height: plotHeight });
    });
    ro.observe(node);
    live.current.onReady?.(u);
    return () => {
      clearTimeout(pending);
      ro.disconnect();
      live.current.onReady?.(null);
      u.destroy();
    };
  }, [options, data, plotHeight, headHeight, height]);

  return (
    <div className="chart plot" style={{ height }} role="img" aria-label={ariaLabel}>
      {head}
      <div ref={box} className="plot-area" title={title} />
      <div ref={tip} className="chart-tip" style={{ display: 'none' }} />
    </div>
  );
}

/** Limits drawing to the plot area (a zoomed chart's highlights would cover the axes). */
export function clipToPlot(u: uPlot): void {
  const { ctx, bbox } = u;
  ctx.beginPath();
  ctx.rect(bbox.left, bbox.top, bbox.width, bbox.height);
  ctx.clip();
}

/** Canvas pixels for CSS pixels (uPlot draws at the device's pixel ratio). */
export const px = (n: number) => Math.round(n * (window.devicePixelRatio || 1));

export const FONT_SMALL = `11px ${FONT}`;

/** Axis styling shared by the charts. */
export function axis(extra: uPlot.Axis = {}): uPlot.Axis {
  return {
    stroke: AXIS_COLOR,
    font: FONT_SMALL,
    ticks: { stroke: GRID_COLOR, width: 1, size: 4 },
    grid: { stroke: GRID_COLOR, width: 1 },
    ...extra,
  };
}

/**
 * The x axis' labels as drawn, [x in CSS px, text] on the chart's element (`data-x-labels`): they
 * are painted on the canvas, and this is how a browser test sees whether they run into each other.
 */
function markLabels(node: HTMLElement, u: uPlot): void {
  const ax = u.axes[0] as uPlot.Axis & { _splits?: number[] | null; _values?: unknown[] | null };
  const splits = ax._splits ?? [];
  const values = ax._values ?? [];
  node.dataset.xLabels = JSON.stringify(
    splits.map((s, k) => [Math.round(u.valToPos(s, 'x') * 10) / 10, String(values[k] ?? '')]),
  );
}

/** A time x axis (seconds, UTC); two-line labels (date and time) get the room they need. */
export function timeAxis(extra: uPlot.Axis = {}): uPlot.Axis {
  return axis({
    grid: { show: false },
    values: timeLabels,
    incrs: TIME_INCRS,
    // The room that makes uPlot take `timeStep`'s step (the smallest step with that much room).
    space: (_u, _i, min, max, plotDim) =>
      max > min ? (timeStep(plotDim, max - min) * plotDim) / (max - min) - 0.01 : timeSpace(plotDim, 0),
    size: (_u, values) => (values?.some((v) => String(v).includes('\n')) ? 42 : 30),
    ...extra,
  });
}

/** Zero to a round number above the data's maximum (1 when there is nothing). */
export const fromZero: uPlot.Range.Function = (_u, _min, max) => {
  const top = Number.isFinite(max) && max > 0 ? max : 1;
  return [0, uPlot.rangeNum(0, top, 0.1, true)[1]];
};

/**
 * The index of the step holding time `sec`: the last x at or before it (a step holds its value until
 * the next x), -1 outside; the closing point stands for the last step.
 */
export function stepAt(x: ArrayLike<number>, sec: number): number {
  const n = x.length;
  if (!(n > 0) || !(sec >= x[0]) || sec > x[n - 1]) return -1;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (x[mid] <= sec) lo = mid;
    else hi = mid - 1;
  }
  return Math.min(lo, Math.max(n - 2, 0));
}

/**
 * Zero to a round number above the highest value in view, counting the step held from before the
 * view's left edge (uPlot looks only at the points inside).
 */
export const fromZeroHeld: uPlot.Range.Function = (u, min, max, key) => {
  let top = max;
  for (let k = 1; k < u.series.length; k++) {
    if (u.series[k].scale !== key) continue;
    const i0 = u.series[k].idxs?.[0] ?? 0;
    const held = i0 > 0 ? (u.data[k][i0 - 1] as number | null) : null;
    if (held !== null && held !== undefined && held > top) top = held;
  }
  return fromZero(u, min, top, key);
};

/** Tick steps for counts: whole numbers only (no "0.25 packets"). */
export const WHOLE_STEPS: number[] = [];
for (let e = 0; e <= 15; e++) for (const m of [1, 2, 5]) WHOLE_STEPS.push(m * 10 ** e);

/** Capture times are UTC everywhere. */
export const utc = (ts: number) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC');

/**
 * What every time chart starts from: UTC times, no uPlot legend (the charts draw their own), drag
 * to zoom the time axis only, no pointer dots (they mark the nearest point, not the step under the
 * pointer), and the pointer shared with the charts of `syncKey`.
 */
export function timeChartBase(
  width: number,
  height: number,
  padding: uPlot.Padding,
  syncKey?: string,
): Pick<uPlot.Options, 'width' | 'height' | 'tzDate' | 'legend' | 'padding' | 'cursor'> {
  return {
    width,
    height,
    tzDate: utc,
    legend: { show: false },
    padding,
    cursor: {
      drag: { x: true, y: false, setScale: true },
      y: false,
      points: { show: false },
      ...(syncKey ? { sync: { key: syncKey } } : {}),
    },
  };
}

export const stepped = uPlot.paths.stepped?.({ align: 1 });
