import type { CaptureRecord, PacketIndex } from '../capture/index.js';
import { SelectionError } from './errors.js';

/**
 * A capture time as a selection gives it: a decimal string of seconds since the epoch with up to
 * 9 decimals (exact, as the summaries and tshark's frame.time_epoch write it), or a number, taken
 * as the analysis' own double (`sec + nsec / 1e9`, what stored flows and windows hold).
 */
export type Timestamp = string | number;

/**
 * A bound on record times. Strings and whole numbers compare exactly on (seconds, nanoseconds);
 * other numbers compare as the analysis compares, on the record's double. A double cannot tell
 * nanoseconds apart at today's dates, so only the analysis' own doubles should be passed as numbers.
 */
export interface TimeBound {
  sec: number;
  nsec: number;
  /** The double to compare with, or NaN for an exact bound. */
  double: number;
}

/** Times between `from` and `to` (either may be absent); `to` itself is excluded when `toExclusive`. */
export interface TimeRange {
  from: TimeBound | null;
  to: TimeBound | null;
  toExclusive: boolean;
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d{1,9}))?$/;

export function parseTimestamp(value: Timestamp, what: string): TimeBound {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new SelectionError(`${what} is not a time: ${value}`);
    if (Number.isInteger(value)) return { sec: value, nsec: 0, double: Number.NaN };
    return { sec: Math.floor(value), nsec: 0, double: value };
  }
  const m = DECIMAL.exec(String(value).trim());
  if (!m)
    throw new SelectionError(`${what} is not a time in seconds since 1970 (up to 9 decimals): '${value}'`);
  const whole = Number(m[2]);
  const frac = m[3] ? Number(m[3].padEnd(9, '0')) : 0;
  if (!Number.isSafeInteger(whole)) throw new SelectionError(`${what} is out of range: '${value}'`);
  if (m[1] !== '-' || (whole === 0 && frac === 0)) return { sec: whole, nsec: frac, double: Number.NaN };
  // -1.25 s is -2 s + 0.75 s: nanoseconds stay within 0 … 999,999,999.
  return frac === 0
    ? { sec: -whole, nsec: 0, double: Number.NaN }
    : { sec: -whole - 1, nsec: 1_000_000_000 - frac, double: Number.NaN };
}

/** The bound `length` seconds after `start`: exact when both are, else as a double. */
export function addSeconds(start: TimeBound, length: number): TimeBound {
  const ns = Math.round(length * 1e9);
  if (Number.isNaN(start.double) && Math.abs(ns - length * 1e9) < 1e-3 && Number.isSafeInteger(ns)) {
    const total = start.nsec + ns;
    const carry = Math.floor(total / 1e9);
    return { sec: start.sec + carry, nsec: total - carry * 1e9, double: Number.NaN };
  }
  const d = boundDouble(start) + length;
  return { sec: Math.floor(d), nsec: 0, double: d };
}

/** The bound as the analysis' double (exact bounds are rounded as the analysis rounds a record's time). */
export function boundDouble(b: TimeBound): number {
  return Number.isNaN(b.double) ? b.sec + b.nsec / 1e9 : b.double;
}

/** Is the record's time at or after the bound? */
export function atOrAfter(rec: CaptureRecord, b: TimeBound): boolean {
  if (Number.isNaN(b.double)) return rec.tsSec > b.sec || (rec.tsSec === b.sec && rec.tsNsec >= b.nsec);
  return rec.tsSec + rec.tsNsec / 1e9 >= b.double;
}

/** Is the record's time at or before the bound (before it, when `strictly`)? */
export function atOrBefore(rec: CaptureRecord, b: TimeBound, strictly: boolean): boolean {
  if (Number.isNaN(b.double)) {
    if (rec.tsSec !== b.sec) return rec.tsSec < b.sec;
    return strictly ? rec.tsNsec < b.nsec : rec.tsNsec <= b.nsec;
  }
  const t = rec.tsSec + rec.tsNsec / 1e9;
  return strictly ? t < b.double : t <= b.double;
}

export function inRange(rec: CaptureRecord, r: TimeRange): boolean {
  return (
    (r.from === null || atOrAfter(rec, r.from)) && (r.to === null || atOrBefore(rec, r.to, r.toExclusive))
  );
}

export function checkOrder(r: TimeRange, what: string): void {
  if (r.from === null || r.to === null) return;
  const a = r.from;
  const b = r.to;
  const after =
    Number.isNaN(a.double) && Number.isNaN(b.double)
      ? a.sec > b.sec || (a.sec === b.sec && a.nsec > b.nsec)
      : boundDouble(a) > boundDouble(b);
  if (after) throw new SelectionError(`${what}: the start is after the end`);
}

/**
 * Slack when a double bound is compared with the index's exact block times: far more than a
 * double's rounding at any date a capture can hold, and nothing next to a block's span.
 */
const DOUBLE_SLACK_S = 0.001;

/** Could block `i` of the index hold a record in the range? */
export function blockMayHold(index: PacketIndex, i: number, r: TimeRange): boolean {
  const b = index.blocks;
  // The block's records lie in [minSec, maxSec + 1).
  if (r.from !== null) {
    const f = r.from;
    if (Number.isNaN(f.double) ? b.maxSec[i] < f.sec : b.maxSec[i] + 1 < f.double - DOUBLE_SLACK_S)
      return false;
  }
  if (r.to !== null) {
    const t = r.to;
    if (Number.isNaN(t.double) ? b.minSec[i] > t.sec : b.minSec[i] > t.double + DOUBLE_SLACK_S) return false;
  }
  return true;
}
