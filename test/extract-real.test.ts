import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PacketIndex } from '../src/capture/index.js';
import { extractPackets, type FlowRef } from '../src/extract/index.js';
import {
  type AnalysedFlow,
  analysedFlows,
  Collect,
  hasTshark,
  type ReadBack,
  readBack,
  smallBlockIndex,
  spread,
  tsharkFilter,
  tsharkFrames,
} from './helpers/extract.js';
import { hasSharedPcaps, realCaptures, SHARED_PCAPS } from './helpers/shared.js';

/** Flows checked per capture (evenly spread over its flows), to bound the time. */
const FLOWS_PER_FILE = 40;
/** Flows per capture given to tshark in one combined filter. */
const TSHARK_FLOWS_PER_FILE = 12;

const dir = mkdtempSync(join(tmpdir(), 'flowlens-extract-real-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function extractTo(path: string, index: PacketIndex, flows: FlowRef[]) {
  const out = new Collect();
  const selection =
    flows.length === 1 ? { kind: 'flow' as const, flow: flows[0] } : { kind: 'flows' as const, flows };
  const result = await extractPackets(path, selection, out, { index });
  return { result, ...(await readBack(out.bytes)), bytes: out.bytes };
}

describe.skipIf(!hasSharedPcaps)('the packets of each flow of the real captures', () => {
  for (const file of realCaptures()) {
    it(`${file}: each flow, extracted alone, reads back as exactly the packets and bytes the analysis counted`, async () => {
      const path = `${SHARED_PCAPS}/real/${file}`;
      const flows = await analysedFlows(path);
      const index = await smallBlockIndex(path);
      for (const flow of spread(flows, FLOWS_PER_FILE)) {
        const { result, records } = await extractTo(path, index, [flow]);
        const what = `flow ${flow.flow_id} ${flow.protocol} ${flow.src_ip}:${flow.src_port} → ${flow.dst_ip}:${flow.dst_port}`;
        expect(result.warnings, what).toEqual([]);
        expect({ packets: records.length, bytes: sum(records) }, what).toEqual({
          packets: flow.packets,
          bytes: flow.bytes,
        });
        expect(result.packets, what).toBe(flow.packets);
        // A Simple Packet Block has no time of its own (it repeats the previous record's).
        if (records.every((r) => r.hasTs)) {
          const times = records.map((r) => r.sec + r.nsec / 1e9);
          expect([Math.min(...times), Math.max(...times)], what).toEqual([flow.first_ts, flow.last_ts]);
        }
      }
    });
  }
});

describe.skipIf(!hasSharedPcaps || !hasTshark())('extracted flows against tshark', () => {
  for (const file of realCaptures()) {
    it(`${file}: tshark reads the same frames from the extracted file as its own filter picks from the original`, async () => {
      const path = `${SHARED_PCAPS}/real/${file}`;
      const flows = spread(await analysedFlows(path), TSHARK_FLOWS_PER_FILE);
      if (flows.length === 0) return;
      const index = await smallBlockIndex(path);
      // Each flow's filter needs its exact time span, and an echo flow its identifier: both from
      // the flow's own packets as extracted (checked against the analysis by the test above).
      const filters: string[] = [];
      for (const flow of flows) {
        const { records } = await extractTo(path, index, [flow]);
        filters.push(tsharkFilter(flow, records));
      }
      const { bytes, result } = await extractTo(path, index, flows);
      const extracted = join(dir, `${file}.flows`);
      writeFileSync(extracted, bytes);
      const want = tsharkFrames(path, filters.map((f) => `(${f})`).join(' || '));
      expect(want.length).toBe(flows.reduce((n, f) => n + (f as AnalysedFlow).packets, 0));
      expect(tsharkFrames(extracted)).toEqual(want);
      expect(result.packets).toBe(want.length);
    });
  }
});

function sum(records: ReadBack[]): number {
  return records.reduce((n, r) => n + r.origLen, 0);
}
