import { formatTime } from '../../../src/format/index.js';

/** Header line of a tooltip for a window starting at `startSec`. */
export function windowTitle(startSec: number, lengthS: number): string {
  return `${formatTime(startSec, lengthS < 1 ? 3 : 0)} (+${lengthS} s)`;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A coloured dot before a tooltip's row. */
export function dot(color: string): string {
  return `<span style="display:inline-block;width:9px;height:9px;border-radius:50%;background:${color};margin-right:6px"></span>`;
}
