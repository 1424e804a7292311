import { describe, expect, it } from 'vitest';
import type { Anomaly } from '../../api/types.js';
import { peakWindow, readFilter, toggleFilter } from './timeline-filter.js';

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
});
