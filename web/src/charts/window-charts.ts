import type uPlot from 'uplot';
import {
  formatBitRate,
  formatByteRate,
  formatBytesAxis,
  formatCount,
  formatCountAxis,
  formatPercent,
  formatPerSecond,
} from '../../../src/format/index.js';
import type { Anomaly, TrafficWindow } from '../api/types';
import { COLORS, PROTOCOL_COLORS } from '../colors';
import { type Tip, type TipSpan, windowTitle } from './common';
import { clipToPlot, px } from './Plot';
import type { TimeChartSpec } from './TimeChart';

// Time charts of the session's windows (see TimeChart). x is every window's start and one closing point at
// the last window's end, so a step holds each window's value across its window; a point's index
// is its window's, the closing point standing for the last window.

export function windowTimes(rows: { start_ts: number }[], lengthS: number): Float64Array {
  const x = new Float64Array(rows.length + 1);
  for (let i = 0; i < rows.length; i++) x[i] = rows[i].start_ts;
  x[rows.length] = rows.length ? rows[rows.length - 1].start_ts + lengthS : 0;
  return x;
}

export function column<T>(rows: T[], value: (r: T) => number): Float64Array {
  const out = new Float64Array(rows.length + 1);
  for (let i = 0; i < rows.length; i++) out[i] = value(rows[i]);
  if (rows.length) out[rows.length] = out[rows.length - 1];
  return out;
}

/** Each layer's running sum over the layers before it (the bottom layer first): stacked bands. */
function stackedSums<T>(rows: T[], layers: readonly ((r: T) => number)[]): Float64Array[] {
  const sums: Float64Array[] = [];
  let below: Float64Array | null = null;
  for (const value of layers) {
    const own = column(rows, value);
    if (below) for (let i = 0; i < own.length; i++) own[i] += below[i];
    sums.push(own);
    below = own;
  }
  return sums;
}

/** `hex` at `alpha` over white, as an opaque colour: stacked layers are drawn over each other. */
function overWhite(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  const mix = (c: number) => Math.round(c * alpha + 255 * (1 - alpha));
  return `rgb(${mix(n >> 16)}, ${mix((n >> 8) & 255)}, ${mix(n & 255)})`;
}

const at = <T>(rows: T[], i: number): T | undefined => rows[Math.min(i, rows.length - 1)];

const LAYERS = [
  ['Other', 'other_count', PROTOCOL_COLORS.other],
  ['ICMP', 'icmp_count', PROTOCOL_COLORS.icmp],
  ['UDP', 'udp_count', PROTOCOL_COLORS.udp],
  ['TCP', 'tcp_count', PROTOCOL_COLORS.tcp],
] as const;

/**
 * Packets per window by transport, stacked from the smallest layers up (TCP, usually most of the
 * packets, on top): each layer is drawn as its running sum filled to zero, the tallest first, so
 * every band shows its own layer's count.
 */
export function protocolMixSpec(windows: TrafficWindow[], lengthS: number): TimeChartSpec {
  const sums = stackedSums(
    windows,
    LAYERS.map(
      ([, key]) =>
        (w: TrafficWindow) =>
          w[key],
    ),
  );
  const series = LAYERS.map(([label, , color], i) => ({
    label,
    color: overWhite(color, 0.85),
    fill: overWhite(color, 0.85),
    // A window narrower than a pixel has no area to fill: its edge, drawn, keeps the spike in view.
    width: 1,
    values: sums[i],
  })).reverse();
  return {
    x: windowTimes(windows, lengthS),
    series,
    left: { name: 'packets per window', format: formatCountAxis, whole: true },
    legend: [...LAYERS]
      .reverse()
      .map(([label, , color]) => ({ label, color: overWhite(color, 0.85), kind: 'area' as const })),
    tooltip: (i) => {
      const w = at(windows, i);
      if (!w) return [];
      const total = w.packet_count;
      const rows: TipSpan[][] = [...LAYERS].reverse().map(([label, key, color]) => {
        const n = w[key];
        return [
          { text: label, dot: overWhite(color, 0.85) },
          formatCount(n),
          formatPercent(total ? (n / total) * 100 : 0),
        ];
      });
      rows.push(['All packets', formatCount(total), '']);
      return [[{ text: windowTitle(w.start_ts, lengthS), bold: true }], { rows }];
    },
  };
}

/** Bytes per second (left axis, with its area) and packets per second (right axis). */
export function throughputSpec(windows: TrafficWindow[], lengthS: number): TimeChartSpec {
  return {
    x: windowTimes(windows, lengthS),
    series: [
      {
        label: 'Bytes/s',
        color: COLORS.bytes,
        fill: 'rgba(47, 111, 219, 0.12)',
        width: 1.4,
        values: column(windows, (w) => w.bytes_per_sec),
      },
      {
        label: 'Packets/s',
        color: COLORS.packets,
        width: 1.2,
        right: true,
        values: column(windows, (w) => w.packets_per_sec),
      },
    ],
    left: { name: 'bytes/s', format: formatBytesAxis },
    right: { name: 'packets/s', format: formatCountAxis },
    legend: [
      { label: 'Bytes/s', color: COLORS.bytes, kind: 'line' },
      { label: 'Packets/s', color: COLORS.packets, kind: 'line' },
    ],
    tooltip: (i) => {
      const w = at(windows, i);
      if (!w) return [];
      return [
        [{ text: windowTitle(w.start_ts, lengthS), bold: true }],
        {
          rows: [
            [
              { text: 'Bytes/s', dot: COLORS.bytes },
              formatByteRate(w.bytes_per_sec),
              formatBitRate(w.bytes_per_sec),
            ],
            [{ text: 'Packets/s', dot: COLORS.packets }, formatPerSecond(w.packets_per_sec), ''],
            ['In this window', formatBytesAxis(w.byte_count), `${formatCount(w.packet_count)} pkts`],
          ],
        },
      ];
    },
  };
}

/** Runs of consecutive anomalous windows as [first, last] window indexes into `anomalies`. */
export function anomalousRuns(anomalies: Anomaly[]): [number, number][] {
  const runs: [number, number][] = [];
  for (let i = 0; i < anomalies.length; i++) {
    if (!anomalies[i].is_anomaly) continue;
    const last = runs[runs.length - 1];
    if (last && last[1] === i - 1) last[1] = i;
    else runs.push([i, i]);
  }
  return runs;
}

/**
 * The anomaly score per window against its threshold (dashed), anomalous windows shaded with a dot
 * at their middle; a selected window (the anomalies page's) shaded blue with a ringed dot.
 */
export function scoreSpec(
  anomalies: Anomaly[],
  threshold: number,
  lengthS: number,
  selected: number | null = null,
): TimeChartSpec {
  const runs = anomalousRuns(anomalies);
  const flagged = anomalies.filter((a) => a.is_anomaly);
  const sel = selected === null ? undefined : anomalies.find((a) => a.window_id === selected);
  return {
    x: windowTimes(anomalies, lengthS),
    series: [{ label: 'Score', color: COLORS.score, width: 1.3, values: column(anomalies, (a) => a.score) }],
    left: { name: 'anomaly score', format: (v) => v.toFixed(1), range: [0, 1], step: 0.2 },
    legend: [
      { label: 'Score', color: COLORS.score, kind: 'line' },
      { label: `Threshold ${threshold}`, color: COLORS.threshold, kind: 'dash' },
      { label: 'Anomalous window', color: COLORS.anomaly, kind: 'dot' },
      ...(sel ? [{ label: `Window ${sel.window_id}`, color: '#2f6fdb', kind: 'dot' as const }] : []),
    ],
    under: (u: uPlot) => {
      const { ctx, bbox } = u;
      ctx.save();
      clipToPlot(u);
      ctx.fillStyle = COLORS.highlight;
      for (const [a, b] of runs) {
        const x0 = u.valToPos(anomalies[a].start_ts, 'x', true);
        const x1 = u.valToPos(anomalies[b].start_ts + lengthS, 'x', true);
        const l = Math.max(x0, bbox.left);
        const r = Math.min(x1, bbox.left + bbox.width);
        if (r > l) ctx.fillRect(l, bbox.top, Math.max(r - l, 1), bbox.height);
      }
      if (sel) {
        ctx.fillStyle = 'rgba(47, 111, 219, 0.22)';
        const x0 = u.valToPos(sel.start_ts, 'x', true);
        const x1 = u.valToPos(sel.start_ts + lengthS, 'x', true);
        ctx.fillRect(x0, bbox.top, Math.max(x1 - x0, px(2)), bbox.height);
      }
      ctx.restore();
    },
    over: (u: uPlot) => {
      const { ctx, bbox } = u;
      ctx.save();
      clipToPlot(u);
      const y = u.valToPos(threshold, 'y', true);
      ctx.strokeStyle = COLORS.threshold;
      ctx.lineWidth = px(1.2);
      ctx.setLineDash([px(5), px(4)]);
      ctx.beginPath();
      ctx.moveTo(bbox.left, y);
      ctx.lineTo(bbox.left + bbox.width, y);
      ctx.stroke();
      ctx.setLineDash([]);
      // Dots at the middle of each anomalous window in view, on its step.
      ctx.fillStyle = COLORS.anomaly;
      const [lo, hi] = [u.scales.x.min ?? -Infinity, u.scales.x.max ?? Infinity];
      const r = px(3);
      for (const a of flagged) {
        const mid = a.start_ts + lengthS / 2;
        if (mid < lo || mid > hi) continue;
        ctx.beginPath();
        ctx.arc(u.valToPos(mid, 'x', true), u.valToPos(a.score, 'y', true), r, 0, 2 * Math.PI);
        ctx.fill();
      }
      if (sel) {
        ctx.beginPath();
        const mid = sel.start_ts + lengthS / 2;
        ctx.arc(u.valToPos(mid, 'x', true), u.valToPos(sel.score, 'y', true), px(6), 0, 2 * Math.PI);
        ctx.fillStyle = '#2f6fdb';
        ctx.strokeStyle = '#fff';
        ctx.lineWidth = px(2);
        ctx.fill();
        ctx.stroke();
      }
      ctx.restore();
    },
    tooltip: (i) => {
      const a = at(anomalies, i);
      if (!a) return [];
      // The overview loads scores only; the anomalies page has the reasons too.
      const top = (a.contributing_features ?? [])
        .slice(0, 3)
        .map(
          (f) =>
            `${f.feature.replace(/_/g, ' ')} ${f.direction === 'higher' ? '↑' : '↓'} ${formatPercent(f.share * 100, 0)}`,
        );
      const score: TipSpan[] = [`Window ${a.window_id}: score `, { text: a.score.toFixed(3), bold: true }];
      if (a.is_anomaly) score.push(' ', { text: 'anomalous', color: '#d1342f' });
      const why: Tip = (top.length ? top : ['Click to see why']).map((t) => [{ text: t, color: '#5b6474' }]);
      return [[{ text: windowTitle(a.start_ts, lengthS), bold: true }], score, ...why];
    },
  };
}

/** The window (by start time) under a time axis position in seconds. */
export function windowAt<T extends { start_ts: number }>(
  rows: T[],
  lengthS: number,
  sec: number,
): T | undefined {
  let lo = 0;
  let hi = rows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid].start_ts <= sec) lo = mid + 1;
    else hi = mid - 1;
  }
  const r = rows[hi];
  return r && sec < r.start_ts + lengthS ? r : undefined;
}

const DIRECTION_LAYERS = [
  ['Inbound', 'inbound_bytes', COLORS.inbound],
  ['Outbound', 'outbound_bytes', COLORS.outbound],
  ['Internal', 'internal_bytes', COLORS.internal],
  ['External', 'external_bytes', COLORS.external],
] as const;

/**
 * Bytes per second by direction, stacked (inbound at the bottom), as the protocol mix is; null when
 * the windows carry no direction counters.
 */
export function directionSpec(windows: TrafficWindow[], lengthS: number): TimeChartSpec | null {
  if (windows.length === 0 || windows[0].inbound_bytes === undefined) return null;
  const rate = (w: TrafficWindow, key: (typeof DIRECTION_LAYERS)[number][1]) => (w[key] ?? 0) / lengthS;
  const sums = stackedSums(
    windows,
    DIRECTION_LAYERS.map(
      ([, key]) =>
        (w: TrafficWindow) =>
          rate(w, key),
    ),
  );
  const colour = (c: string) => overWhite(c, 0.7);
  return {
    x: windowTimes(windows, lengthS),
    series: DIRECTION_LAYERS.map(([label, , color], i) => ({
      label,
      color: colour(color),
      fill: colour(color),
      width: 1,
      values: sums[i],
    })).reverse(),
    left: { name: 'bytes/s', format: formatBytesAxis },
    legend: DIRECTION_LAYERS.map(([label, , color]) => ({
      label,
      color: colour(color),
      kind: 'area' as const,
    })),
    tooltip: (i) => {
      const w = at(windows, i);
      if (!w) return [];
      const rows: TipSpan[][] = DIRECTION_LAYERS.map(([label, key, color]) => [
        { text: label, dot: colour(color) },
        formatByteRate(rate(w, key)),
      ]);
      return [[{ text: windowTitle(w.start_ts, lengthS), bold: true }], { rows }];
    },
  };
}
