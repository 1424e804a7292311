import { COLORS } from '../colors';
import { formatClock, formatTime } from '../format';

/** A UTC time axis for capture times given in milliseconds; labels show the date when needed. */
export function timeAxis(spanSeconds: number, extra: Record<string, unknown> = {}) {
  const withDate = spanSeconds > 86400;
  return {
    type: 'time',
    axisLine: { lineStyle: { color: COLORS.axis } },
    axisLabel: {
      color: COLORS.axis,
      hideOverlap: true,
      formatter: (ms: number) => {
        const iso = new Date(ms).toISOString();
        if (withDate) return `${iso.slice(5, 10)}\n${iso.slice(11, 16)}`;
        return spanSeconds < 10 ? formatClock(ms / 1000, 3) : formatClock(ms / 1000);
      },
    },
    splitLine: { show: false },
    ...extra,
  };
}

export function valueAxis(
  name: string,
  formatter: (v: number) => string,
  extra: Record<string, unknown> = {},
) {
  return {
    type: 'value',
    name,
    nameTextStyle: { color: COLORS.axis, align: 'left' },
    axisLabel: { color: COLORS.axis, formatter },
    splitLine: { lineStyle: { color: COLORS.grid } },
    ...extra,
  };
}

/** Zooming by wheel/drag on the plot and by a slider under it. */
export function timeZoom(xAxisIndex: number | number[] = 0) {
  return [
    { type: 'inside', xAxisIndex, filterMode: 'none' },
    { type: 'slider', xAxisIndex, height: 18, bottom: 8, filterMode: 'none', labelFormatter: '' },
  ];
}

/** Header line of a tooltip for a window starting at `startSec`. */
export function windowTitle(startSec: number, lengthS: number): string {
  return `${formatTime(startSec, lengthS < 1 ? 3 : 0)} (+${lengthS} s)`;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function dot(color: string): string {
  return `<span style="display:inline-block;width:9px;height:9px;border-radius:50%;background:${color};margin-right:6px"></span>`;
}

export const TOOLTIP_BASE = {
  confine: true,
  backgroundColor: 'rgba(255,255,255,0.97)',
  borderColor: '#cfd5df',
  textStyle: { color: '#1d2533', fontSize: 12 },
  extraCssText: 'box-shadow: 0 2px 8px rgba(20,30,50,0.12);',
};
