/**
 * A small Isolation Forest (Liu, Ting and Zhou, 2008) with per-feature path attributions in the
 * spirit of DIFFI (Carletti et al., 2020). Deterministic: every random choice comes from one
 * seeded generator, so the same data and seed give the same forest and the same scores.
 *
 * Trees are stored flat in typed arrays: per node the split feature (-1 for a leaf), the split
 * value, the children and how many training rows reached it.
 */

/** mulberry32: small, fast, good enough for sampling and split choices. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Average path length of an unsuccessful search in a binary search tree of n rows: c(n). */
export function averagePath(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + 0.5772156649015329) - (2 * (n - 1)) / n;
}

interface Tree {
  feature: Int32Array;
  split: Float64Array;
  left: Int32Array;
  right: Int32Array;
  size: Int32Array;
}

export interface ForestOptions {
  trees?: number;
  sampleSize?: number;
  seed?: number;
}

export interface PathResult {
  /** Mean path length over the trees (with the c(n) correction at leaves). */
  pathLength: number;
  /** Isolation credit per feature: the bits of separation (log2 of node size over child size)
   * that splits on that feature gave on this row's path, averaged over the trees. */
  credit: Float64Array;
}

export class IsolationForest {
  readonly trees: Tree[] = [];
  readonly sampleSize: number;
  readonly seed: number;
  private readonly normalizer: number;

  constructor(
    private readonly data: Float64Array,
    private readonly rows: number,
    readonly features: number,
    options: ForestOptions = {},
  ) {
    const trees = options.trees ?? 200;
    this.seed = options.seed ?? 1;
    this.sampleSize = Math.max(1, Math.min(options.sampleSize ?? 256, rows));
    this.normalizer = averagePath(this.sampleSize);
    const rand = mulberry32(this.seed);
    const maxDepth = Math.ceil(Math.log2(Math.max(2, this.sampleSize)));
    const all = new Uint32Array(rows);
    for (let i = 0; i < rows; i++) all[i] = i;
    for (let t = 0; t < trees && rows > 0; t++) {
      // Sample without replacement: partial Fisher-Yates over a copy of the row numbers.
      const pool = all.slice();
      for (let i = 0; i < this.sampleSize; i++) {
        const j = i + Math.floor(rand() * (rows - i));
        const tmp = pool[i];
        pool[i] = pool[j];
        pool[j] = tmp;
      }
      this.trees.push(this.build(pool.subarray(0, this.sampleSize), maxDepth, rand));
    }
  }

  private build(sample: Uint32Array, maxDepth: number, rand: () => number): Tree {
    const cap = 2 * sample.length + 1;
    const tree: Tree = {
      feature: new Int32Array(cap).fill(-1),
      split: new Float64Array(cap),
      left: new Int32Array(cap),
      right: new Int32Array(cap),
      size: new Int32Array(cap),
    };
    let nodes = 0;
    const F = this.features;
    const data = this.data;
    const lo = new Float64Array(F);
    const hi = new Float64Array(F);
    const candidates = new Int32Array(F);
    const grow = (rows: Uint32Array, depth: number): number => {
      const id = nodes++;
      tree.size[id] = rows.length;
      if (depth >= maxDepth || rows.length <= 1) return id;
      lo.fill(Number.POSITIVE_INFINITY);
      hi.fill(Number.NEGATIVE_INFINITY);
      for (const r of rows) {
        const o = r * F;
        for (let f = 0; f < F; f++) {
          const x = data[o + f];
          if (x < lo[f]) lo[f] = x;
          if (x > hi[f]) hi[f] = x;
        }
      }
      // Only features that vary in this node can split it.
      let nc = 0;
      for (let f = 0; f < F; f++) if (hi[f] > lo[f]) candidates[nc++] = f;
      if (nc === 0) return id;
      const f = candidates[Math.floor(rand() * nc)];
      const value = lo[f] + rand() * (hi[f] - lo[f]);
      const leftRows: number[] = [];
      const rightRows: number[] = [];
      for (const r of rows) (data[r * F + f] < value ? leftRows : rightRows).push(r);
      tree.feature[id] = f;
      tree.split[id] = value;
      tree.left[id] = grow(Uint32Array.from(leftRows), depth + 1);
      tree.right[id] = grow(Uint32Array.from(rightRows), depth + 1);
      return id;
    };
    grow(sample, 0);
    return tree;
  }

  /** Path length and per-feature isolation credit of one row (`x` at `offset`). */
  path(x: Float64Array, offset: number, credit: Float64Array): number {
    credit.fill(0);
    let total = 0;
    for (const tree of this.trees) {
      let node = 0;
      let depth = 0;
      while (tree.feature[node] >= 0) {
        const f = tree.feature[node];
        const next = x[offset + f] < tree.split[node] ? tree.left[node] : tree.right[node];
        // Bits of separation this split gave the row: log2(n_node / n_child), +1 so a row that
        // leaves every training row behind (an empty child) still earns a finite, large credit.
        credit[f] += Math.log2((tree.size[node] + 1) / (tree.size[next] + 1));
        node = next;
        depth++;
      }
      total += depth + averagePath(tree.size[node]);
    }
    const t = this.trees.length || 1;
    for (let f = 0; f < credit.length; f++) credit[f] /= t;
    return total / t;
  }

  /** Anomaly score in (0, 1]: 2^(-E[h(x)] / c(sample size)); about 0.5 for ordinary rows. */
  score(pathLength: number): number {
    if (this.normalizer === 0) return 0.5;
    return 2 ** (-pathLength / this.normalizer);
  }
}
