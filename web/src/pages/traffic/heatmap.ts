/**
 * The throughput heatmap's grid, chosen from the capture's window length L and time span.
 *
 * Rule: each row is a natural span of time (a minute, an hour, a day, a week) read left to right,
 * rows top to bottom, both aligned to UTC. The pairs (cell, row) are tried from the finest:
 *
 *   10 ms × 1 s, 100 ms × 10 s, 1 s × 1 min, 2 s × 2 min, 5 s × 5 min, 10 s × 10 min,
 *   30 s × 30 min, 1 min × 1 h, 15 min × 1 h, 1 h × 1 day, 1 day × 1 week
 *
 * and the first one whose cell is at least L (a cell can never be finer than the data) and which
 * needs at most 24 rows (what fits the page at a readable height) is used; the weekly grid takes any
 * number of rows. So a 95-second capture with 1 s windows is seconds × minutes (2 rows of 60), a
 * 30-minute one with 2 s windows is 15 rows of 2 minutes, and a day with its automatic 120 s windows
 * is the seed's 96 quarter-hours, 24 rows of hours × 4; a 6-second capture in 6.5 ms windows is
 * 7 or 8 rows of one second in 10 ms cells. When the capture fits in one row, only the columns from its
 * first to its last cell are drawn.
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
  /** The first column drawn (more than 0 when a single row is cropped to the capture). */
  firstColumn: number;
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
  [0.01, 1],
  [0.1, 10],
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
      const columns = Math.round(row / cell);
      if (rows > 1) return { cell, row, columns, rows, origin, firstColumn: 0 };
      // One row: draw only the columns the capture covers.
      const first = Math.max(0, Math.floor((start - origin) / cell + 1e-9));
      const last = Math.min(columns - 1, Math.max(first, Math.ceil((end - origin) / cell - 1e-9) - 1));
      return { cell, row, columns: last - first + 1, rows, origin, firstColumn: first };
    }
  }
  throw new Error('unreachable');
}

/** The grid's cells with each window's bytes and packets spread over the cells it overlaps. */
export function heatmapCells(layout: HeatmapLayout, windows: readonly HeatmapWindow[]): HeatmapCell[] {
  const { cell, row, columns, rows, origin, firstColumn } = layout;
  const perRow = Math.round(row / cell);
  const n = columns * rows;
  const bytes = new Float64Array(n);
  const packets = new Float64Array(n);
  const covered = new Float64Array(n);
  for (const w of windows) {
    const len = w.end_ts - w.start_ts;
    if (!(len > 0)) continue;
    // Offsets from the grid's origin: small numbers keep their precision (epoch seconds do not).
    const s = w.start_ts - origin;
    const e = w.end_ts - origin;
    const k1 = Math.ceil(e / cell) - 1;
    for (let k = Math.max(0, Math.floor(s / cell)); k <= k1; k++) {
      const part = Math.min(e, (k + 1) * cell) - Math.max(s, k * cell);
      if (!(part > 0)) continue;
      const r = Math.floor(k / perRow);
      const c = k - r * perRow - firstColumn;
      if (r >= rows || c < 0 || c >= columns) continue;
      const idx = r * columns + c;
      bytes[idx] += (w.byte_count * part) / len;
      packets[idx] += (w.packet_count * part) / len;
      covered[idx] += part;
    }
  }
  const out: HeatmapCell[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      const idx = r * columns + c;
      const start = origin + r * row + (c + firstColumn) * cell;
      const cov = covered[idx];
      out.push({
        column: c,
        row: r,
        start,
        end: start + cell,
        // A sliver from rounding at the capture's edge does not make a cell "captured".
        bytesPerSec: cov > cell * 1e-3 ? bytes[idx] / cov : null,
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
  const offset = (column + layout.firstColumn) * layout.cell;
  if (layout.row < MINUTE) return `+${offset.toFixed(layout.cell < 0.1 ? 2 : 1)}s`;
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
  const clock = layout.row < MINUTE ? iso.slice(11, 19) : iso.slice(11, 16);
  return withDate ? `${iso.slice(5, 10)} ${clock}` : clock;
}

/** Human names of the cell and row: "1 s", "1 min", "15 min", "1 h", "1 day", "1 week". */
export function spanName(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < MINUTE) return `${seconds} s`;
  if (seconds < HOUR) return `${seconds / MINUTE} min`;
  if (seconds < DAY) return `${seconds / HOUR} h`;
  if (seconds < WEEK) return seconds === DAY ? '1 day' : `${seconds / DAY} days`;
  return '1 week';
}
