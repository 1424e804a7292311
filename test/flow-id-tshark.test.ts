import { describe, expect, it } from 'vitest';
import { analyzeCapture } from '../src/analysis/index.js';
import { hasSharedPcaps, realCaptures, SHARED_PCAPS } from './helpers/shared.js';
import { hasTshark, tsharkFields } from './helpers/tshark.js';

/**
 * A flow's id is the frame number of the packet that started it, so `tshark -Y frame.number==ID`
 * shows that packet: on every public capture, each flow's id names a frame that tshark shows
 * carrying both of the flow's addresses. tshark also numbers pcapng custom blocks as frames
 * (they are not packets, README): where it counts more frames than the file has packets, its
 * numbers run ahead and the file is left out, and the test says which.
 */
describe.skipIf(!hasSharedPcaps || !hasTshark)('flow ids are the frame numbers tshark shows', () => {
  it.each(realCaptures())('%s', { timeout: 60_000 }, async (file) => {
    const path = `${SHARED_PCAPS}/real/${file}`;
    const flows: { id: number; src: string; dst: string }[] = [];
    const r = await analyzeCapture(path, {
      threads: 1,
      onFlow: (f, a) =>
        flows.push({ id: f.flowId, src: a.addresses.format(f.srcId), dst: a.addresses.format(f.dstId) }),
    });
    const frames = tsharkFields(path, 'frame', ['frame.number', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst']);
    if (frames.length !== r.analyzer.stats.packets) {
      // Only a file with custom blocks may differ, and then only by having more frames.
      expect(frames.length).toBeGreaterThan(r.analyzer.stats.packets);
      console.warn(
        `${file}: tshark shows ${frames.length} frames for ${r.analyzer.stats.packets} packets; left out`,
      );
      return;
    }
    const byNumber = new Map(frames.map((f) => [Number(f[0][0]), new Set(f.slice(1).flat())]));
    const wrong = flows.filter((f) => {
      const seen = byNumber.get(f.id);
      return seen === undefined || !seen.has(f.src) || !seen.has(f.dst);
    });
    expect(flows.length).toBe(r.analyzer.flowCounts.total);
    expect(wrong.slice(0, 5)).toEqual([]);
  });
});
