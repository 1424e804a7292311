/**
 * The throughput heatmap's grid, chosen from the capture's window length L and time span.
 *
 * Rule: each row is a natural span of time (a minute, an hour, a day, a week) read left to right,
 * rows top to bottom, both aligned to UTC. The pairs (cell, row) are tried from the finest:
 *
 *   1 s × 1 min, 2 s × 2 min, 5 s × 5 min, 10 s × 10 min, 30 s × 30 min, 1 min × 1 h,
 *   15 min × 1 h, 1 h × 1 day, 1 day × 1 week
 *
 * and the first one whose cell is at least L (a cell can never be finer than the data) and which
 * needs at most 24 rows (what fits the page at a readable height) is used; the weekly grid takes any
 * number of rows. So a 95-second capture with 1 s windows is seconds × minutes (2 rows of 60), a
 * 30-minute one with 2 s windows is 15 rows of 2 minutes, and a day with its automatic 120 s windows
 * is the seed's 96 quarter-hours, 24 rows of hours × 4.
 *
 * A cell's value is its mean throughput in bytes per second over the part of it the capture covers.
 * Windows that straddle a cell boundary (L need not divide the cell: 120 s windows in 15-minute
 * cells) are split between the two cells in proportion to their overlap. Cells outside the capture
 * have no value (drawn empty), which is different from captured silence (0 B/s).
 */

export interface HeatmapWindow {
  start_ts: number;
  end_ts: number;
  byte_count: number;
  packet_count: number;
}

export interface HeatmapLayout {
  /** Seconds per cell. */
  cell: number;
  /** Seconds per row. */
  row: number;
  columns: number;
  rows: number;
  /** Start (epoch seconds) of the first row. */
  origin: number;
}

export interface HeatmapCell {
  column: number;
  row: number;
  start: number;
  end: number;
  /** Mean bytes per second over `covered` seconds; null when the capture does not cover the cell. */
  bytesPerSec: number | null;
  bytes: number;
  packets: number;
  covered: number;
}

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86400;
const WEEK = 7 * DAY;
/** 1970-01-05 was a Monday: weekly rows start on Mondays. */
const MONDAY = 4 * DAY;

export const HEATMAP_LADDER: readonly (readonly [number, number])[] = [
  [1, MINUTE],
  [2, 2 * MINUTE],
  [5, 5 * MINUTE],
  [10, 10 * MINUTE],
  [30, 30 * MINUTE],
  [MINUTE, HOUR],
  [15 * MINUTE, HOUR],
  [HOUR, DAY],
  [DAY, WEEK],
];

export const HEATMAP_MAX_ROWS = 24;

function rowOrigin(t: number, row: number): number {
  const shift = row === WEEK ? MONDAY : 0;
  return Math.floor((t - shift) / row) * row + shift;
}

/** Picks the grid for a capture spanning [start, end) in windows of `windowLength` seconds. */
export function heatmapLayout(windowLength: number, start: number, end: number): HeatmapLayout {
  for (let i = 0; i < HEATMAP_LADDER.length; i++) {
    const [cell, row] = HEATMAP_LADDER[i];
    if (cell < windowLength && i < HEATMAP_LADDER.length - 1) continue;
    const origin = rowOrigin(start, row);
    // Relative tolerance: epoch seconds leave no room for an absolute epsilon.
    const rows = Math.max(1, Math.ceil((end - origin) / row - 1e-9));
    if (rows <= HEATMAP_MAX_ROWS || i === HEATMAP_LADDER.length - 1) {
      return { cell, row, columns: row / cell, rows, origin };
    }
  }
  throw new Error('unreachable');
}

/** The grid's cells with each window's bytes and packets spread over the cells it overlaps. */
export function heatmapCells(layout: HeatmapLayout, windows: readonly HeatmapWindow[]): HeatmapCell[] {
  const { cell, row, columns, rows, origin } = layout;
  const n = columns * rows;
  const bytes = new Float64Array(n);
  const packets = new Float64Array(n);
  const covered = new Float64Array(n);
  for (const w of windows) {
    const len = w.end_ts - w.start_ts;
    if (!(len > 0)) continue;
    let t = w.start_ts;
    while (t < w.end_ts - 1e-9) {
      const idx = Math.floor((t - origin) / cell + 1e-9);
      const cellEnd = origin + (idx + 1) * cell;
      const until = Math.min(w.end_ts, cellEnd);
      if (idx >= 0 && idx < n) {
        const part = (until - t) / len;
        bytes[idx] += w.byte_count * part;
        packets[idx] += w.packet_count * part;
        covered[idx] += until - t;
      }
      t = until;
    }
  }
  const out: HeatmapCell[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      const idx = r * columns + c;
      const start = origin + r * row + c * cell;
      const cov = covered[idx];
      out.push({
        column: c,
        row: r,
        start,
        end: start + cell,
        bytesPerSec: cov > 1e-9 ? bytes[idx] / cov : null,
        bytes: bytes[idx],
        packets: packets[idx],
        covered: cov,
      });
    }
  }
  return out;
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Label of a column: the cell's offset within its row, in the row's natural unit. */
export function heatmapColumnLabel(layout: HeatmapLayout, column: number): string {
  const offset = column * layout.cell;
  switch (layout.row) {
    case MINUTE:
      return `:${two(offset)}`;
    case HOUR:
      return `:${two(offset / MINUTE)}`;
    case DAY:
      return `${two(offset / HOUR)}:00`;
    case WEEK:
      return ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][offset / DAY] ?? String(column);
    default:
      return `+${Math.floor(offset / MINUTE)}:${two(offset % MINUTE)}`;
  }
}

/** Label of a row: its UTC start, as precise as the row needs. */
export function heatmapRowLabel(layout: HeatmapLayout, row: number, withDate: boolean): string {
  const iso = new Date((layout.origin + row * layout.row) * 1000).toISOString();
  if (layout.row >= DAY) return layout.row === WEEK ? `week of ${iso.slice(0, 10)}` : iso.slice(0, 10);
  const clock = iso.slice(11, 16);
  return withDate ? `${iso.slice(5, 10)} ${clock}` : clock;
}

/** Human names of the cell and row: "1 s", "1 min", "15 min", "1 h", "1 day", "1 week". */
export function spanName(seconds: number): string {
  if (seconds < MINUTE) return `${seconds} s`;
  if (seconds < HOUR) return `${seconds / MINUTE} min`;
  if (seconds < DAY) return `${seconds / HOUR} h`;
  if (seconds < WEEK) return seconds === DAY ? '1 day' : `${seconds / DAY} days`;
  return '1 week';
}
