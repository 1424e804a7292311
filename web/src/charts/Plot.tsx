import { type ReactNode, useEffect, useRef } from 'react';
import uPlot from 'uplot';
import { FONT } from './font';

// Every chart of the dashboard is a uPlot canvas: 50 kB, and a chart of 100,000 points drawn in a
// few milliseconds. (ECharts, used before, was 640 kB and ~0.5 s of the browser's one thread to load
// and draw a page's first chart: a page opened in a new tab took over a second.) This component
// owns one uPlot instance: made when its options or data change, sized to its container, with a
// tooltip beside the pointer and clicks told apart from drags (a drag zooms).

export const AXIS_COLOR = '#5b6474';
export const GRID_COLOR = '#e6e9ef';

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
  /** The tooltip's HTML for the pointer's position, or null for none (values from the page only). */
  tooltip?: (u: uPlot) => string | null;
  /** A click on the plot that was not a drag. */
  onClick?: (u: uPlot) => void;
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
      const html = hovering && left >= 0 ? live.current.tooltip?.(u) : null;
      if (!html) return hide();
      tipNode.innerHTML = html;
      tipNode.style.display = 'block';
      const x = u.over.offsetLeft + left;
      const w = tipNode.offsetWidth;
      const flip = x + 16 + w > node.clientWidth;
      tipNode.style.left = `${Math.max(0, flip ? x - 16 - w : x + 16)}px`;
      tipNode.style.top = `${headHeight + Math.max(0, (u.cursor.top ?? 0) - 20)}px`;
    };
    opts.hooks = { ...opts.hooks, setCursor: [...(opts.hooks?.setCursor ?? []), setCursor] };
    const u = new uPlot(opts, data, node);
    let downX = 0;
    const onDown = (e: MouseEvent) => {
      downX = e.clientX;
    };
    const onUp = (e: MouseEvent) => {
      if (Math.abs(e.clientX - downX) <= 3) live.current.onClick?.(u);
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
      ro.disconnect();
      live.current.onReady?.(null);
      u.destroy();
    };
  }, [options, data, plotHeight, headHeight]);

  return (
    <div className="chart plot" style={{ height }} role="img" aria-label={ariaLabel}>
      {head}
      <div ref={box} className="plot-area" title={title} />
      <div ref={tip} className="chart-tip" style={{ display: 'none' }} />
    </div>
  );
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

/** Tick labels for a time axis in seconds: ms for short spans, the date for long ones (UTC). */
export function timeLabels(span: number) {
  return (_u: uPlot, splits: number[]) =>
    splits.map((s) => {
      const iso = new Date(s * 1000).toISOString();
      if (span > 86400) return `${iso.slice(5, 10)}\n${iso.slice(11, 16)}`;
      return span < 10 ? iso.slice(11, 23) : iso.slice(11, 19);
    });
}

/** A time x axis for a span of `span` seconds. */
export function timeAxis(span: number, extra: uPlot.Axis = {}): uPlot.Axis {
  return axis({
    grid: { show: false },
    values: timeLabels(span),
    space: span > 86400 ? 70 : span < 10 ? 110 : 80,
    size: span > 86400 ? 42 : 30,
    ...extra,
  });
}

/** Zero to a round number above the data's maximum (1 when there is nothing). */
export const fromZero: uPlot.Scale.Range = (_u, _min, max) => {
  const top = Number.isFinite(max) && max > 0 ? max : 1;
  return [0, uPlot.rangeNum(0, top, 0.1, true)[1]];
};

/** Capture times are UTC everywhere. */
export const utc = (ts: number) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC');

export const stepped = uPlot.paths.stepped?.({ align: 1 });
