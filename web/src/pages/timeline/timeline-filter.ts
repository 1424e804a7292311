import type { Anomaly } from '../../api/types.js';

// The timeline page's URL filters and the window an alert's scores link opens (pure, tested).

/**
 * The window of `from`…`to` with the highest anomaly score (the first of equals), or `from` when no
 * score of the range is known: the window an alert's "Anomaly scores" link opens.
 */
export function peakWindow(anomalies: Anomaly[] | undefined, from: number, to: number): number {
  let best = from;
  let bestScore = -Infinity;
  for (const a of anomalies ?? []) {
    if (a.window_id < from || a.window_id > to) continue;
    if (a.score > bestScore || (a.score === bestScore && a.window_id < best)) {
      best = a.window_id;
      bestScore = a.score;
    }
  }
  return best;
}

/** The severities and alert types the URL's `severity` and `type` keep shown (null: all of them). */
export interface AlertFilter {
  severities: Set<string> | null;
  types: Set<string> | null;
}

export function readFilter(search: URLSearchParams): AlertFilter {
  const list = (k: string) => {
    const v = search.get(k);
    return v === null ? null : new Set(v.split(',').filter((x) => x !== ''));
  };
  return { severities: list('severity'), types: list('type') };
}

/**
 * The URL with `value` of the `key` filter toggled, out of `all`: the parameter lists what stays
 * shown, and is dropped when that is everything again.
 */
export function toggleFilter(
  search: URLSearchParams,
  key: 'severity' | 'type',
  value: string,
  all: string[],
): URLSearchParams {
  const s = new URLSearchParams(search);
  const v = s.get(key);
  const shown = new Set(v === null ? all : v.split(',').filter((x) => x !== ''));
  if (shown.has(value)) shown.delete(value);
  else shown.add(value);
  const kept = all.filter((x) => shown.has(x));
  if (kept.length === all.length) s.delete(key);
  else s.set(key, kept.join(','));
  return s;
}
