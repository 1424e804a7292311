import { useCallback, useMemo } from 'react';
import uPlot from 'uplot';
import { formatCount, formatCountAxis, formatPercent } from '../../../src/format/index.js';
import { bucketLabels } from './bucket-labels';
import { FONT } from './font';
import { AXIS_COLOR, axis, FONT_SMALL, fromZero, Plot, px, WHOLE_STEPS } from './Plot';

// A histogram over named buckets (packet sizes, flow durations): one bar per bucket in order, its
// share of the whole above it, the bucket's range and count in the tooltip.

export interface BarRow {
  label: string;
  range: string;
  count: number;
}

interface Props {
  rows: BarRow[];
  /** Under the buckets. */
  xName: string;
  /** What is counted ("packets"): the value axis' name and the tooltip's. */
  unit: string;
  color: string;
  height: number;
  ariaLabel: string;
}

const HEAD_HEIGHT = 20;

export function BarChart({ rows, xName, unit, color, height, ariaLabel }: Props) {
  const total = useMemo(() => rows.reduce((s, r) => s + r.count, 0), [rows]);
  const data = useMemo(
    () =>
      [Float64Array.from(rows, (_, i) => i), Float64Array.from(rows, (r) => r.count)] as uPlot.AlignedData,
    [rows],
  );
  const share = useCallback((n: number) => formatPercent(total ? (n / total) * 100 : 0), [total]);
  const options = useCallback(
    (width: number, h: number): uPlot.Options => {
      const labels = bucketLabels(
        rows.map((r) => r.label),
        (width - 56 - 16) / Math.max(rows.length, 1),
      );
      return {
        width,
        height: h,
        legend: { show: false },
        padding: [18, 16, 0, 0],
        cursor: { drag: { x: false, y: false }, y: false, points: { show: false } },
        scales: {
          x: { time: false, range: [-0.5, rows.length - 0.5] },
          y: { range: fromZero },
        },
        axes: [
          axis({
            grid: { show: false },
            splits: () => rows.map((_, i) => i),
            values: (_u, s) => s.map((i) => labels[i] ?? ''),
            size: labels.some((l) => l.includes('\n')) ? 40 : 28,
            label: xName,
            labelSize: 18,
            labelGap: 4,
            labelFont: FONT_SMALL,
          }),
          axis({ values: (_u, s) => s.map(formatCountAxis), size: 56, incrs: WHOLE_STEPS }),
        ],
        series: [
          {},
          {
            label: unit,
            fill: color,
            stroke: color,
            width: 0,
            paths: uPlot.paths.bars?.({ size: [0.7, 56] }),
            points: { show: false },
          },
        ],
        hooks: {
          draw: [
            (u) => {
              // Each bar's share above it (none for an empty bucket).
              const { ctx } = u;
              ctx.save();
              ctx.font = `${px(11)}px ${FONT}`;
              ctx.fillStyle = AXIS_COLOR;
              ctx.textAlign = 'center';
              ctx.textBaseline = 'bottom';
              // A share that would run into the one drawn before it is left to the tooltip (a phone).
              let right = -Infinity;
              rows.forEach((r, i) => {
                if (!r.count) return;
                const text = share(r.count);
                const x = u.valToPos(i, 'x', true);
                const half = ctx.measureText(text).width / 2;
                if (x - half < right + px(3)) return;
                right = x + half;
                ctx.fillText(text, x, u.valToPos(r.count, 'y', true) - px(3));
              });
              ctx.restore();
            },
          ],
        },
      };
    },
    [rows, xName, unit, color, share],
  );
  return (
    <Plot
      options={options}
      data={data}
      height={height}
      headHeight={HEAD_HEIGHT}
      head={
        <div className="time-chart-head" style={{ height: HEAD_HEIGHT }}>
          <span className="time-chart-axis">{unit}</span>
        </div>
      }
      ariaLabel={ariaLabel}
      tooltip={(u) => {
        const i = u.cursor.idx;
        const r = i === null || i === undefined ? undefined : rows[i];
        return r
          ? [[{ text: r.range, bold: true }], [`${formatCount(r.count)} ${unit} (${share(r.count)})`]]
          : null;
      }}
    />
  );
}
