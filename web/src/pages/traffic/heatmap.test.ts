import { describe, expect, it } from 'vitest';
import { heatmapCells, heatmapColumnLabel, heatmapLayout, heatmapRowLabel, spanName } from './heatmap.js';

describe('throughput heatmap grid', () => {
  const DAY0 = Date.UTC(2024, 2, 11) / 1000; // a Monday, 00:00 UTC

  it('a day in 120 s windows is the seed’s 96 quarter-hours, 24 rows × 4', () => {
    const l = heatmapLayout(120, DAY0, DAY0 + 86_400);
    expect(l).toMatchObject({ cell: 900, row: 3600, columns: 4, rows: 24, origin: DAY0 });
    expect(heatmapColumnLabel(l, 3)).toBe(':45');
    expect(heatmapRowLabel(l, 13, false)).toBe('13:00');
  });

  it('a short capture is seconds × minutes', () => {
    const start = DAY0 + 3600 + 20.5;
    const l = heatmapLayout(1, start, start + 95.6);
    expect(l).toMatchObject({ cell: 1, row: 60, columns: 60, rows: 2, origin: DAY0 + 3600 });
    expect(heatmapColumnLabel(l, 7)).toBe(':07');
    expect(heatmapRowLabel(l, 1, false)).toBe('01:01');
  });

  it('picks the finest grid that the window length allows and fits 24 rows', () => {
    expect(heatmapLayout(2, DAY0, DAY0 + 1800)).toMatchObject({ cell: 2, row: 120, rows: 15 });
    expect(heatmapLayout(10, DAY0, DAY0 + 7200)).toMatchObject({ cell: 10, row: 600, rows: 12 });
    expect(heatmapLayout(60, DAY0, DAY0 + 43_200)).toMatchObject({ cell: 60, row: 3600, rows: 12 });
    expect(heatmapLayout(300, DAY0, DAY0 + 3 * 86_400)).toMatchObject({ cell: 3600, row: 86_400, rows: 3 });
    const week = heatmapLayout(900, DAY0 + 3600, DAY0 + 6 * 86_400);
    expect(week).toMatchObject({ cell: 3600, row: 86_400, rows: 6 });
    const long = heatmapLayout(3600, DAY0, DAY0 + 60 * 86_400);
    expect(long).toMatchObject({ cell: 86_400, row: 7 * 86_400, columns: 7, origin: DAY0 });
    expect(heatmapColumnLabel(long, 0)).toBe('Mon');
    expect(heatmapRowLabel(long, 1, false)).toBe('week of 2024-03-18');
    expect(spanName(900)).toBe('15 min');
    expect(spanName(86_400)).toBe('1 day');
  });

  it('spreads windows over cells by overlap and leaves uncovered cells empty', () => {
    const l = heatmapLayout(120, DAY0, DAY0 + 86_400);
    // Window [840, 960) straddles the first two 15-minute cells: half of it goes to each.
    const cells = heatmapCells(l, [
      { start_ts: DAY0 + 840, end_ts: DAY0 + 960, byte_count: 1200, packet_count: 10 },
    ]);
    expect(cells).toHaveLength(96);
    expect(cells[0].bytes).toBeCloseTo(600);
    expect(cells[1].bytes).toBeCloseTo(600);
    expect(cells[0].covered).toBeCloseTo(60);
    expect(cells[0].bytesPerSec).toBeCloseTo(10);
    expect(cells[2].bytesPerSec).toBeNull();
    const sum = cells.reduce((s, c) => s + c.bytes, 0);
    expect(sum).toBeCloseTo(1200);
  });

  it('keeps silence (0 B/s) apart from time outside the capture', () => {
    const start = DAY0 + 10;
    const l = heatmapLayout(1, start, start + 3);
    const cells = heatmapCells(l, [
      { start_ts: start, end_ts: start + 1, byte_count: 500, packet_count: 5 },
      { start_ts: start + 1, end_ts: start + 2, byte_count: 0, packet_count: 0 },
      { start_ts: start + 2, end_ts: start + 3, byte_count: 100, packet_count: 1 },
    ]);
    // One row only: cropped to the three seconds the capture covers, labelled by their offset.
    expect(l).toMatchObject({ cell: 1, row: 60, rows: 1, columns: 3, firstColumn: 10 });
    expect(cells.map((c) => c.bytesPerSec)).toEqual([500, 0, 100]);
    expect(heatmapColumnLabel(l, 0)).toBe(':10');
    const wide = heatmapLayout(1, DAY0 + 10, DAY0 + 75);
    const wideCells = heatmapCells(wide, [
      { start_ts: DAY0 + 10, end_ts: DAY0 + 11, byte_count: 1, packet_count: 1 },
    ]);
    expect(wideCells[9].bytesPerSec).toBeNull();
    expect(wideCells[10].bytesPerSec).toBe(1);
    expect(wideCells[11].bytesPerSec).toBeNull();
  });

  it('sub-second windows of a short capture get 10 ms cells in rows of a second', () => {
    const start = DAY0 + 0.686;
    const l = heatmapLayout(0.0065, start, start + 6.5);
    expect(l).toMatchObject({ cell: 0.01, row: 1, columns: 100, rows: 8, origin: DAY0 });
    expect(heatmapColumnLabel(l, 25)).toBe('+0.25s');
    expect(heatmapRowLabel(l, 3, false)).toBe('00:00:03');
    expect(spanName(0.01)).toBe('10 ms');
    const w = Array.from({ length: 1000 }, (_, i) => ({
      start_ts: start + i * 0.0065,
      end_ts: start + (i + 1) * 0.0065,
      byte_count: 65,
      packet_count: 1,
    }));
    const cells = heatmapCells(l, w);
    expect(cells.reduce((s, c) => s + c.bytes, 0)).toBeCloseTo(65_000, 3);
    expect(cells.reduce((s, c) => s + c.packets, 0)).toBeCloseTo(1000, 6);
    // Fully covered cells carry the windows' rate: 65 B per 6.5 ms.
    expect(cells[150].bytesPerSec).toBeCloseTo(10_000, 1);
  });
});
