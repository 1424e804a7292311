import { describe, expect, it } from 'vitest';
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
} from '../src/format/index.js';

describe('figures for people (CLI, alert sentences, dashboard)', () => {
  it('bytes in SI units exactly as the CLI prints them', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(25_300)).toBe('25.3 kB');
    expect(formatBytes(3_570)).toBe('3.57 kB');
    expect(formatBytes(3_200_000)).toBe('3.20 MB');
    expect(formatBytes(5_512_362)).toBe('5.51 MB');
    expect(formatBytes(120_000_000)).toBe('120.0 MB');
    expect(formatBytes(2.5e12)).toBe('2.50 TB');
    expect(formatBytes(9_994)).toBe('9.99 kB');
    expect(formatBytes(1_039_453)).toBe('1.04 MB');
    // Rounding up to the next unit reads as that unit, not "1000.0 kB".
    expect(formatBytes(999_999)).toBe('1.00 MB');
    expect(formatBytes(999_960)).toBe('1.00 MB');
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

describe('counts print with thousands separators exactly as en-US Intl would', () => {
  it('matches Intl.NumberFormat on integers, halves, negatives, zero and huge values', () => {
    const intl = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
    const values = [
      0,
      -0,
      0.4,
      -0.4,
      1,
      9,
      10,
      999,
      1000,
      1001,
      12_345,
      82_582,
      999_999,
      1_000_000,
      2.5,
      -2.5,
      999.5,
      123_456_789.49,
      -1_234_567,
      2 ** 53,
      1e21,
      3.2e25,
      -7.7e30,
    ];
    for (let i = 0; i < 2000; i++) values.push(Math.floor(Math.sin(i) * 10 ** (i % 17)));
    for (const v of values) expect(formatCount(v), String(v)).toBe(intl.format(Math.round(v)));
  });
});
