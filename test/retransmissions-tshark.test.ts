import { describe, expect, it } from 'vitest';
import {
  closeToTshark,
  flowlensRetransmissions,
  flowsApart,
  tsharkRetransmissions,
} from './helpers/retransmissions.js';
import { hasSharedPcaps, realCaptures, SHARED_PCAPS } from './helpers/shared.js';
import { hasTshark } from './helpers/tshark.js';

/**
 * Retransmissions as tshark counts them (`tcp.analysis.retransmission`, fast and spurious
 * included), on every public capture: the total and each flow's, within 5% where tshark counts 20
 * or more and within 1 elsewhere.
 */

describe.skipIf(!hasSharedPcaps || !hasTshark)(
  'retransmissions against tshark on the public captures',
  () => {
    for (const name of realCaptures()) {
      it(`${name}: retransmissions in the summary and in each flow are tshark's`, async () => {
        const path = `${SHARED_PCAPS}/real/${name}`;
        const theirs = tsharkRetransmissions(path);
        const ours = await flowlensRetransmissions(path);
        let total = 0;
        for (const n of theirs.values()) total += n;
        expect(closeToTshark(ours.total, total), `${ours.total} vs tshark's ${total}`).toBe(true);
        expect(flowsApart(ours.byFlow, theirs)).toEqual([]);
      }, 120_000);
    }
  },
);
