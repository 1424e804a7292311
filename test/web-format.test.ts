import { describe, expect, it } from 'vitest';
import { formatBytes as cliFormatBytes } from '../src/cli/format.js';
import {
  formatBitRate,
  formatByteRate,
  formatBytes,
  formatBytesAxis,
  formatClock,
  formatCount,
  formatCountAxis,
  formatDuration,
  formatEndpoint,
  formatFraction,
  formatInstant,
  formatPercent,
  formatRatio,
  formatTime,
  formatTimeRange,
  formatTimestampText,
} from '../web/src/format.js';
import {
  heatmapCells,
  heatmapColumnLabel,
  heatmapLayout,
  heatmapRowLabel,
  spanName,
} from '../web/src/heatmap.js';

describe('dashboard formats', () => {
  it('bytes in SI units exactly as the CLI prints them', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(25_300)).toBe('25.3 kB');
    expect(formatBytes(3_570)).toBe('3.57 kB');
    expect(formatBytes(3_200_000)).toBe('3.20 MB');
    expect(formatBytes(5_512_362)).toBe('5.51 MB');
    expect(formatBytes(120_000_000)).toBe('120.0 MB');
    expect(formatBytes(2.5e12)).toBe('2.50 TB');
    for (const n of [1000, 9_994, 24_420, 25_300, 999_999, 1_039_453, 5_512_362, 7e9, 123_456_789_012]) {
      if (Math.round((n / 1000) * 100) / 100 < 1000) expect(formatBytes(n)).toBe(cliFormatBytes(n));
    }
    // Rounding up to the next unit reads as that unit, not "1000.0 kB".
    expect(formatBytes(999_999)).toBe('1.00 MB');
    expect(formatBytes(null)).toBe('—');
    expect(formatBytes(Number.NaN)).toBe('—');
  });

  it('rates in bytes and bits per second', () => {
    expect(formatByteRate(1_200_000)).toBe('1.20 MB/s');
    expect(formatBitRate(1_200_000)).toBe('9.60 Mbit/s');
    expect(formatBitRate(100)).toBe('800 bit/s');
    expect(formatBytesAxis(0)).toBe('0');
    expect(formatBytesAxis(1_500_000)).toBe('1.5 MB');
    expect(formatBytesAxis(20_000_000)).toBe('20 MB');
    expect(formatCountAxis(12_500)).toBe('12.5k');
    expect(formatCountAxis(3_000_000)).toBe('3M');
    expect(formatCountAxis(950)).toBe('950');
  });

  it('counts with thousands separators', () => {
    expect(formatCount(82_582)).toBe('82,582');
    expect(formatCount(1_000_000)).toBe('1,000,000');
    expect(formatCount(7)).toBe('7');
    expect(formatCount(undefined)).toBe('—');
  });

  it('percentages and TCP health as the seed shows them', () => {
    expect(formatRatio(1.0833)).toBe('1.08');
    expect(formatRatio(5.666667)).toBe('5.67');
    expect(formatRatio(null)).toBe('—');
    expect(formatFraction(0.024)).toBe('2.4%');
    expect(formatFraction(0.009)).toBe('0.9%');
    expect(formatFraction(0.002918)).toBe('0.3%');
    expect(formatFraction(0)).toBe('0%');
    expect(formatPercent(13.4889)).toBe('13.5%');
    expect(formatPercent(100)).toBe('100%');
    expect(formatPercent(0.04)).toBe('<0.1%');
    expect(formatPercent(62, 0)).toBe('62%');
  });

  it('durations: "12s", "3m 20s", "1h 02m"', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(0.000_32)).toBe('320 µs');
    expect(formatDuration(0.009_582)).toBe('9.6 ms');
    expect(formatDuration(0.35)).toBe('350 ms');
    expect(formatDuration(0.9999)).toBe('1.0s');
    expect(formatDuration(2.415_512)).toBe('2.4s');
    expect(formatDuration(9.96)).toBe('10s');
    expect(formatDuration(12)).toBe('12s');
    expect(formatDuration(12.4)).toBe('12s');
    expect(formatDuration(59.6)).toBe('1m 00s');
    expect(formatDuration(200)).toBe('3m 20s');
    expect(formatDuration(185)).toBe('3m 05s');
    expect(formatDuration(3720)).toBe('1h 02m');
    expect(formatDuration(3599.9)).toBe('1h 00m');
    expect(formatDuration(86_400 + 3 * 3600)).toBe('1d 03h');
    expect(formatDuration(null)).toBe('—');
  });

  it('capture times in UTC with the date', () => {
    expect(formatTime(1_317_146_840.497_541)).toBe('2011-09-27 18:07:20.497 UTC');
    expect(formatTime(1_317_146_840.497_541, 6)).toBe('2011-09-27 18:07:20.497541 UTC');
    expect(formatTime(1_317_146_840.999_999_5, 3)).toBe('2011-09-27 18:07:21.000 UTC');
    expect(formatTime(1_317_146_840, 0)).toBe('2011-09-27 18:07:20 UTC');
    expect(formatTimestampText('1300475167.096535000')).toBe('2011-03-18 19:06:07.096535 UTC');
    expect(formatTimestampText(null)).toBe('—');
    expect(formatClock(1_317_146_840.497_541)).toBe('18:07:20');
    expect(formatClock(1_317_146_840.497_541, 3)).toBe('18:07:20.497');
    expect(formatTimeRange(1_317_146_840, 1_317_146_843)).toBe('2011-09-27 18:07:20 → 18:07:23 UTC');
    expect(formatTimeRange(86_399, 86_401)).toBe('1970-01-01 23:59:59 → 1970-01-02 00:00:01 UTC');
    expect(formatInstant('2026-05-01T09:30:12.345Z')).toBe('2026-05-01 09:30 UTC');
  });

  it('endpoints in the usual notation', () => {
    expect(formatEndpoint('10.0.0.1', 443)).toBe('10.0.0.1:443');
    expect(formatEndpoint('2001:db8::1', 443)).toBe('[2001:db8::1]:443');
    expect(formatEndpoint('10.0.0.1', null)).toBe('10.0.0.1');
  });
});

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

describe('anomaly feature labels', () => {
  it('every feature the model has reads for people on the anomalies page', async () => {
    const { FEATURE_NAMES } = await import('../src/detect/index.js');
    // By a path the type check does not follow: the web's own tsconfig checks that file.
    const webFeatures = '../web/src/features.ts';
    const { FEATURES } = (await import(/* @vite-ignore */ webFeatures)) as {
      FEATURES: Record<string, unknown>;
    };
    expect(Object.keys(FEATURES).sort()).toEqual([...FEATURE_NAMES].sort());
  });
});
