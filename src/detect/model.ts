import { FEATURE_COUNT, FEATURE_NAMES, FEATURES, type FeatureName, RISE_ONLY } from './features.js';
import { IsolationForest } from './forest.js';

/** Model settings; stored with the results so a score can be reproduced. */
export const MODEL = {
  kind: 'isolation_forest+robust_z',
  trees: 200,
  sampleSize: 256,
  seed: 20261124,
  /** A window is anomalous when its score reaches this. */
  threshold: 0.65,
  /** Robust z-scores are clamped here before the forest sees them. */
  zClamp: 30,
  /** A window with a feature this many robust deviations from its median is explained by how far
   * each feature is from its median; below it (unusual only as a combination), by path credits. */
  explainZ: 3,
  /** How far below its median a rise-only feature can be scaled in a window with traffic. */
  riseOnlyFloor: -1,
} as const;

const RISE = Uint8Array.from(FEATURE_NAMES, (n) => (RISE_ONLY.has(n as FeatureName) ? 1 : 0));
const PACKETS = FEATURE_NAMES.indexOf('packets_per_sec');

export interface Contribution {
  feature: string;
  /** Part of the explanation, 0..1; the shares of one window sum to 1. */
  share: number;
  direction: 'higher' | 'lower';
  /** The window's value and the baseline's median, in the feature's own units. */
  value: number;
  baseline: number;
  /** Robust z-score: (value − median) / scale. */
  z: number;
}

export interface ScoredWindow {
  score: number;
  isAnomaly: boolean;
  /** Isolation Forest score and the robust-z view's score; `score` is the larger. */
  forestScore: number;
  zScore: number;
  contributions: Contribution[];
  scaled: Float64Array;
}

export interface FittedModel {
  medians: Float64Array;
  scales: Float64Array;
  forest: IsolationForest;
  /** Mean isolation credit per feature over the training rows: what "usual" credit is. */
  meanCredit: Float64Array;
  trainingRows: number;
  /** Per training row, its scaled values and credits (rows × FEATURE_COUNT) and its path length:
   * scoring a training row again gives the same, so `scoreWindow` takes them from here. */
  trainingScaled: Float64Array;
  trainingCredit: Float64Array;
  trainingPath: Float64Array;
}

function median(sorted: Float64Array): number {
  const n = sorted.length;
  if (n === 0) return 0;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/**
 * Robust scaling (median and MAD; when more than half the rows share one value, so MAD = 0, the
 * mean absolute deviation of the rows left after the largest tenth of deviations; each feature's
 * floor), then an Isolation Forest on the scaled rows.
 */
export function fitModel(raw: Float64Array, rows: number): FittedModel {
  const F = FEATURE_COUNT;
  const medians = new Float64Array(F);
  const scales = new Float64Array(F);
  const col = new Float64Array(rows);
  const dev = new Float64Array(rows);
  for (let f = 0; f < F; f++) {
    for (let r = 0; r < rows; r++) col[r] = raw[r * F + f];
    col.sort();
    const m = median(col);
    for (let r = 0; r < rows; r++) dev[r] = Math.abs(col[r] - m);
    dev.sort();
    medians[f] = m;
    // Neither estimate may be widened by the unusual rows themselves: an attack that lasts a tenth
    // of the capture must not set the scale it is judged on. MAD ignores them; the fallback
    // leaves out the largest tenth of deviations.
    const mad = 1.4826 * median(dev);
    let spread = mad;
    if (spread === 0) {
      const kept = Math.ceil(rows * 0.9);
      let sum = 0;
      for (let r = 0; r < kept; r++) sum += dev[r];
      spread = kept ? (1.2533 * sum) / kept : 0;
    }
    scales[f] = Math.max(spread, FEATURES[f].floor);
  }
  const scaled = new Float64Array(rows * F);
  for (let r = 0; r < rows; r++) scaleRow(raw, r * F, medians, scales, scaled, r * F);
  const forest = new IsolationForest(scaled, rows, F, {
    trees: MODEL.trees,
    sampleSize: MODEL.sampleSize,
    seed: MODEL.seed,
  });
  const meanCredit = new Float64Array(F);
  const trainingCredit = new Float64Array(rows * F);
  const trainingPath = new Float64Array(rows);
  forest.paths(scaled, rows, trainingCredit, trainingPath);
  for (let r = 0; r < rows; r++) for (let f = 0; f < F; f++) meanCredit[f] += trainingCredit[r * F + f];
  for (let f = 0; f < F; f++) meanCredit[f] = rows ? meanCredit[f] / rows : 0;
  return {
    medians,
    scales,
    forest,
    meanCredit,
    trainingRows: rows,
    trainingScaled: scaled,
    trainingCredit,
    trainingPath,
  };
}

function scaleRow(
  raw: Float64Array,
  at: number,
  medians: Float64Array,
  scales: Float64Array,
  out: Float64Array,
  outAt: number,
): void {
  const busy = raw[at + PACKETS] > 0;
  for (let f = 0; f < FEATURE_COUNT; f++) {
    let z = (raw[at + f] - medians[f]) / scales[f];
    if (busy && RISE[f] && z < MODEL.riseOnlyFloor) z = MODEL.riseOnlyFloor;
    out[outAt + f] = Math.max(-MODEL.zClamp, Math.min(MODEL.zClamp, z));
  }
}

/** The robust-z view as a score: max|z| / (max|z| + 5), so |z| = 5 scores 0.5 like an ordinary
 * Isolation Forest row, and the threshold 0.65 means |z| ≥ 9.3 on some feature: with 21 features
 * and heavy-tailed traffic, smaller maxima are common in ordinary windows. */
function zViewScore(maxAbsZ: number): number {
  return maxAbsZ / (maxAbsZ + 5);
}

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

/**
 * Scores one window. The explanation follows whichever view gave the score: for the forest, each
 * feature's isolation credit on this window's paths above its usual credit (DIFFI's idea: a
 * feature matters when splitting on it isolates this window faster than it isolates others); for
 * the z view, each feature's |z| above 2. Features with under 5% are dropped and the rest
 * renormalised, so the listed shares sum to 1.
 */
export function scoreWindow(
  model: FittedModel,
  raw: Float64Array,
  at: number,
  /** The training row `raw` at `at` is, when it is one (the model was fitted on these rows). */
  trainingRow = -1,
): ScoredWindow {
  const F = FEATURE_COUNT;
  let scaled: Float64Array;
  let credit: Float64Array;
  let pathLength: number;
  if (trainingRow >= 0) {
    scaled = model.trainingScaled.slice(trainingRow * F, trainingRow * F + F);
    credit = model.trainingCredit.slice(trainingRow * F, trainingRow * F + F);
    pathLength = model.trainingPath[trainingRow];
  } else {
    scaled = new Float64Array(F);
    scaleRow(raw, at, model.medians, model.scales, scaled, 0);
    credit = new Float64Array(F);
    pathLength = model.forest.path(scaled, 0, credit);
  }
  const forestScore = model.forest.score(pathLength);
  let maxAbsZ = 0;
  for (let f = 0; f < F; f++) maxAbsZ = Math.max(maxAbsZ, Math.abs(scaled[f]));
  const zScore = zViewScore(maxAbsZ);
  const score = Math.max(forestScore, zScore);
  const weights = new Float64Array(F);
  if (maxAbsZ < MODEL.explainZ) {
    for (let f = 0; f < F; f++) weights[f] = Math.max(credit[f] - model.meanCredit[f], 0);
  } else {
    for (let f = 0; f < F; f++) weights[f] = Math.max(Math.abs(scaled[f]) - 2, 0);
  }
  let sum = weights.reduce((a, b) => a + b, 0);
  if (sum === 0) {
    // Nothing stands out: the plain isolation credit still says what the paths split on.
    for (let f = 0; f < F; f++) weights[f] = credit[f];
    sum = weights.reduce((a, b) => a + b, 0);
  }
  let picked: { f: number; w: number }[] = [];
  if (sum > 0) {
    picked = [...weights]
      .map((w, f) => ({ f, w: w / sum }))
      .filter((p) => p.w >= 0.05)
      .sort((a, b) => b.w - a.w || a.f - b.f)
      .slice(0, 6);
  }
  const pickedSum = picked.reduce((a, p) => a + p.w, 0);
  const contributions: Contribution[] = picked.map((p) => {
    const value = raw[at + p.f];
    const baseline = model.medians[p.f];
    return {
      feature: FEATURES[p.f].name,
      share: round(p.w / pickedSum, 4),
      direction: value >= baseline ? 'higher' : 'lower',
      value: round(value, 6),
      baseline: round(baseline, 6),
      z: round(scaled[p.f], 3),
    };
  });
  // Rounding must not break "the shares sum to 1": the largest absorbs the difference.
  if (contributions.length > 0) {
    const s = contributions.reduce((a, c) => a + c.share, 0);
    contributions[0].share = round(contributions[0].share + (1 - s), 4);
  }
  return {
    score: round(score, 6),
    isAnomaly: score >= MODEL.threshold,
    forestScore: round(forestScore, 6),
    zScore: round(zScore, 6),
    contributions,
    scaled,
  };
}
