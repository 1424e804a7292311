import { formatCount } from '../../../../src/format/index.js';
import type { AnomaliesResponse } from '../../api/types.js';

// When the anomaly model cannot flag any window, in the anomalies page's words (the overview says
// the same beside its score chart).

/**
 * Too few windows with traffic for the model to judge a busy one (docs/DETECTION.md): every window
 * is scored, none is flagged, whatever its score.
 */
export function modelCannotFlag(d: AnomaliesResponse): boolean {
  const m = d.model;
  return m?.active_training_windows !== undefined && m.active_training_windows < (m.min_active_windows ?? 0);
}

/** Why no window is flagged when the model cannot flag, in the anomalies page's words. */
export function cannotFlagText(d: AnomaliesResponse): string {
  return `Only ${formatCount(d.model?.active_training_windows ?? 0)} of these windows carry traffic, fewer than the ${d.model?.min_active_windows} the model needs to judge a busy window: busy windows are scored but none is flagged, whatever its score.`;
}
