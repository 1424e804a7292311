import { useMemo } from 'react';
import { formatCount } from '../../../../src/format/index.js';
import type { TrafficWindow } from '../../api/types';
import { HeatmapChart } from './HeatmapChart';
import { heatmapCells, heatmapColumnLabel, heatmapLayout, heatmapRowLabel, spanName } from './heatmap';

/** The throughput heatmap of the session's windows, on the grid heatmap.ts chooses, with its legend line. */
export function HeatmapCard({ windows, lengthS }: { windows: TrafficWindow[]; lengthS: number }) {
  const model = useMemo(() => {
    if (windows.length === 0) return null;
    const start = windows[0].start_ts;
    const end = windows[windows.length - 1].end_ts ?? windows[windows.length - 1].start_ts + lengthS;
    const layout = heatmapLayout(lengthS, start, end);
    const cells = heatmapCells(layout, windows);
    const withDate =
      new Date(start * 1000).toISOString().slice(0, 10) !== new Date(end * 1000).toISOString().slice(0, 10);
    const rowLabels = Array.from({ length: layout.rows }, (_, r) => heatmapRowLabel(layout, r, withDate));
    const colLabels = Array.from({ length: layout.columns }, (_, c) => heatmapColumnLabel(layout, c));
    const rowH = layout.rows <= 3 ? 40 : layout.rows <= 8 ? 30 : layout.rows <= 16 ? 22 : 17;
    const height = layout.rows * rowH + 70;
    return { layout, cells, rowLabels, colLabels, height, labelWidth: withDate ? 96 : 60 };
  }, [windows, lengthS]);
  if (!model) return null;
  const { layout } = model;
  return (
    <>
      <p className="card-sub heat-sub">
        Mean bytes per second in each {spanName(layout.cell)} cell (colour on a log scale); one row per{' '}
        {spanName(layout.row)} (UTC), {formatCount(layout.rows)} {layout.rows === 1 ? 'row' : 'rows'} ×{' '}
        {formatCount(layout.columns)}. Hatched cells are outside the capture.
      </p>
      <HeatmapChart {...model} />
    </>
  );
}
