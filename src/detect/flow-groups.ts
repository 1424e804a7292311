import { FLOW_CHUNK, FLOW_DOUBLES, FLOW_WORDS } from '../analysis/flow-index.js';
import { type FlowIndex, type WindowSet, windowAt } from '../analysis/index.js';

/**
 * The flow index grouped by the window each flow starts in, built once and shared by the features
 * and the insight rules (each used to sort the whole index its own way). Positions j of a window
 * are offsets[k] .. offsets[k + 1], flows in ascending order (the order a scan of the whole index
 * gives); the words every per-window loop reads are copied beside them, so those loops read
 * memory in order instead of jumping around the index.
 */
export interface FlowGroups {
  /** windows + 1 entries (at least 2). */
  offsets: Uint32Array;
  /** Per position, the flow number. */
  flows: Uint32Array;
  /** Per position, the flow's source and destination address ids. */
  src: Int32Array;
  dst: Int32Array;
  /** Per position, dstPort << 16 | protocol << 8 | conn_state code. */
  meta: Int32Array;
  /** One more than the largest address id of any flow. */
  addresses: number;
  /** Most flows starting in one window. */
  busiest: number;
}

/** Groups the index by start window (a counting sort). */
export function groupFlows(
  index: FlowIndex,
  windows: Pick<WindowSet, 't0' | 'lengthS' | 'count'>,
): FlowGroups {
  const n = index.size;
  const count = Math.max(1, windows.count);
  // The index's rows read in place (see `chunks`), in one flat loop per pass (a loop over chunks
  // would leave its first compiled form at the end of the first chunk).
  const { doubles, words } = index.chunks();
  const ROW = FLOW_CHUNK - 1;
  // Flows per start window. (The window is worked out again in the second pass rather than kept:
  // 4 bytes a flow at the moment memory peaks, for a few milliseconds.)
  const offsets = new Uint32Array(count + 1);
  for (let f = 0; f < n; f++) offsets[windowOf(doubles[f >>> 16][(f & ROW) * FLOW_DOUBLES], windows) + 1]++;
  let busiest = 0;
  for (let k = 0; k < count; k++) {
    if (offsets[k + 1] > busiest) busiest = offsets[k + 1];
    offsets[k + 1] += offsets[k];
  }
  const next = offsets.slice(0, count);
  const flows = new Uint32Array(n);
  const src = new Int32Array(n);
  const dst = new Int32Array(n);
  const meta = new Int32Array(n);
  let addresses = 0;
  for (let f = 0; f < n; f++) {
    const j = next[windowOf(doubles[f >>> 16][(f & ROW) * FLOW_DOUBLES], windows)]++;
    flows[j] = f;
    const w = words[f >>> 16];
    const u = (f & ROW) * FLOW_WORDS;
    const s = w[u + 2];
    const t = w[u + 3];
    src[j] = s;
    dst[j] = t;
    // dstPort << 16 | protocol << 8 | conn_state, as the index packs it.
    meta[j] = w[u + 4];
    if (s >= addresses) addresses = s + 1;
    if (t >= addresses) addresses = t + 1;
  }
  return { offsets, flows, src, dst, meta, addresses, busiest };
}

/**
 * Sorts a[0..n), made of ascending runs that begin at `runs` (ascending, the first at 0), by
 * merging neighbouring runs pass after pass: O(n log runs) where sorting was O(n log n), and a
 * rule's flows are a few windows' runs. Returns a new array; `a` is left as scratch.
 */
export function mergeRuns(a: Uint32Array, n: number, runs: number[]): Uint32Array {
  if (runs.length <= 1) return a.slice(0, n);
  let from: Uint32Array = a;
  let to: Uint32Array = new Uint32Array(n);
  let spare: Uint32Array | null = null;
  let starts = runs;
  while (starts.length > 1) {
    const next: number[] = [];
    for (let r = 0; r < starts.length; r += 2) {
      const lo = starts[r];
      const mid = r + 1 < starts.length ? starts[r + 1] : n;
      const hi = r + 2 < starts.length ? starts[r + 2] : n;
      let i = lo;
      let j = mid;
      let o = lo;
      while (i < mid && j < hi) to[o++] = from[i] <= from[j] ? from[i++] : from[j++];
      while (i < mid) to[o++] = from[i++];
      while (j < hi) to[o++] = from[j++];
      next.push(lo);
    }
    starts = next;
    // The scratch array is not ours to return: after the first pass, merge between two own arrays.
    const done = from;
    from = to;
    to = done === a ? (spare ??= new Uint32Array(n)) : done;
  }
  return from;
}

/** The window a time falls in (clamped to the capture's windows), as the stored flows have it. */
export function windowOf(ts: number, w: Pick<WindowSet, 't0' | 'lengthS' | 'count'>): number {
  return windowAt(ts, w.t0, w.lengthS, w.count);
}
