import { describe, expect, it } from 'vitest';
import { FEATURE_NAMES } from '../../../../src/detect/index.js';
import { FEATURES } from './features.js';

describe('anomaly feature labels', () => {
  it('every feature the model has reads for people on the anomalies page', () => {
    expect(Object.keys(FEATURES).sort()).toEqual([...FEATURE_NAMES].sort());
  });
});
