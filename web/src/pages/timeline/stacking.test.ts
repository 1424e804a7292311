import { describe, expect, it } from 'vitest';
import { stackOffsets } from './stacking.js';

describe('timeline markers', () => {
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
