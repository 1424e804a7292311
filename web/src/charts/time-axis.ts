import type uPlot from 'uplot';

// The time axis of every chart: its tick steps and labels (pure, so the tests check them).

/**
 * Tick steps of a time axis in seconds: no step is more than 2.5 times the one before, so the axis
 * can always be given four ticks or more (uPlot's own list jumps from 1 s to 5 s and from 5 s to 10
 * s: a 6 s capture got a single tick).
 */
export const TIME_INCRS: number[] = [
  0.001,
  0.002,
  0.005,
  0.01,
  0.02,
  0.05,
  0.1,
  0.2,
  0.5,
  1,
  2,
  5,
  10,
  15,
  30,
  60,
  120,
  300,
  600,
  900,
  1800,
  3600,
  7200,
  3 * 3600,
  6 * 3600,
  12 * 3600,
  86400,
  2 * 86400,
  5 * 86400,
  10 * 86400,
  15 * 86400,
  30 * 86400,
  60 * 86400,
  91 * 86400,
  182 * 86400,
  365 * 86400,
  2 * 365 * 86400,
  5 * 365 * 86400,
  10 * 365 * 86400,
];

/** Room a time label "18:48:55" takes, in CSS pixels (11 px digits), with a gap. */
const LABEL_ROOM = 62;
/** Room of a label without seconds ("18:48", or a date over a time), with a gap. */
const SHORT_LABEL_ROOM = 44;
/** Room of a sub-second label's second line (".250"). */
const MS_LABEL_ROOM = 34;

/** The fallback room between time ticks when the axis has no span yet. */
export function timeSpace(_plotDim: number, _span: number): number {
  return LABEL_ROOM;
}

/**
 * Whether ticks `step` seconds apart leave each label its room, at `perSec` pixels a second: the
 * labels' widths depend on the step (timeLabels). Ticks under a second apart carry the time of day
 * only where the second changes, so that needs its room once a second.
 */
function fits(step: number, perSec: number, span: number): boolean {
  if (span > 86400 || step >= 60) return step * perSec >= SHORT_LABEL_ROOM;
  if (step >= 1) return step * perSec >= LABEL_ROOM;
  return step * perSec >= MS_LABEL_ROOM && perSec >= LABEL_ROOM;
}

/**
 * The step between time ticks: the smallest whose labels do not run into each other on a plot
 * `plotDim` wide showing `span` seconds (on a small chart that may be two or three ticks: fewer
 * ticks rather than labels printed over each other, "18:48:5018:48:55"), but whole seconds rather
 * than fractions when a span of four seconds or more gives four ticks with them.
 */
export function timeStep(plotDim: number, span: number): number {
  const perSec = plotDim / span;
  const step = TIME_INCRS.find((i) => fits(i, perSec, span)) ?? TIME_INCRS[TIME_INCRS.length - 1];
  return step < 1 && span >= 4 ? 1 : step;
}

/**
 * Tick labels for a time axis in seconds (UTC), as precise as the step between ticks: the date over
 * more than a day, hours and minutes for whole minutes, whole seconds without milliseconds; only
 * ticks under a second apart carry milliseconds, on a second line (the time of day above it where
 * the second changes).
 */
export function timeLabels(
  _u: uPlot,
  splits: number[],
  _axis?: number,
  _space?: number,
  incr?: number,
): string[] {
  const { min = 0, max = 0 } = _u.scales.x;
  const span = max - min;
  const step = incr ?? (splits.length > 1 ? splits[1] - splits[0] : span);
  let lastSecond = '';
  return splits.map((s) => {
    const iso = new Date(Math.round(s * 1000)).toISOString();
    if (span > 86400) return `${iso.slice(5, 10)}\n${iso.slice(11, 16)}`;
    if (step >= 60 && splits.every((x) => Math.round(x * 1000) % 60000 === 0)) return iso.slice(11, 16);
    if (step >= 1 - 1e-9) return iso.slice(11, 19);
    const second = iso.slice(11, 19);
    const top = second === lastSecond ? '' : second;
    lastSecond = second;
    return `${top}\n${iso.slice(19, 23)}`;
  });
}
