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
  const g = new Mulberry32(seed);
  return () => g.next();
}

/** mulberry32 as an object: a method is one call target for every generator, where a closure per
 * generator made the forest's growing deoptimise with each new forest. */
class Mulberry32 {
  private a: number;

  constructor(seed: number) {
    this.a = seed >>> 0;
  }

  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/** Average path length of an unsuccessful search in a binary search tree of n rows: c(n). */
export function averagePath(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + 0.5772156649015329) - (2 * (n - 1)) / n;
}

/** Every tree's nodes, numbered tree after tree (each tree's depth first from its root). */
interface Nodes {
  /** Split feature, -1 for a leaf. */
  feature: Int32Array;
  split: Float64Array;
  left: Int32Array;
  right: Int32Array;
  /** Training rows that reached the node. */
  size: Int32Array;
  /** Per split node, the credit of going left and right (see `path`); per leaf, c(size) in `leafPath`. */
  leftCredit: Float64Array;
  rightCredit: Float64Array;
  leafPath: Float64Array;
}

/** What growing the trees works on. */
interface Grower {
  tree: Nodes;
  /** Nodes numbered so far. */
  nodes: number;
  /** The training rows column-major (feature f of row r at f · rowCount + r). */
  columns: Float64Array;
  rowCount: number;
  features: number;
  /** A node's rows are rows[from..to): a split partitions them in place (only their minima,
   * maxima and count matter, not their order). */
  rows: Int32Array;
  /** The last `range`. */
  lo: number;
  hi: number;
  candidates: Int32Array;
  maxDepth: number;
  rand: Mulberry32;
}

/** The minimum and maximum of feature f over rows[from..to) into g.lo and g.hi (NaN left out);
 * whether the maximum is above the minimum, as 1 or 0. */
function range(g: Grower, f: number, from: number, to: number): number {
  const base = f * g.rowCount;
  const { columns, rows } = g;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = from; i < to; i++) {
    const x = columns[base + rows[i]];
    if (x < min) min = x;
    if (x > max) max = x;
  }
  g.lo = min;
  g.hi = max;
  return max > min ? 1 : 0;
}

/** Grows the node of rows[from..to) and its subtree (nodes numbered depth first); its number. */
function grow(g: Grower, from: number, to: number, depth: number): number {
  const tree = g.tree;
  const id = g.nodes++;
  tree.size[id] = to - from;
  if (depth >= g.maxDepth || to - from <= 1) return id;
  const { columns, rows, candidates, rowCount } = g;
  const F = g.features;
  // Only features that vary in this node (minimum below maximum) can split it. Telling that needs
  // two different values, not the minimum and maximum (a scan of every row whose compares, in
  // nodes of a few rows, the processor mispredicts): only the chosen feature needs those.
  let nc = 0;
  for (let f = 0; f < F; f++) {
    const base = f * rowCount;
    const first = columns[base + rows[from]];
    if (Number.isNaN(first)) {
      // NaN is no value: fall back to the minimum and maximum.
      if (range(g, f, from, to) > 0) candidates[nc++] = f;
      continue;
    }
    for (let i = from + 1; i < to; i++) {
      const x = columns[base + rows[i]];
      if (x < first || x > first) {
        candidates[nc++] = f;
        break;
      }
    }
  }
  if (nc === 0) return id;
  const f = candidates[Math.floor(g.rand.next() * nc)];
  range(g, f, from, to);
  const value = g.lo + g.rand.next() * (g.hi - g.lo);
  const base = f * rowCount;
  let mid = from;
  for (let i = from; i < to; i++)
    if (columns[base + rows[i]] < value) {
      const r = rows[i];
      rows[i] = rows[mid];
      rows[mid++] = r;
    }
  tree.feature[id] = f;
  tree.split[id] = value;
  tree.left[id] = grow(g, from, mid, depth + 1);
  tree.right[id] = grow(g, mid, to, depth + 1);
  return id;
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
  /** Trees grown (none without rows). */
  readonly treeCount: number;
  /** Per tree, its root node. */
  private readonly roots: Int32Array;
  private readonly nodes: Nodes;
  readonly sampleSize: number;
  readonly seed: number;
  private readonly normalizer: number;

  constructor(
    data: Float64Array,
    rows: number,
    readonly features: number,
    options: ForestOptions = {},
  ) {
    const trees = options.trees ?? 200;
    this.seed = options.seed ?? 1;
    this.sampleSize = Math.max(1, Math.min(options.sampleSize ?? 256, rows));
    this.normalizer = averagePath(this.sampleSize);
    const rand = new Mulberry32(this.seed);
    const maxDepth = Math.ceil(Math.log2(Math.max(2, this.sampleSize)));
    // Column-major: a node's minimum and maximum of a feature are one pass over its rows.
    const columns = new Float64Array(rows * features);
    for (let r = 0; r < rows; r++)
      for (let f = 0; f < features; f++) columns[f * rows + r] = data[r * features + f];
    const all = new Uint32Array(rows);
    for (let i = 0; i < rows; i++) all[i] = i;
    this.treeCount = rows > 0 ? trees : 0;
    this.roots = new Int32Array(this.treeCount);
    // A tree of n sampled rows has at most 2n - 1 nodes.
    const cap = this.treeCount * (2 * this.sampleSize + 1);
    const nodes: Nodes = {
      feature: new Int32Array(cap).fill(-1),
      split: new Float64Array(cap),
      left: new Int32Array(cap),
      right: new Int32Array(cap),
      size: new Int32Array(cap),
      leftCredit: new Float64Array(cap),
      rightCredit: new Float64Array(cap),
      leafPath: new Float64Array(cap),
    };
    this.nodes = nodes;
    const grower: Grower = {
      tree: nodes,
      nodes: 0,
      columns,
      rowCount: rows,
      features,
      rows: new Int32Array(this.sampleSize),
      lo: 0,
      hi: 0,
      candidates: new Int32Array(features),
      maxDepth,
      rand,
    };
    for (let t = 0; t < this.treeCount; t++) {
      // Sample without replacement: partial Fisher-Yates over a copy of the row numbers.
      const pool = all.slice();
      for (let i = 0; i < this.sampleSize; i++) {
        const j = i + Math.floor(rand.next() * (rows - i));
        const tmp = pool[i];
        pool[i] = pool[j];
        pool[j] = tmp;
      }
      grower.rows.set(pool.subarray(0, this.sampleSize));
      this.roots[t] = grow(grower, 0, this.sampleSize, 0);
    }
    for (let id = 0; id < grower.nodes; id++) {
      if (nodes.feature[id] < 0) {
        nodes.leafPath[id] = averagePath(nodes.size[id]);
        continue;
      }
      nodes.leftCredit[id] = Math.log2((nodes.size[id] + 1) / (nodes.size[nodes.left[id]] + 1));
      nodes.rightCredit[id] = Math.log2((nodes.size[id] + 1) / (nodes.size[nodes.right[id]] + 1));
    }
  }

  /** Path length and per-feature isolation credit of one row (`x` at `offset`). */
  path(x: Float64Array, offset: number, credit: Float64Array): number {
    credit.fill(0);
    const { feature, split, left, right, leftCredit, rightCredit, leafPath } = this.nodes;
    let total = 0;
    for (let t = 0; t < this.treeCount; t++) {
      let node = this.roots[t];
      let depth = 0;
      // Bits of separation each split gave the row: log2(n_node / n_child), +1 so a row that
      // leaves every training row behind (an empty child) still earns a finite, large credit;
      // computed once per node when the tree was built.
      for (let f = feature[node]; f >= 0; f = feature[node]) {
        if (x[offset + f] < split[node]) {
          credit[f] += leftCredit[node];
          node = left[node];
        } else {
          credit[f] += rightCredit[node];
          node = right[node];
        }
        depth++;
      }
      total += depth + leafPath[node];
    }
    const t = this.treeCount || 1;
    for (let f = 0; f < credit.length; f++) credit[f] /= t;
    return total / t;
  }

  /**
   * `path` of every one of `rows` rows of `x` (row-major, `features` wide): credits into
   * `credits` (rows × features) and path lengths into `lengths`. Tree after tree, so one tree's
   * nodes stay in cache; each row still adds up its trees in order, so the figures are `path`'s.
   */
  paths(x: Float64Array, rows: number, credits: Float64Array, lengths: Float64Array): void {
    const F = this.features;
    const { feature, split, left, right, leftCredit, rightCredit, leafPath } = this.nodes;
    credits.fill(0, 0, rows * F);
    lengths.fill(0, 0, rows);
    for (let t = 0; t < this.treeCount; t++) {
      const root = this.roots[t];
      for (let r = 0; r < rows; r++) {
        const o = r * F;
        let node = root;
        let depth = 0;
        for (let f = feature[node]; f >= 0; f = feature[node]) {
          if (x[o + f] < split[node]) {
            credits[o + f] += leftCredit[node];
            node = left[node];
          } else {
            credits[o + f] += rightCredit[node];
            node = right[node];
          }
          depth++;
        }
        lengths[r] += depth + leafPath[node];
      }
    }
    const t = this.treeCount || 1;
    for (let i = 0; i < rows * F; i++) credits[i] /= t;
    for (let r = 0; r < rows; r++) lengths[r] /= t;
  }

  /** Anomaly score in (0, 1]: 2^(-E[h(x)] / c(sample size)); about 0.5 for ordinary rows. */
  score(pathLength: number): number {
    if (this.normalizer === 0) return 0.5;
    return 2 ** (-pathLength / this.normalizer);
  }
}
