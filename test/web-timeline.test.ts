import { describe, expect, it } from 'vitest';
import { isSessionId, normalizeSessionId } from '../web/src/api/request.js';
import type { Anomaly, Direction } from '../web/src/api/types.js';
import { TIME_INCRS, timeLabels, timeStep } from '../web/src/charts/time-axis.js';
import { stackOffsets } from '../web/src/pages/timeline/stacking.js';
import { peakWindow, readFilter, toggleFilter } from '../web/src/pages/timeline/timeline-filter.js';
import { boundaryNote } from '../web/src/pages/traffic/direction-note.js';

const ID = '1b4e28ba-2fa1-41d2-883f-0016d3cca427';

/** The ticks uPlot draws for a step: multiples of it inside [min, max]. */
function ticks(min: number, max: number, step: number): number[] {
  const out: number[] = [];
  for (let k = Math.ceil(min / step - 1e-9); k * step <= max + 1e-9; k++) out.push(k * step);
  return out;
}
const fakePlot = (min: number, max: number) => ({ scales: { x: { min, max } } }) as never;

describe('time axis', () => {
  it('a 6.4 s capture gets 4 to 12 ticks on a half-width or a full-width chart, not one', () => {
    const t0 = 1_700_000_000.3;
    for (const width of [300, 520, 1100]) {
      const n = ticks(t0, t0 + 6.4, timeStep(width, 6.4)).length;
      expect(n, `${width} px`).toBeGreaterThanOrEqual(4);
      expect(n, `${width} px`).toBeLessThanOrEqual(13);
    }
  });

  it('a 7 s capture on a full-width chart ticks whole seconds, not half seconds with milliseconds', () => {
    expect(timeStep(1100, 7)).toBe(1);
    // A 3 s one cannot have four whole-second ticks: half seconds then.
    expect(timeStep(530, 3)).toBe(0.5);
  });

  it('every span from 50 ms to two years gets at least four ticks', () => {
    for (const span of [0.05, 0.3, 1, 2.2, 6.4, 13, 47, 95.6, 400, 3000, 9000, 86_000, 900_000, 6e7]) {
      for (const width of [300, 560, 1200]) {
        const step = timeStep(width, span);
        expect(TIME_INCRS).toContain(step);
        expect(Math.floor(span / step), `${span} s on ${width} px`).toBeGreaterThanOrEqual(4);
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

describe('session ids from the address', () => {
  it('a pasted id with a trailing space or capitals is the same session', () => {
    expect(normalizeSessionId(`${ID} `)).toBe(ID);
    expect(normalizeSessionId(` ${ID.toUpperCase()}\n`)).toBe(ID);
    expect(isSessionId(normalizeSessionId(`${ID.toUpperCase()} `))).toBe(true);
  });
  it('a string that is no UUID names no session (not asked of the server)', () => {
    for (const bad of ['not-a-session', 'zzz', '', `${ID}x`, ID.slice(1)])
      expect(isSessionId(bad)).toBe(false);
  });
});

describe('timeline', () => {
  const score = (window_id: number, s: number): Anomaly => ({
    window_id,
    start_ts: window_id,
    score: s,
    is_anomaly: s > 0.65,
  });
  it('an alert’s "Anomaly scores" link opens its highest-scoring window, not its first', () => {
    const scores = [score(209, 0.4), score(210, 0.647), score(211, 0.81), score(212, 0.7), score(213, 0.99)];
    expect(peakWindow(scores, 210, 212)).toBe(211);
    expect(peakWindow(scores, 210, 210)).toBe(210);
    // Scores not loaded (or none in the range): the first window.
    expect(peakWindow(undefined, 210, 212)).toBe(210);
    expect(peakWindow(scores, 300, 305)).toBe(300);
  });

  it('the severity and type filters live in the URL and toggle one value at a time', () => {
    const all = ['low', 'medium', 'high', 'critical'];
    let q = new URLSearchParams('session=x&event=3');
    expect(readFilter(q)).toEqual({ severities: null, types: null });
    q = toggleFilter(q, 'severity', 'low', all);
    expect(q.get('severity')).toBe('medium,high,critical');
    expect(readFilter(q).severities).toEqual(new Set(['medium', 'high', 'critical']));
    q = toggleFilter(q, 'type', 'traffic_burst', ['port_scan', 'traffic_burst']);
    expect(q.get('type')).toBe('port_scan');
    q = toggleFilter(q, 'severity', 'low', all);
    expect(q.has('severity')).toBe(false);
    expect(q.get('session')).toBe('x');
  });

  it('a low and a high alert of one type at one instant are drawn apart, the high one on top', () => {
    const offsets = stackOffsets(
      [
        { x: 100, lane: 0, r: 5.5, severity: 'low' },
        { x: 100, lane: 0, r: 8.5, severity: 'high' },
        { x: 400, lane: 0, r: 5.5, severity: 'low' },
        { x: 100, lane: 1, r: 5.5, severity: 'low' },
      ],
      44,
    );
    expect(offsets[1]).toBeLessThan(offsets[0]);
    // Their discs do not overlap.
    expect(offsets[0] - offsets[1]).toBeGreaterThanOrEqual(5.5 + 8.5);
    expect(offsets[2]).toBe(0);
    expect(offsets[3]).toBe(0);
  });
});

describe('traffic direction', () => {
  const dir = (inbound: number, outbound: number, internal: number, external: number): Direction =>
    ({
      local_networks: ['10.0.0.0/8'],
      inbound_bytes: inbound,
      outbound_bytes: outbound,
      internal_bytes: internal,
      external_bytes: external,
      inbound_packets: 0,
      outbound_packets: 0,
      internal_packets: 0,
      external_packets: 0,
    }) as Direction;
  it('says so when nearly all IP bytes are remote → remote, instead of a bare "100% outbound"', () => {
    const note = boundaryNote(dir(0, 593, 0, 24_420));
    expect(note).toContain('Only 2.4%');
    expect(note).toContain('external');
    expect(boundaryNote(dir(0, 10, 5_000, 0))).toContain('internal');
  });
  it('no note when in + out is a fair share, or there are no IP bytes', () => {
    expect(boundaryNote(dir(500, 400, 1000, 2000))).toBeNull();
    expect(boundaryNote(dir(0, 0, 0, 0))).toBeNull();
  });
});
