/** The ladder of window lengths (README, `--window`) for `--window auto`, and the most windows it aims for. */
export const WINDOW_LADDER = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
export const MAX_AUTO_WINDOWS = 1000;

/** Packet-size buckets (inclusive upper bounds, bytes) and flow-duration buckets (seconds). */
export const SIZE_BUCKETS = [64, 128, 256, 512, 1024, 1518];
export const SIZE_KEYS = ['64', '128', '256', '512', '1024', '1518', '1519+'] as const;
export const DURATION_BUCKETS = [0.01, 0.1, 1, 5, 10, 30, 60, 300];
export const DURATION_KEYS = ['0.01', '0.1', '1', '5', '10', '30', '60', '300', '300+'] as const;

/** Column offsets of one base-window row. */
export const COL = {
  packets: 0,
  bytes: 1,
  tcp: 2,
  udp: 3,
  icmp: 4,
  other: 5,
  sizeSumSq: 6,
  sizeMin: 7,
  sizeMax: 8,
  syn: 9,
  synack: 10,
  ack: 11,
  rst: 12,
  fin: 13,
  retrans: 14,
  newFlows: 15,
  inBytes: 16,
  outBytes: 17,
  intBytes: 18,
  extBytes: 19,
  inPackets: 20,
  outPackets: 21,
  intPackets: 22,
  extPackets: 23,
  sizeBucket: 24, // 7 columns
  durationBucket: 31, // 9 columns
} as const;
/** Columns (doubles) in one base-window row. */
const ROW_WORDS = 40;

/** The columns the flow half fills (the rest are the packet half's). */
const FLOW_COLUMNS: number[] = [
  COL.retrans,
  COL.newFlows,
  COL.inBytes,
  COL.outBytes,
  COL.intBytes,
  COL.extBytes,
  COL.inPackets,
  COL.outPackets,
  COL.intPackets,
  COL.extPackets,
  ...Array.from({ length: 9 }, (_, i) => COL.durationBucket + i),
];

// Base granularities. Each divides every ladder length at or above the point where it is used, so
// base windows roll up exactly into whatever length `auto` finally picks.
const BASES = [1, 5, 30, 300, 3600];
// Span (s) beyond which the next base is safe: e.g. over 2000 s, `auto` can no longer pick 1 or 2,
// and over 1,800,000 s only 3600 is left.
const PROMOTE_AFTER = [2002, 15002, 300002, 1800002];

export class WindowLimitError extends Error {
  override name = 'WindowLimitError';
}

/**
 * The window a time falls in, clamped to the capture's `count` windows of `lengthS` seconds from
 * `t0`: how a stored flow gets its window (by its start) and how the detection places events.
 */
export function windowAt(ts: number, t0: number, lengthS: number, count: number): number {
  return Math.min(Math.max(Math.floor((ts - t0) / lengthS), 0), Math.max(count - 1, 0));
}

/** Most windows a session may have: each is a stored row, a model input and an anomaly entry. */
export const MAX_WINDOWS = 100_000;
/**
 * `auto` beyond the ladder: a capture spanning more than MAX_WINDOWS hours (11 years; in
 * practice broken clocks) gets daily windows instead of being refused. 3600 divides it, so the
 * roll-up stays exact.
 */
export const LONG_SPAN_WINDOW = 86400;

function formatSpan(seconds: number): string {
  const years = seconds / (365.25 * 86400);
  if (years >= 2) return `${Math.round(years)} years`;
  const days = seconds / 86400;
  if (days >= 2) return `${Math.round(days)} days`;
  return `${Math.round(seconds).toLocaleString('en-US')} s`;
}

function tooManyWindows(count: number, length: number): WindowLimitError {
  return new WindowLimitError(
    `the capture spans ${formatSpan(count * length)}: windows of ${length} s would make ${count.toLocaleString('en-US')} windows, more than ${MAX_WINDOWS.toLocaleString('en-US')}; choose a longer --window (up to 86400 s)`,
  );
}

/** Most base rows kept before the capture's time span is refused (bounded memory). */
const MAX_ROWS = 1_000_000;

type DistinctKind = 0 | 1 | 2;

export interface WindowAccumulatorState {
  fixed: number | null;
  base: number;
  baseIdx: number;
  anchorSec: number;
  pages: Map<number, Float64Array>;
  entries: Int32Array[];
} // source addresses, destination addresses, destination ports

/**
 * Accumulates per-window figures in one pass without knowing the capture's duration in advance:
 * counters go into fine base windows, which `finish` rolls up into the chosen length. Distinct
 * counts stay exact because the distinct values of each base window are kept and merged.
 */
export class WindowAccumulator {
  /** The page holding the row last returned by rowOf. */
  rows: Float64Array = new Float64Array(0);
  private base: number;
  private baseIdx = 0;
  // Rows live in pages allocated on first use, so a capture whose timestamps jump by years costs
  // only the pages its packets touch.
  private pages = new Map<number, Float64Array>();
  private usedLo = Number.POSITIVE_INFINITY; // relative indexes of the first and past-last rows used
  private usedHi = Number.NEGATIVE_INFINITY;
  private anchorSec = Number.NaN;
  private readonly fixed: number | null;
  // Distinct values: (row, value) pairs, deduplicated per row by "last row seen" per value.
  private entries: Int32Array[] = [new Int32Array(1024), new Int32Array(1024), new Int32Array(1024)];
  private readonly entryCount = [0, 0, 0];
  private readonly lastRow: Int32Array[] = [
    new Int32Array(1024),
    new Int32Array(1024),
    new Int32Array(65536),
  ];
  /** Relative index of the row last returned by rowOf. */
  private currentRel = 0;
  // Cache of the last second looked up; cleared whenever rows move.
  private lastSec = Number.NaN;
  private lastRel = 0;
  private lastOffset = 0;
  private lastPage: Float64Array = new Float64Array(0);
  private readonly integerBase: boolean;
  private generation = 0;
  // flowEnded's own page cache.
  private flowPage: Float64Array = new Float64Array(0);
  private flowPageIndex = Number.NaN;
  private flowPageGeneration = -1;

  constructor(fixedLength: number | null) {
    this.fixed = fixedLength;
    this.base = fixedLength ?? BASES[0];
    this.integerBase = Number.isInteger(this.base);
    for (const a of this.lastRow) a.fill(-0x80000000);
  }

  /** Every column summed over the rows (counts: exact). */
  columnTotals(): Float64Array {
    const out = new Float64Array(ROW_WORDS);
    for (const page of this.pages.values()) {
      for (let r = 0; r < PAGE; r++) {
        const o = r * ROW_WORDS;
        for (let c = 0; c < ROW_WORDS; c++) if (c !== COL.sizeMin && c !== COL.sizeMax) out[c] += page[o + c];
      }
    }
    return out;
  }

  /** Whether rows are whole seconds or more (a row is then found from the seconds alone). */
  get wholeSeconds(): boolean {
    return this.integerBase;
  }

  /** What `absorb` needs of this accumulator, to send to another thread. */
  exportState(): WindowAccumulatorState {
    return {
      fixed: this.fixed,
      base: this.base,
      baseIdx: this.baseIdx,
      anchorSec: this.anchorSec,
      pages: this.pages,
      entries: this.entries.map((e, k) => e.subarray(0, this.entryCount[k])),
    };
  }

  /** An accumulator holding exported contents (for `absorb`). */
  static restore(state: WindowAccumulatorState): WindowAccumulator {
    const w = new WindowAccumulator(state.fixed);
    w.base = state.base;
    w.baseIdx = state.baseIdx;
    w.anchorSec = state.anchorSec;
    w.pages = state.pages;
    for (let k = 0; k < 3; k++) {
      w.entries[k] = state.entries[k];
      w.entryCount[k] = state.entries[k].length;
    }
    return w;
  }

  /** Offset in `rows` of the row holding time (sec, nsec); re-read `rows` afterwards. */
  rowOf(sec: number, nsec: number): number {
    // Consecutive packets mostly share a second: reuse the last answer (whole-second bases only).
    if (sec === this.lastSec) {
      this.currentRel = this.lastRel;
      this.rows = this.lastPage;
      return this.lastOffset;
    }
    const offset = this.slowRowOf(sec, nsec);
    if (this.integerBase) {
      this.lastSec = sec;
      this.lastRel = this.currentRel;
      this.lastOffset = offset;
      this.lastPage = this.rows;
    }
    return offset;
  }

  /**
   * `rowOf` for a time given as whole seconds and the time in seconds (`sec + nsec / 1e9` as the
   * packet half computed it): what the flow half has.
   */
  rowOfTime(sec: number, ts: number): number {
    if (this.integerBase) return this.rowOf(sec, 0); // whole-second bases use the seconds alone
    return this.slowRowOf(sec, 0, ts);
  }

  private slowRowOf(sec: number, nsec: number, ts = Number.NaN): number {
    if (Number.isNaN(this.anchorSec)) this.anchorSec = sec;
    const at = () =>
      Number.isNaN(ts) || Number.isInteger(this.base) ? this.indexOf(sec, nsec) : Math.floor(ts / this.base);
    let rel = at() - this.indexOf(this.anchorSec, 0);
    if (rel < this.usedLo || rel >= this.usedHi) {
      // Outside the span so far: first coarsen the base if the span now allows it.
      if (this.fixed === null) {
        while (this.promote(Math.min(this.usedLo, rel), Math.max(this.usedHi, rel + 1))) {
          rel = at() - this.indexOf(this.anchorSec, 0);
        }
      }
      const lo = Math.min(this.usedLo, rel);
      const hi = Math.max(this.usedHi, rel + 1);
      // A fixed length is the final window length, so its limit is the session's; auto's base rows
      // are finer than its windows and get the wider memory bound.
      if (hi - lo > (this.fixed === null ? MAX_ROWS : MAX_WINDOWS)) throw tooManyWindows(hi - lo, this.base);
      this.usedLo = lo;
      this.usedHi = hi;
    }
    this.currentRel = rel;
    this.rows = pageOf(this.pages, rel);
    return (rel - Math.floor(rel / PAGE) * PAGE) * ROW_WORDS;
  }

  /**
   * A number naming the row last returned by rowOf, unique across base changes: callers may keep
   * it to skip repeated notes of the same value in the same row.
   */
  noteKey(): number {
    return this.generation * 8_000_000 + this.currentRel;
  }

  /** Notes a distinct value (address id, or port) for the row last returned by rowOf. */
  note(kind: DistinctKind, value: number): void {
    let last = this.lastRow[kind];
    if (value >= last.length) {
      const grown = new Int32Array(Math.max(last.length * 2, value + 1)).fill(-0x80000000);
      grown.set(last);
      this.lastRow[kind] = last = grown;
    }
    const rel = this.currentRel;
    if (last[value] === rel) return;
    last[value] = rel;
    let e = this.entries[kind];
    const c = this.entryCount[kind];
    if (c + 2 > e.length) {
      const grown = new Int32Array(e.length * 2);
      grown.set(e);
      this.entries[kind] = e = grown;
    }
    e[c] = rel;
    e[c + 1] = value;
    this.entryCount[kind] = c + 2;
  }

  private indexOf(sec: number, nsec: number): number {
    const b = this.base;
    return Number.isInteger(b) ? Math.floor(sec / b) : Math.floor((sec + nsec / 1e9) / b);
  }

  /** Moves to the next coarser base when the span [lo, hi) (in rows) rules out the finer lengths. */
  private promote(lo: number, hi: number): boolean {
    const next = this.baseIdx + 1;
    const span = (hi - lo - 2) * this.base;
    if (next >= BASES.length || span <= PROMOTE_AFTER[this.baseIdx]) return false;
    this.lastSec = Number.NaN;
    this.generation++;
    const from = this.base;
    const to = BASES[next];
    const fromAnchor = Math.floor(this.anchorSec / from);
    const toAnchor = Math.floor(this.anchorSec / to);
    const mapRel = (rel: number) => Math.floor(((rel + fromAnchor) * from) / to) - toAnchor;
    const pages = new Map<number, Float64Array>();
    for (const [p, page] of this.pages) {
      for (let r = 0; r < PAGE; r++) {
        if (isEmpty(page, r)) continue;
        const rel = mapRel(p * PAGE + r);
        mergeRow(pageOf(pages, rel), (rel - Math.floor(rel / PAGE) * PAGE) * ROW_WORDS, page, r * ROW_WORDS);
      }
    }
    for (let k = 0; k < 3; k++) {
      const e = this.entries[k];
      for (let i = 0; i < this.entryCount[k]; i += 2) e[i] = mapRel(e[i]);
      this.lastRow[k].fill(-0x80000000);
    }
    this.pages = pages;
    if (this.usedHi > this.usedLo) {
      this.usedLo = mapRel(this.usedLo);
      this.usedHi = mapRel(this.usedHi - 1) + 1;
    }
    this.base = to;
    this.baseIdx = next;
    return true;
  }

  /**
   * Counts a finished flow in its duration bucket in the row of the window it started in. Looked up on its own,
   * so the per-packet row cache of rowOf stays as it was.
   */
  flowEnded(flow: { readonly firstTs: number }, bucket: number): void {
    // The flow is passed rather than its start time: a double argument is boxed on every call.
    const firstTs = flow.firstTs;
    const sec = Math.floor(firstTs);
    const rel = this.indexOf(sec, Math.round((firstTs - sec) * 1e9)) - this.indexOf(this.anchorSec, 0);
    const p = Math.floor(rel / PAGE);
    let page = this.flowPage;
    if (p !== this.flowPageIndex || this.flowPageGeneration !== this.generation) {
      page = pageOf(this.pages, rel);
      this.flowPage = page;
      this.flowPageIndex = p;
      this.flowPageGeneration = this.generation;
    }
    page[(rel - p * PAGE) * ROW_WORDS + COL.durationBucket + bucket]++;
  }

  /**
   * Adds what the flow half's accumulator collected (the flow columns: new flows, retransmissions,
   * direction, flow durations, and the distinct values) into this one's rows. This accumulator saw
   * every packet, the other only IP packets, so its base is the same or coarser and a multiple of
   * the other's: the mapping is exact. `addressIds` re-keys the other's address ids (a flow shard's).
   */
  absorb(other: WindowAccumulator, addressIds: Int32Array | null = null): void {
    if (other === this || Number.isNaN(other.anchorSec)) return;
    const from = other.base;
    const to = this.base;
    if (to % from !== 0 && from !== to) throw new Error('window bases do not nest');
    const fromAnchor = other.indexOf(other.anchorSec, 0);
    const toAnchor = this.indexOf(this.anchorSec, 0);
    const mapRel =
      from === to
        ? (rel: number) => rel + fromAnchor - toAnchor
        : (rel: number) => Math.floor(((rel + fromAnchor) * from) / to) - toAnchor;
    for (const [p, page] of other.pages) {
      for (let r = 0; r < PAGE; r++) {
        if (isEmpty(page, r)) continue;
        const rel = mapRel(p * PAGE + r);
        const dst = pageOf(this.pages, rel);
        const d = (rel - Math.floor(rel / PAGE) * PAGE) * ROW_WORDS;
        for (const c of FLOW_COLUMNS) dst[d + c] += page[r * ROW_WORDS + c];
      }
    }
    for (let k = 0; k < 3; k++) {
      const e = other.entries[k];
      const n = other.entryCount[k];
      let mine = this.entries[k];
      const c = this.entryCount[k];
      if (c + n > mine.length) {
        const grown = new Int32Array(c + n);
        grown.set(mine.subarray(0, c));
        this.entries[k] = mine = grown;
      }
      // Addresses (kinds 0 and 1) by another table's ids are re-keyed to this analysis' table.
      const ids = k < 2 ? addressIds : null;
      for (let i = 0; i < n; i += 2) {
        mine[c + i] = mapRel(e[i]);
        mine[c + i + 1] = ids === null ? e[i + 1] : ids[e[i + 1]];
      }
      this.entryCount[k] = c + n;
    }
    this.lastSec = Number.NaN;
  }

  /**
   * Rolls the base rows up into windows of the final length. `minTs`/`maxTs` are the capture's
   * earliest and latest times (seconds); with `auto`, the length is the smallest of the ladder
   * giving at most 1000 windows.
   */
  finish(minSec: number, minNsec: number, maxSec: number, maxNsec: number, hasTime: boolean): WindowSet {
    if (!hasTime || this.pages.size === 0) {
      const none = new Uint32Array(0);
      return new WindowSet(this.fixed ?? WINDOW_LADDER[0], 0, 0, new Map(), 0, none, none, none);
    }
    let L = this.fixed ?? WINDOW_LADDER[WINDOW_LADDER.length - 1];
    if (this.fixed === null) {
      for (const candidate of WINDOW_LADDER) {
        if (candidate % this.base !== 0) continue;
        if (Math.floor(maxSec / candidate) - Math.floor(minSec / candidate) + 1 <= MAX_AUTO_WINDOWS) {
          L = candidate;
          break;
        }
      }
      if (Math.floor(maxSec / L) - Math.floor(minSec / L) + 1 > MAX_WINDOWS) L = LONG_SPAN_WINDOW;
    }
    const exact = this.fixed !== null;
    const first = exact ? this.indexOf(minSec, minNsec) : Math.floor(minSec / L);
    const last = exact ? this.indexOf(maxSec, maxNsec) : Math.floor(maxSec / L);
    const count = last - first + 1;
    if (count > MAX_WINDOWS) throw tooManyWindows(count, L);
    const baseAnchor = this.indexOf(this.anchorSec, 0);
    // Window of a base row: base windows never straddle a final window (the base divides L).
    const windowOf = (rel: number) =>
      exact ? rel + baseAnchor - first : Math.floor(((rel + baseAnchor) * this.base) / L) - first;
    let pages: Map<number, Float64Array>;
    let rel0: number; // page-relative index of window 0
    if (exact || this.base === L) {
      pages = this.pages; // one base row per window: no copy
      rel0 = first - baseAnchor;
    } else {
      pages = new Map();
      rel0 = 0;
      for (const [p, page] of this.pages) {
        for (let r = 0; r < PAGE; r++) {
          const k = windowOf(p * PAGE + r);
          if (k < 0 || k >= count || isEmpty(page, r)) continue;
          mergeRow(pageOf(pages, k), (k - Math.floor(k / PAGE) * PAGE) * ROW_WORDS, page, r * ROW_WORDS);
        }
      }
    }
    const distinct = [0, 1, 2].map((kind) => this.distinctCounts(kind as DistinctKind, count, windowOf));
    return new WindowSet(L, first * L, count, pages, rel0, distinct[0], distinct[1], distinct[2]);
  }

  private distinctCounts(kind: DistinctKind, count: number, windowOf: (rel: number) => number): Uint32Array {
    const e = this.entries[kind];
    const n = this.entryCount[kind] / 2;
    // (window, value) pairs as one sortable number each; duplicates are adjacent after sorting.
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = windowOf(e[2 * i]) * 4294967296 + e[2 * i + 1];
    keys.sort();
    const out = new Uint32Array(count);
    for (let i = 0; i < n; i++) {
      if (i > 0 && keys[i] === keys[i - 1]) continue;
      const k = Math.floor(keys[i] / 4294967296);
      if (k >= 0 && k < count) out[k]++;
    }
    return out;
  }
}

/** Rows per page of the window store. */
const PAGE = 256;

/** The page holding row `rel`, allocated (with empty rows) on first use. */
function pageOf(pages: Map<number, Float64Array>, rel: number): Float64Array {
  const p = Math.floor(rel / PAGE);
  let page = pages.get(p);
  if (page === undefined) {
    page = new Float64Array(PAGE * ROW_WORDS);
    for (let r = 0; r < PAGE; r++) page[r * ROW_WORDS + COL.sizeMin] = Number.POSITIVE_INFINITY;
    pages.set(p, page);
  }
  return page;
}

function isEmpty(page: Float64Array, r: number): boolean {
  const o = r * ROW_WORDS;
  if (page[o + COL.packets] !== 0) return false;
  // The flow half's rows have no packet count, but every IP packet counts in one direction.
  for (let i = 0; i < 4; i++) if (page[o + COL.inPackets + i] !== 0) return false;
  for (let i = 0; i < DURATION_KEYS.length; i++) if (page[o + COL.durationBucket + i] !== 0) return false;
  return true;
}

function mergeRow(dst: Float64Array, d: number, src: Float64Array, s: number): void {
  for (let i = 0; i < ROW_WORDS; i++) {
    if (i === COL.sizeMin) dst[d + i] = Math.min(dst[d + i], src[s + i]);
    else if (i === COL.sizeMax) dst[d + i] = Math.max(dst[d + i], src[s + i]);
    else dst[d + i] += src[s + i];
  }
}

export function sizeBucket(len: number): number {
  // Unrolled: this runs for every packet.
  if (len <= 256) return len <= 64 ? 0 : len <= 128 ? 1 : 2;
  if (len <= 1024) return len <= 512 ? 3 : 4;
  return len <= 1518 ? 5 : 6;
}

export function durationBucket(seconds: number): number {
  for (let i = 0; i < DURATION_BUCKETS.length; i++) if (seconds < DURATION_BUCKETS[i]) return i;
  return DURATION_BUCKETS.length;
}

/**
 * The capture's windows after roll-up. Rows are built on demand: a capture whose timestamps span
 * decades has hundreds of thousands of (mostly empty) windows, which callers stream.
 */
export class WindowSet {
  constructor(
    readonly lengthS: number,
    /** Start of window 0 in seconds since the epoch. */
    readonly t0: number,
    readonly count: number,
    private readonly pages: Map<number, Float64Array>,
    private readonly rel0: number,
    private readonly uniqueSrc: Uint32Array,
    private readonly uniqueDst: Uint32Array,
    private readonly ports: Uint32Array,
  ) {}

  row(k: number): WindowRow {
    if (k < 0 || k >= this.count) throw new RangeError(`no window ${k} (of ${this.count})`);
    const rel = this.rel0 + k;
    const page = this.pages.get(Math.floor(rel / PAGE)) ?? EMPTY_PAGE;
    const o = (rel - Math.floor(rel / PAGE) * PAGE) * ROW_WORDS;
    return windowRow(page, o, k, this.lengthS, this.t0, this.uniqueSrc[k], this.uniqueDst[k], this.ports[k]);
  }

  *rows(): IterableIterator<WindowRow> {
    for (let k = 0; k < this.count; k++) yield this.row(k);
  }

  /** Every window as an array (small captures and tests). */
  toArray(): WindowRow[] {
    return [...this.rows()];
  }

  /** Packets per size bucket over all windows. */
  sizeTotals(): number[] {
    const out = new Array<number>(SIZE_KEYS.length).fill(0);
    for (const [p, page] of this.pages) {
      for (let r = 0; r < PAGE; r++) {
        const k = p * PAGE + r - this.rel0;
        if (k < 0 || k >= this.count) continue;
        for (let i = 0; i < out.length; i++) out[i] += page[r * ROW_WORDS + COL.sizeBucket + i];
      }
    }
    return out;
  }
}

const EMPTY_PAGE = new Float64Array(PAGE * ROW_WORDS);

/** One row of `traffic_windows`: every per-window figure the README defines. */
export interface WindowRow {
  window_id: number;
  start_ts: number;
  end_ts: number;
  packet_count: number;
  byte_count: number;
  bytes_per_sec: number;
  packets_per_sec: number;
  tcp_count: number;
  udp_count: number;
  icmp_count: number;
  other_count: number;
  tcp_ratio: number;
  udp_ratio: number;
  icmp_ratio: number;
  avg_packet_size: number;
  min_packet_size: number;
  max_packet_size: number;
  std_packet_size: number;
  unique_src_ips: number;
  unique_dst_ips: number;
  port_diversity: number;
  new_flows: number;
  connection_rate: number;
  tcp_syn_count: number;
  tcp_synack_count: number;
  tcp_ack_count: number;
  tcp_rst_count: number;
  tcp_fin_count: number;
  tcp_retransmissions: number;
  inbound_bytes: number;
  outbound_bytes: number;
  internal_bytes: number;
  external_bytes: number;
  inbound_packets: number;
  outbound_packets: number;
  internal_packets: number;
  external_packets: number;
  /** Counts per bucket, in the order of SIZE_KEYS / DURATION_KEYS (see `distribution`). */
  packet_size_distribution: number[];
  flow_duration_distribution: number[];
}

/**
 * A distribution as the summary's JSON object ({"64": n, …}). Kept as arrays until output: objects with
 * integer-like keys such as "1518" make V8 allocate kilobytes of element storage each.
 */
export function distribution(keys: readonly string[], counts: ArrayLike<number>): Record<string, number> {
  const out: Record<string, number> = {};
  keys.forEach((key, i) => {
    out[key] = counts[i];
  });
  return out;
}

function windowRow(
  a: Float64Array,
  o: number,
  k: number,
  L: number,
  t0: number,
  uniqueSrc: number,
  uniqueDst: number,
  ports: number,
): WindowRow {
  const packets = a[o + COL.packets];
  const bytes = a[o + COL.bytes];
  const mean = packets > 0 ? bytes / packets : 0;
  const variance = packets > 0 ? Math.max(0, a[o + COL.sizeSumSq] / packets - mean * mean) : 0;
  const ratio = (n: number) => (packets > 0 ? n / packets : 0);
  const sizes = Array.from(a.subarray(o + COL.sizeBucket, o + COL.sizeBucket + SIZE_KEYS.length));
  const durations = Array.from(
    a.subarray(o + COL.durationBucket, o + COL.durationBucket + DURATION_KEYS.length),
  );
  return {
    window_id: k,
    start_ts: t0 + k * L,
    end_ts: t0 + (k + 1) * L,
    packet_count: packets,
    byte_count: bytes,
    bytes_per_sec: bytes / L,
    packets_per_sec: packets / L,
    tcp_count: a[o + COL.tcp],
    udp_count: a[o + COL.udp],
    icmp_count: a[o + COL.icmp],
    other_count: a[o + COL.other],
    tcp_ratio: ratio(a[o + COL.tcp]),
    udp_ratio: ratio(a[o + COL.udp]),
    icmp_ratio: ratio(a[o + COL.icmp]),
    avg_packet_size: mean,
    min_packet_size: packets > 0 ? a[o + COL.sizeMin] : 0,
    max_packet_size: packets > 0 ? a[o + COL.sizeMax] : 0,
    std_packet_size: Math.sqrt(variance),
    unique_src_ips: uniqueSrc,
    unique_dst_ips: uniqueDst,
    port_diversity: ports,
    new_flows: a[o + COL.newFlows],
    connection_rate: a[o + COL.newFlows] / L,
    tcp_syn_count: a[o + COL.syn],
    tcp_synack_count: a[o + COL.synack],
    tcp_ack_count: a[o + COL.ack],
    tcp_rst_count: a[o + COL.rst],
    tcp_fin_count: a[o + COL.fin],
    tcp_retransmissions: a[o + COL.retrans],
    inbound_bytes: a[o + COL.inBytes],
    outbound_bytes: a[o + COL.outBytes],
    internal_bytes: a[o + COL.intBytes],
    external_bytes: a[o + COL.extBytes],
    inbound_packets: a[o + COL.inPackets],
    outbound_packets: a[o + COL.outPackets],
    internal_packets: a[o + COL.intPackets],
    external_packets: a[o + COL.extPackets],
    packet_size_distribution: sizes,
    flow_duration_distribution: durations,
  };
}
