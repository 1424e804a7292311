import { AddressTable } from './address-table.js';
import { CONN_STATES } from './conn-states.js';
import { FlowIndex } from './flow-index.js';
import { type FlowStageState, topFlowOrder } from './flow-stage.js';
import { type LogRows, settleLogRows } from './log-rows.js';
import type { LogTotals, Tally } from './logs.js';
import { WindowAccumulator, type WindowAccumulatorState } from './windows.js';

/**
 * Merges the flow halves of several shards (flows spread by their key's hash, see `pipeline.ts`)
 * into the one a single thread would have made:
 * - addresses get the ids one thread gives them, by the frame that first showed each (every shard's
 *   ids are already in that order, so a k-way merge finds it), and everything keyed by address id
 *   (talkers, the flow index, the windows' distinct addresses) is re-keyed;
 * - counts and sums add up; "first" orders use flow ids, which are frame numbers and so the same
 *   in any shard (conn_state order, top-flow ties, the flow index and log rows are in id or content
 *   order, never in the order flows happened to end).
 * The windows are returned apart: the packet half absorbs them with `ids` (see `Analyzer.finishWith`).
 */
export interface MergedShards {
  state: FlowStageState;
  /** Each shard's windows, and its address ids in the merged table. */
  windows: WindowAccumulatorState[];
  ids: Int32Array[];
}

export function mergeShards(states: FlowStageState[], topN: number): MergedShards {
  const tables = states.map((s) => AddressTable.restore(s.addresses));
  const { addresses, firstSeen, ids } = mergeAddresses(tables, states);
  const n = addresses.size;
  const talk = new Float64Array(4 * Math.max(n, 1));
  states.forEach((s, k) => {
    const map = ids[k];
    for (let id = 0; id < tables[k].size; id++) {
      const g = 4 * map[id];
      for (let j = 0; j < 4; j++) talk[g + j] += s.talk[4 * id + j];
    }
  });
  const first = states[0];
  const flowCounts = { total: 0, tcp: 0, udp: 0, icmp: 0, other: 0 };
  const directionBytes = new Float64Array(4);
  const directionPackets = new Float64Array(4);
  const flowDurations = new Float64Array(first.flowDurations.length);
  const stateCounts = new Float64Array(first.stateCounts.length);
  const stateFirst = new Float64Array(CONN_STATES.length).fill(Number.POSITIVE_INFINITY);
  const portFlows = new Float64Array(first.portFlows.length);
  const portPackets = new Float64Array(first.portPackets.length);
  const portBytes = new Float64Array(first.portBytes.length);
  const portOrder: number[] = [];
  let retransmissions = 0;
  for (const s of states) {
    for (const k of Object.keys(flowCounts) as (keyof typeof flowCounts)[]) flowCounts[k] += s.flowCounts[k];
    addInto(directionBytes, s.directionBytes);
    addInto(directionPackets, s.directionPackets);
    addInto(flowDurations, s.flowDurations);
    addInto(stateCounts, s.stateCounts);
    for (let c = 0; c < stateFirst.length; c++) stateFirst[c] = Math.min(stateFirst[c], s.stateFirst[c]);
    retransmissions += s.retransmissions;
    for (const key of s.portOrder) {
      if (portFlows[key] === 0) portOrder.push(key);
      portFlows[key] += s.portFlows[key];
      portPackets[key] += s.portPackets[key];
      portBytes[key] += s.portBytes[key];
    }
  }
  const topFlows = states
    .flatMap((s) => s.topFlows)
    .sort(topFlowOrder)
    .slice(0, topN);
  const indexes = states.map((s) => (s.flowIndex ? FlowIndex.restore(s.flowIndex) : null));
  const flowIndex = indexes.every((x) => x !== null)
    ? FlowIndex.merge(indexes as FlowIndex[], ids).exportState()
    : null;
  const state: FlowStageState = {
    addresses: addresses.exportState(),
    firstSeen,
    talk,
    locality: new Uint8Array(Math.max(n, 1)),
    directionBytes,
    directionPackets,
    retransmissions,
    flowCounts,
    flowDurations,
    stateCounts,
    stateFirst,
    portFlows,
    portPackets,
    portBytes,
    portOrder,
    topFlows,
    flowIndex,
    windows: new WindowAccumulator(first.windows.fixed).exportState(),
    logs: mergeLogTotals(states.map((s) => s.logs)),
    logRows: mergeLogRows(states.map((s) => s.logRows)),
  };
  return { state, windows: states.map((s) => s.windows), ids };
}

/** The merged address table: every shard's addresses by the frame that first showed them. */
function mergeAddresses(
  tables: AddressTable[],
  states: FlowStageState[],
): { addresses: AddressTable; firstSeen: Float64Array; ids: Int32Array[] } {
  const out = new AddressTable();
  const ids = tables.map((t) => new Int32Array(t.size));
  const at = tables.map(() => 0);
  const firstSeen: number[] = [];
  const words = new Int32Array(4);
  for (;;) {
    let best = -1;
    let key = 0;
    for (let s = 0; s < tables.length; s++) {
      if (at[s] >= tables[s].size) continue;
      const k = states[s].firstSeen[at[s]];
      if (best < 0 || k < key) {
        best = s;
        key = k;
      }
    }
    if (best < 0) break;
    const local = at[best]++;
    const t = tables[best];
    const w = t.wordsOf(local);
    for (let i = 0; i < w.length; i++) words[i] = w[i] | 0;
    const before = out.size;
    const g = out.intern(t.familyOf(local), words, 0);
    if (g === before) firstSeen.push(key);
    ids[best][local] = g;
  }
  return { addresses: out, firstSeen: Float64Array.from(firstSeen), ids };
}

function addInto(to: Float64Array, from: Float64Array): void {
  for (let i = 0; i < to.length; i++) to[i] += from[i];
}

function mergeTally(a: Tally, b: Tally): Tally {
  const counts = Object.create(null) as Record<string, number>;
  for (const t of [a, b]) for (const [k, v] of Object.entries(t.counts)) counts[k] = (counts[k] ?? 0) + v;
  return { counts, distinct: Object.keys(counts).length, others: a.others + b.others };
}

/** Sums the parsers' counters field by field (tallies by text, arrays by place). */
function mergeValue(a: unknown, b: unknown): unknown {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (Array.isArray(a) && Array.isArray(b)) return a.map((x, i) => (x as number) + ((b[i] as number) ?? 0));
  if (a !== null && typeof a === 'object' && b !== null && typeof b === 'object') {
    if ('counts' in a && 'others' in a) return mergeTally(a as Tally, b as Tally);
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(a))
      out[k] = mergeValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]);
    return out;
  }
  return a ?? b;
}

function mergeLogTotals(all: (LogTotals | null)[]): LogTotals | null {
  if (all.some((t) => t === null)) return null;
  const [head, ...rest] = all as LogTotals[];
  let out = { ...head, attach: null } as LogTotals;
  for (const t of rest) out = mergeValue(out, { ...t, attach: null }) as LogTotals;
  return out;
}

function mergeLogRows(all: (LogRows | null)[]): LogRows | null {
  if (all.some((r) => r === null)) return null;
  const rows = all as LogRows[];
  const out: LogRows = {
    dns: rows.flatMap((r) => r.dns),
    http: rows.flatMap((r) => r.http),
    tls: rows.flatMap((r) => r.tls),
    dropped: {
      dns: rows.reduce((n, r) => n + r.dropped.dns, 0),
      http: rows.reduce((n, r) => n + r.dropped.http, 0),
      tls: rows.reduce((n, r) => n + r.dropped.tls, 0),
    },
    cap: rows[0].cap,
  };
  settleLogRows(out);
  return out;
}
