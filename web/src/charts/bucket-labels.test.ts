import { describe, expect, it } from 'vitest';
import { bucketLabels } from './bucket-labels.js';

const SIZES = ['≤64', '65–128', '129–256', '257–512', '513–1024', '1025–1518', '>1518'];
const DURATIONS = [
  '<10\nms',
  '10–100\nms',
  '0.1–1\ns',
  '1–5\ns',
  '5–10\ns',
  '10–30\ns',
  '30–60\ns',
  '1–5\nmin',
  '≥5\nmin',
];

/** Whether two neighbouring labels' widest lines would run into each other (7 px a character). */
const overlap = (labels: string[], slot: number) =>
  labels.some((l, i) => {
    const next = labels.slice(i + 1).findIndex((x) => x !== '');
    if (l === '' || next < 0) return false;
    const w = (s: string) => Math.max(...s.split('\n').map((x) => x.length)) * 7;
    return (w(l) + w(labels[i + 1 + next])) / 2 + 2 > slot * (next + 1);
  });

describe('histogram bucket labels', () => {
  it('on a wide chart the packet-size labels are left as they are', () => {
    expect(bucketLabels(SIZES, 100)).toEqual(SIZES);
  });

  it('on a narrow chart the packet-size ranges break after their dash', () => {
    const slot = (500 - 56 - 16) / SIZES.length; // a tablet's half-width card
    const labels = bucketLabels(SIZES, slot);
    expect(labels).toContain('1025–\n1518');
    expect(labels.every((l) => l !== '')).toBe(true);
    expect(overlap(labels, slot)).toBe(false);
  });

  it('on a phone, where even broken labels do not fit, every other label is left to the tooltip', () => {
    for (const buckets of [SIZES, DURATIONS]) {
      const slot = (340 - 56 - 16) / buckets.length; // a 390 px screen's card
      const labels = bucketLabels(buckets, slot);
      expect(labels.filter((l) => l !== '')).toHaveLength(Math.ceil(buckets.length / 2));
      expect(overlap(labels, slot)).toBe(false);
    }
    expect(bucketLabels(DURATIONS, 268 / 9)[0]).toBe('<10\nms');
  });
});
