import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeLossyCapture } from '../src/generate/index.js';
import {
  closeToTshark,
  flowlensRetransmissions,
  flowsApart,
  tsharkRetransmissions,
} from './helpers/retransmissions.js';
import { hasTshark, tsharkFields } from './helpers/tshark.js';

/** How many frames tshark flags with `tcp.analysis.<what>`. */
function tsharkCount(path: string, what: string): number {
  return tsharkFields(path, `tcp.analysis.${what}`, ['frame.number']).length;
}

describe.skipIf(!hasTshark)('retransmissions on a generated lossy link, against tshark', () => {
  for (const [family, seed] of [
    [4, 7],
    [6, 8],
  ] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'flowlens-lossy-'));
    const path = join(dir, `lossy-ipv${family}.pcap`);
    const truth = writeLossyCapture(path, { seed, family });

    it(`IPv${family}: the capture has each case, as tshark sees it (drops re-sent, fast retransmits, out of order, keep-alives, zero-window probes)`, () => {
      expect(truth.dropped).toBeGreaterThan(50);
      expect(truth.coalesced).toBeGreaterThan(5);
      expect(truth.timeouts).toBeGreaterThan(0);
      expect(tsharkCount(path, 'retransmission')).toBe(truth.dropped);
      expect(tsharkCount(path, 'fast_retransmission')).toBe(truth.fastRetransmits);
      expect(tsharkCount(path, 'out_of_order')).toBe(truth.outOfOrder);
      expect(tsharkCount(path, 'keep_alive')).toBe(truth.keepAlives);
      expect(tsharkCount(path, 'zero_window_probe')).toBe(truth.zeroWindowProbes);
      expect(tsharkCount(path, 'duplicate_ack')).toBeGreaterThan(truth.fastRetransmits * 2);
    }, 60_000);

    it(`IPv${family}: retransmissions in the summary and in each flow are tshark's and the drops'`, async () => {
      const theirs = tsharkRetransmissions(path);
      const ours = await flowlensRetransmissions(path);
      let total = 0;
      for (const n of theirs.values()) total += n;
      expect(theirs.size).toBe(12);
      expect(closeToTshark(ours.total, total), `${ours.total} vs tshark's ${total}`).toBe(true);
      expect(flowsApart(ours.byFlow, theirs)).toEqual([]);
      expect(ours.total).toBe(truth.dropped);
    }, 60_000);
  }
});
