import { formatPercent } from '../../../../src/format/index.js';
import type { Direction } from '../../api/types.js';

// What the Traffic page says when little traffic crossed the local networks' edge (pure, tested).

/** Below this share of the IP bytes crossing the local networks' edge, the in/out split says little. */
export const CROSSING_SHARE_MIN = 0.1;

/**
 * What to say when little of the traffic crossed the local networks' boundary: which side nearly
 * everything stayed on, or null when in + out is a fair share of the IP bytes (or there are none).
 */
export function boundaryNote(d: Direction): string | null {
  const all = d.inbound_bytes + d.outbound_bytes + d.internal_bytes + d.external_bytes;
  const inOut = d.inbound_bytes + d.outbound_bytes;
  if (all === 0 || inOut / all >= CROSSING_SHARE_MIN) return null;
  const share = formatPercent((inOut / all) * 100);
  if (d.external_bytes >= d.internal_bytes) {
    const ext = formatPercent((d.external_bytes / all) * 100);
    return `Only ${share} of the IP bytes crossed the edge of the local networks: ${ext} went between remote addresses (external). The local networks probably do not fit this capture.`;
  }
  const int = formatPercent((d.internal_bytes / all) * 100);
  return `Only ${share} of the IP bytes crossed the edge of the local networks: ${int} stayed between local addresses (internal), so inbound vs outbound says little here.`;
}
