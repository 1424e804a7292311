import { useCallback, useMemo } from 'react';
import type uPlot from 'uplot';
import {
  formatBitRate,
  formatByteRate,
  formatBytes,
  formatCount,
  formatTimeRange,
} from '../../../../src/format/index.js';
import type { Tip } from '../../charts/common';
import { axis, Plot, px } from '../../charts/Plot';
import { HEAT_RAMP } from '../../colors';
import type { HeatmapCell, HeatmapLayout } from './heatmap';

// The throughput heatmap: a grid of cells (columns within a row of time, rows top to bottom), each
// coloured by its mean bytes per second on a log scale; cells outside the capture are left empty.
// A colour bar under the grid gives the scale; the tooltip the cell's exact figures.

interface Props {
  layout: HeatmapLayout;
  cells: HeatmapCell[];
  rowLabels: string[];
  colLabels: string[];
  height: number;
  labelWidth: number;
}

/** Colour on a log scale: throughput is heavy-tailed, and a linear ramp leaves all but the busiest cells pale. */
const heat = (v: number) => Math.log10(1 + v);

function rgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [n >> 16, (n >> 8) & 255, n & 255];
}
const RAMP = HEAT_RAMP.map(rgb);

/** The ramp's colour at t in [0, 1]. */
function rampColor(t: number): string {
  const x = Math.min(Math.max(t, 0), 1) * (RAMP.length - 1);
  const i = Math.min(Math.floor(x), RAMP.length - 2);
  const f = x - i;
  const [a, b] = [RAMP[i], RAMP[i + 1]];
  const c = (k: number) => Math.round(a[k] + (b[k] - a[k]) * f);
  return `rgb(${c(0)}, ${c(1)}, ${c(2)})`;
}

const LEGEND_HEIGHT = 40;

/** Cells outside the capture: a faint hatch, so they do not read as 0 B/s (the ramp's lightest). */
function outsidePattern(ctx: CanvasRenderingContext2D): CanvasPattern | string {
  const size = px(6);
  const c = document.createElement('canvas');
  c.width = size;
  c.height = size;
  const g = c.getContext('2d');
  if (!g) return '#f3f4f7';
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, size, size);
  g.strokeStyle = '#d3d8e0';
  g.lineWidth = px(1);
  g.beginPath();
  g.moveTo(0, size);
  g.lineTo(size, 0);
  g.stroke();
  return ctx.createPattern(c, 'repeat') ?? '#f3f4f7';
}

export function HeatmapChart({ layout, cells, rowLabels, colLabels, height, labelWidth }: Props) {
  const max = useMemo(() => Math.max(0, ...cells.map((c) => c.bytesPerSec ?? 0)), [cells]);
  const top = max > 0 ? heat(max) : 1;
  const data = useMemo(
    () =>
      [
        Float64Array.from(colLabels, (_, i) => i),
        new Float64Array(colLabels.length).fill(Number.NaN),
      ] as uPlot.AlignedData,
    [colLabels],
  );
  const cellAt = (u: uPlot): HeatmapCell | undefined => {
    const left = u.cursor.left ?? -1;
    const y = u.cursor.top ?? -1;
    if (left < 0 || y < 0) return undefined;
    const c = Math.round(u.posToVal(left, 'x'));
    const r = Math.round(u.posToVal(y, 'y'));
    if (c < 0 || c >= layout.columns || r < 0 || r >= layout.rows) return undefined;
    return cells[r * layout.columns + c];
  };
  const options = useCallback(
    (width: number, h: number): uPlot.Options => ({
      width,
      height: h,
      legend: { show: false },
      padding: [4, 16, 0, 0],
      cursor: { drag: { x: false, y: false }, x: false, y: false, points: { show: false } },
      scales: {
        x: { time: false, range: [-0.5, layout.columns - 0.5] },
        y: { range: [-0.5, layout.rows - 0.5], dir: -1, ori: 1 },
      },
      axes: [
        axis({
          grid: { show: false },
          ticks: { show: false },
          // As many column labels as fit, 44 px apart at least.
          splits: (u) => {
            const step = Math.max(1, Math.ceil((44 * layout.columns) / Math.max(u.bbox.width / px(1), 1)));
            const out: number[] = [];
            for (let c = 0; c < layout.columns; c += step) out.push(c);
            return out;
          },
          values: (_u, s) => s.map((c) => colLabels[c] ?? ''),
          size: 24,
        }),
        axis({
          grid: { show: false },
          ticks: { show: false },
          splits: (u) => {
            const rowPx = u.bbox.height / px(1) / layout.rows;
            const step = Math.max(1, Math.ceil(14 / rowPx));
            const out: number[] = [];
            for (let r = 0; r < layout.rows; r += step) out.push(r);
            return out;
          },
          values: (_u, s) => s.map((r) => rowLabels[r] ?? ''),
          size: labelWidth,
        }),
      ],
      series: [{}, { paths: () => null, points: { show: false } }],
      hooks: {
        draw: [
          (u) => {
            const { ctx } = u;
            const gap = px(layout.columns > 30 ? 0.5 : 1.5);
            const x0 = u.valToPos(-0.5, 'x', true);
            const w = (u.valToPos(layout.columns - 0.5, 'x', true) - x0) / layout.columns;
            const y0 = u.valToPos(-0.5, 'y', true);
            const hgt = (u.valToPos(layout.rows - 0.5, 'y', true) - y0) / layout.rows;
            ctx.save();
            const outside = outsidePattern(ctx);
            for (const c of cells) {
              ctx.fillStyle = c.bytesPerSec === null ? outside : rampColor(heat(c.bytesPerSec) / top);
              ctx.fillRect(
                x0 + c.column * w + gap / 2,
                y0 + c.row * hgt + gap / 2,
                Math.max(w - gap, 1),
                Math.max(hgt - gap, 1),
              );
            }
            ctx.restore();
          },
        ],
      },
    }),
    [layout, cells, rowLabels, colLabels, labelWidth, top],
  );
  const gradient = `linear-gradient(to right, ${HEAT_RAMP.join(', ')})`;
  return (
    <div className="heatmap">
      <Plot
        options={options}
        data={data}
        height={height - LEGEND_HEIGHT}
        ariaLabel="Throughput heatmap"
        tooltip={(u) => {
          const c = cellAt(u);
          if (!c) return null;
          const head: Tip = [
            [{ text: formatTimeRange(c.start, c.end, layout.cell < 1 ? 3 : 0), bold: true }],
          ];
          if (c.bytesPerSec === null) return [...head, ['not in the capture']];
          const tip: Tip = [
            ...head,
            [`${formatByteRate(c.bytesPerSec)} · ${formatBitRate(c.bytesPerSec)}`],
            [`${formatBytes(Math.round(c.bytes))} in ${formatCount(c.packets)} packets`],
          ];
          if (c.covered + 1e-9 < layout.cell)
            tip.push([`(capture covers ${c.covered.toFixed(c.covered < 10 ? 1 : 0)} s of it)`]);
          return tip;
        }}
      />
      <div className="heat-scale" style={{ height: LEGEND_HEIGHT }}>
        <span>0 B/s</span>
        <span className="heat-bar" style={{ background: gradient }} />
        <span>{formatByteRate(max)}</span>
        <span className="muted">(log scale)</span>
        <span className="heat-outside" />
        <span className="muted">outside the capture</span>
      </div>
    </div>
  );
}
