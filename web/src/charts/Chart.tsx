import type { ECharts, EChartsCoreOption } from 'echarts/core';
import { useEffect, useRef, useState } from 'react';
import { FONT } from './font';

// ECharts is most of the app's code and ~0.5 s of the browser's thread to load and first run: it is
// a chunk of its own (./echarts-setup), loaded when a page first draws one of its charts, or once the
// page opened first (the overview draws with uPlot) has gone quiet, so the next page finds it there.
type EChartsModule = typeof import('./echarts-setup');
let loaded: EChartsModule | null = null;
let loading: Promise<EChartsModule> | null = null;

function loadECharts(): Promise<EChartsModule> {
  loading ??= import('./echarts-setup').then((m) => {
    loaded = m;
    return m;
  });
  return loading;
}

/** Loads ECharts when the browser has nothing else to do (or after 3 s at the latest). */
export function loadEChartsWhenIdle(): void {
  if (loading) return;
  const start = () => void loadECharts();
  if ('requestIdleCallback' in window) window.requestIdleCallback(start, { timeout: 3000 });
  else setTimeout(start, 1000);
}

export type ChartOption = EChartsCoreOption;
export type ChartInstance = ECharts;

export interface ChartClick {
  seriesIndex?: number;
  seriesName?: string;
  dataIndex: number;
  data: unknown;
  componentType: string;
}

interface Props {
  option: ChartOption;
  height: number | string;
  /** Clicks on data items (points, bars, cells). */
  onClick?: (e: ChartClick) => void;
  /** Clicks anywhere on the plot area, as the x value under the pointer (for time axes). */
  onPlotClick?: (x: number) => void;
  /** Receives the instance after every option update (to dispatch zoom actions). */
  onReady?: (chart: ChartInstance) => void;
  ariaLabel: string;
}

/** An ECharts canvas that follows its container's size and replaces its option on change. */
export function Chart({ option, height, onClick, onPlotClick, onReady, ariaLabel }: Props) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<ChartInstance | null>(null);
  const handlers = useRef({ onClick, onPlotClick });
  handlers.current = { onClick, onPlotClick };
  const [lib, setLib] = useState<EChartsModule | null>(loaded);
  useEffect(() => {
    if (!lib) void loadECharts().then(setLib);
  }, [lib]);

  useEffect(() => {
    const node = el.current;
    if (!node || !lib) return;
    const c = lib.echarts.init(node, undefined, { renderer: 'canvas' });
    chart.current = c;
    c.on('click', (e) => handlers.current.onClick?.(e as unknown as ChartClick));
    c.getZr().on('click', (e) => {
      const cb = handlers.current.onPlotClick;
      if (!cb) return;
      const point = [e.offsetX, e.offsetY];
      if (!c.containPixel('grid', point)) return;
      const [x] = c.convertFromPixel('grid', point) as number[];
      if (Number.isFinite(x)) cb(x);
    });
    // The observer also reports the size the chart was just made at: redrawing for that would
    // draw every chart twice on the way in.
    const ro = new ResizeObserver(() => {
      if (node.clientWidth !== c.getWidth() || node.clientHeight !== c.getHeight()) c.resize();
    });
    ro.observe(node);
    return () => {
      ro.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, [lib]);

  useEffect(() => {
    const c = chart.current;
    if (!c || !lib) return;
    c.setOption({ textStyle: { fontFamily: FONT }, animation: false, ...option }, { notMerge: true });
    onReady?.(c);
  }, [option, onReady, lib]);

  return <div ref={el} className="chart" style={{ height }} role="img" aria-label={ariaLabel} />;
}
