import { readCapture } from '../capture/index.js';
import { WindowAccumulator } from './windows.js';

/** The windows a capture will have: window 0 starts at t0, each lasts lengthS, count of them. */
export interface CaptureWindowing {
  t0: number;
  lengthS: number;
  count: number;
}

/**
 * The capture's windows, from a quick pass over its records' timestamps alone (no decoding): the
 * same records, the same time range and the same window length (`auto` or fixed) as the full
 * analysis, so a loader can give each flow its window while the analysis still runs. Null when
 * the capture cannot be read or has too many windows (the analysis then says why). `onBytes`
 * sees the file's bytes, to hash them in the same pass.
 */
export async function scanWindowing(
  path: string,
  windowLength: number | null,
  options: { onBytes?: (bytes: Buffer) => void; signal?: AbortSignal } = {},
): Promise<CaptureWindowing | null> {
  const windows = new WindowAccumulator(windowLength);
  // The time range as CaptureStats keeps it: records without a timestamp are left out of it,
  // but still counted in the window of the time they repeat.
  let has = false;
  let minSec = 0;
  let minNsec = 0;
  let maxSec = 0;
  let maxNsec = 0;
  try {
    await readCapture(
      path,
      (rec) => {
        const sec = rec.tsSec;
        const nsec = rec.tsNsec;
        if (rec.hasTimestamp) {
          if (!has) {
            has = true;
            minSec = maxSec = sec;
            minNsec = maxNsec = nsec;
          } else {
            if (sec < minSec || (sec === minSec && nsec < minNsec)) {
              minSec = sec;
              minNsec = nsec;
            }
            if (sec > maxSec || (sec === maxSec && nsec > maxNsec)) {
              maxSec = sec;
              maxNsec = nsec;
            }
          }
        }
        windows.rowOf(sec, nsec);
      },
      { onBytes: options.onBytes, signal: options.signal },
    );
    const set = windows.finish(minSec, minNsec, maxSec, maxNsec, has);
    return { t0: set.t0, lengthS: set.lengthS, count: set.count };
  } catch (err) {
    if (options.signal?.aborted) throw err;
    return null;
  }
}
