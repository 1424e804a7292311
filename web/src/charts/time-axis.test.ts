import { describe, expect, it } from 'vitest';
import { TIME_INCRS, timeLabels, timeStep } from './time-axis.js';

/** The ticks uPlot draws for a step: multiples of it inside [min, max]. */
function ticks(min: number, max: number, step: number): number[] {
  const out: number[] = [];
  for (let k = Math.ceil(min / step - 1e-9); k * step <= max + 1e-9; k++) out.push(k * step);
  return out;
}
const fakePlot = (min: number, max: number) => ({ scales: { x: { min, max } } }) as never;

describe('time axis', () => {
  it('a 6.4 s capture gets 3 to 12 ticks on a small, half-width or full-width chart, not one', () => {
    const t0 = 1_700_000_000.3;
    for (const width of [300, 520, 1100]) {
      const n = ticks(t0, t0 + 6.4, timeStep(width, 6.4)).length;
      expect(n, `${width} px`).toBeGreaterThanOrEqual(width < 500 ? 3 : 4);
      expect(n, `${width} px`).toBeLessThanOrEqual(13);
    }
  });

  it('a 7 s capture on a full-width chart ticks whole seconds, not half seconds with milliseconds', () => {
    expect(timeStep(1100, 7)).toBe(1);
    // A 3 s one cannot have four whole-second ticks: fractions then.
    expect(timeStep(530, 3)).toBeLessThan(1);
  });

  it('every span from 50 ms to two years gets two ticks or more on a small chart, four on a wide one', () => {
    for (const span of [
      0.05, 0.3, 1, 2.2, 6.4, 9.6, 13, 47, 48, 95.6, 400, 3000, 9000, 86_000, 900_000, 6e7,
    ]) {
      for (const width of [300, 480, 1200]) {
        const step = timeStep(width, span);
        expect(TIME_INCRS).toContain(step);
        expect(Math.floor(span / step), `${span} s on ${width} px`).toBeGreaterThanOrEqual(
          width >= 1200 ? 4 : 2,
        );
      }
    }
  });

  it('never puts labels with seconds ("18:48:55", 50 px) closer than 62 px apart (issue #22)', () => {
    for (const span of [5, 9.6, 10, 13, 47, 48, 50, 95.6, 300]) {
      for (const width of [300, 480, 560, 1200]) {
        const step = timeStep(width, span);
        if (step >= 1 && step < 60)
          expect((step * width) / span, `${span} s on ${width} px`).toBeGreaterThanOrEqual(62);
      }
    }
  });

  it('whole-second ticks read without ".000"; only sub-second steps carry milliseconds', () => {
    const t0 = Date.UTC(2026, 2, 2, 19, 6, 10) / 1000;
    const whole = ticks(t0, t0 + 6.4, 1);
    expect(timeLabels(fakePlot(t0, t0 + 6.4), whole, 0, 60, 1)).toEqual([
      '19:06:10',
      '19:06:11',
      '19:06:12',
      '19:06:13',
      '19:06:14',
      '19:06:15',
      '19:06:16',
    ]);
    const sub = [0.6, 0.8, 1, 1.2, 1.4, 1.6].map((d) => t0 + d);
    expect(timeLabels(fakePlot(t0 + 0.6, t0 + 1.6), sub, 0, 60, 0.2)).toEqual([
      '19:06:10\n.600',
      '\n.800',
      '19:06:11\n.000',
      '\n.200',
      '\n.400',
      '\n.600',
    ]);
    const minutes = ticks(t0 - 10, t0 + 1200, 300);
    expect(timeLabels(fakePlot(t0 - 10, t0 + 1200), minutes, 0, 60, 300)[0]).toBe('19:10');
  });
});
