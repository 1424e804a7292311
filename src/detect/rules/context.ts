import type { Analyzer, FlowIndex, Summary, WindowRow, WindowSet } from '../../analysis/index.js';
import type { WindowActors } from '../features.js';
import { type FlowGroups, groupFlows, mergeRuns, windowOf } from '../flow-groups.js';
import { IntelMatcher } from '../intel.js';
import type { DetectExtras, LogTransactions } from '../logs.js';

export type Severity = 'low' | 'medium' | 'high' | 'critical';

export interface Insight {
  insight_type: 'alert' | 'summary';
  alert_type: string;
  severity: Severity;
  /** One plain sentence. */
  summary: string;
  details: Record<string, unknown>;
  /** Capture time of the event's first packet or window (seconds since the epoch). */
  event_ts: number | null;
  window_start: number | null;
  window_end: number | null;
}

/** The anomaly model's view of one window, as the rules read it. */
export interface AnomalyView {
  score: number;
  isAnomaly: boolean;
  top: { feature: string; direction: string } | null;
}

/** What the detector hands the rules: the analysed capture and the model's view of its windows. */
export interface RuleInputs {
  windows: WindowSet;
  /** The windows' rows, when the caller has built them already. */
  rows?: WindowRow[];
  actors: WindowActors[];
  analyzer: Analyzer;
  summary: Summary;
  anomalies: AnomalyView[];
  /** The flow index grouped by window, when the caller has built it already. */
  groups?: FlowGroups | null;
  /** Log transactions and intel lists, when the caller has them. */
  extras?: DetectExtras;
}

/** One rule: reads the context, returns its insights (in any order; the detector sorts them). */
export type Rule = (ctx: RuleContext) => Insight[];

/** What every rule reads, and what one rule leaves for a later one in the list. */
export interface RuleContext {
  windows: WindowSet;
  rows: WindowRow[];
  actors: WindowActors[];
  index: FlowIndex | null;
  analyzer: Analyzer;
  summary: Summary;
  anomalies: AnomalyView[];
  /** The index grouped by start window: given by the caller, or built on first use. */
  groups: FlowGroups | null;
  /** Flow numbers a rule matched, before they are sorted (grown as needed). */
  scratch: Uint32Array;
  /**
   * The hosts `portScans` found scanned: it fills this, and `rstStorms`, after it in RULE_LIST,
   * skips a storm of resets from one of them (a scan victim answering closed ports is the scan).
   */
  scanVictims: Set<number>;
  /**
   * The SYN floods `synFloods` found (victim, port, widened window range, the alert's details):
   * `rstStorms`, after it in RULE_LIST, folds a storm of the flood's own resets into its alert.
   */
  floods: { victim: number; port: number; from: number; to: number; details: Record<string, unknown> }[];
  /** The insights of the rules run so far (`detectInsights` adds each rule's): `anomalyBursts` leaves out windows a rule explained. */
  raised: Insight[];
  /** The capture's DNS, HTTP and TLS transactions, when the analysis pass handed them over. */
  logs: LogTransactions | null;
  /** The intel lists to match, compiled; null without lists. */
  intel: IntelMatcher | null;
}

export function createContext(inputs: RuleInputs): RuleContext {
  const { windows, analyzer } = inputs;
  return {
    windows,
    rows: inputs.rows ?? windows.toArray(),
    actors: inputs.actors,
    index: analyzer.flowIndex,
    analyzer,
    summary: inputs.summary,
    anomalies: inputs.anomalies,
    groups: inputs.groups ?? null,
    scratch: new Uint32Array(1024),
    scanVictims: new Set(),
    floods: [],
    raised: [],
    logs: inputs.extras?.logs ?? null,
    intel: inputs.extras?.intel?.length ? new IntelMatcher(inputs.extras.intel) : null,
  };
}

/**
 * The flow index grouped by the window each flow starts in, so that a rule looks at the flows of
 * its windows instead of every flow of the capture for every event: with millions of flows and
 * hundreds of events that was most of the detection's time.
 */
function grouped(ctx: RuleContext): FlowGroups {
  if (!ctx.groups) ctx.groups = groupFlows(ctx.index!, ctx.windows);
  return ctx.groups;
}

/** The windows from..to clamped as the grouping's offsets allow: windows [first, end). */
function windowSpan(g: FlowGroups, from: number, to: number): [number, number] {
  const last = g.offsets.length - 2;
  return [Math.max(0, Math.min(from, last + 1)), Math.max(0, Math.min(to + 1, last + 1))];
}

/** Room for `n` flow numbers in the scratch buffer. */
function scratch(ctx: RuleContext, n: number): Uint32Array {
  if (ctx.scratch.length < n) ctx.scratch = new Uint32Array(Math.max(n, 2 * ctx.scratch.length));
  return ctx.scratch;
}

/**
 * Flows starting in windows from..to, ascending (the order a scan of the whole index gives), that
 * match: source `src` and destination `dst` (-1: any), dstPort << 16 | protocol << 8 | state under
 * `mask` equal to `meta` under it, and a state allowed by `states` (null: any). Matching on the
 * grouping's words first leaves only the matches to put in order (each window's are already).
 */
export function flowsIn(
  ctx: RuleContext,
  from: number,
  to: number,
  src: number,
  dst: number,
  mask: number,
  meta: number,
  states: Uint8Array | null = null,
): Uint32Array {
  if (!ctx.index) return new Uint32Array(0);
  const g = grouped(ctx);
  const [k0, k1] = windowSpan(g, from, to);
  const { offsets, flows, src: gsrc, dst: gdst, meta: gmeta } = g;
  const out = scratch(ctx, offsets[k1] - offsets[k0]);
  const want = meta & mask;
  const runs: number[] = [];
  let n = 0;
  for (let k = k0; k < k1; k++) {
    const start = n;
    for (let j = offsets[k]; j < offsets[k + 1]; j++) {
      const m = gmeta[j];
      if ((src < 0 || gsrc[j] === src) && (dst < 0 || gdst[j] === dst) && (m & mask) === want)
        if (states === null || states[m & 0xff] === 1) out[n++] = flows[j];
    }
    if (n > start) runs.push(start);
  }
  return mergeRuns(out, n, runs);
}

export function protoName(p: number): string {
  return p === 6 ? 'tcp' : p === 17 ? 'udp' : p === 1 ? 'icmp' : p === 58 ? 'icmpv6' : String(p);
}

export function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Consecutive windows (a gap of one quiet window allowed) where `key(k)` is the same non-null. */
export function runs(
  n: number,
  key: (k: number) => string | null,
): { key: string; from: number; to: number }[] {
  const out: { key: string; from: number; to: number }[] = [];
  for (let k = 0; k < n; k++) {
    const c = key(k);
    if (c === null) continue;
    const last = out[out.length - 1];
    if (last && last.key === c && k - last.to <= 2) last.to = k;
    else out.push({ key: c, from: k, to: k });
  }
  return out;
}

/**
 * A run of windows where one actor crossed a rule's threshold, widened by a window on each side:
 * an attack's first and last probes often fall in windows where it had only begun or was
 * ending, below the threshold, and they are still part of it (its count and first-packet time).
 */
export function widened(ctx: RuleContext, run: { from: number; to: number }): [number, number] {
  return [Math.max(0, run.from - 1), Math.min(ctx.rows.length - 1, run.to + 1)];
}

/** The windows of an event's first and last flow (the run itself when it had none). */
export function eventRange(ctx: RuleContext, run: { from: number; to: number }, first: number, last: number) {
  if (!Number.isFinite(first)) return windowRange(ctx, run.from, run.to);
  return windowRange(ctx, windowOf(first, ctx.windows), windowOf(last, ctx.windows));
}

/** Windows from..to, and the start of the first as the event's time. */
export function windowRange(ctx: RuleContext, from: number, to: number) {
  return { window_start: from, window_end: to, event_ts: ctx.rows[from]?.start_ts ?? null };
}

/** The first and last window of a capture-wide event's times (null when the capture has none). */
export function windowsOfTimes(ctx: RuleContext, first: number, last: number) {
  return {
    window_start: ctx.rows.length ? windowOf(first, ctx.windows) : null,
    window_end: ctx.rows.length ? windowOf(last, ctx.windows) : null,
  };
}

/** The whole capture: its first packet's time and all its windows (for the summary insights). */
export function wholeCapture(ctx: RuleContext) {
  const first = ctx.summary.file.first_ts;
  return {
    event_ts: first === null ? null : Number(first),
    window_start: ctx.rows.length ? 0 : null,
    window_end: ctx.rows.length ? ctx.rows.length - 1 : null,
  };
}

export function ip(ctx: RuleContext, id: number): string {
  return ctx.analyzer.addresses.format(id);
}
