import { BarChart, HeatmapChart, LineChart, ScatterChart } from 'echarts/charts';
import {
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  MarkAreaComponent,
  MarkLineComponent,
  TooltipComponent,
  VisualMapComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';

// Only what the pages draw: lines and areas, bars, scatter markers and a heatmap, on a canvas.
echarts.use([
  LineChart,
  BarChart,
  ScatterChart,
  HeatmapChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  DataZoomComponent,
  MarkLineComponent,
  MarkAreaComponent,
  VisualMapComponent,
  CanvasRenderer,
]);

export type ChartOption = echarts.EChartsCoreOption;
export type ChartInstance = echarts.ECharts;

export interface ChartClick {
  seriesIndex?: number;
  seriesName?: string;
  dataIndex: number;
  data: unknown;
  componentType: string;
}

export const FONT =
  'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "Liberation Sans", Arial, sans-serif';

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

  useEffect(() => {
    const node = el.current;
    if (!node) return;
    const c = echarts.init(node, undefined, { renderer: 'canvas' });
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
    const ro = new ResizeObserver(() => c.resize());
    ro.observe(node);
    return () => {
      ro.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    c.setOption({ textStyle: { fontFamily: FONT }, animation: false, ...option }, { notMerge: true });
    onReady?.(c);
  }, [option, onReady]);

  return <div ref={el} className="chart" style={{ height }} role="img" aria-label={ariaLabel} />;
}
