import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatTimestamp, type PacketIndex } from '../src/capture/index.js';
import { DecodedPacket, decodePacket } from '../src/decode/index.js';
import { extractPackets, type FlowRef, parseAddress } from '../src/extract/index.js';
import {
  type AnalysedFlow,
  analysedFlows,
  Collect,
  hasTshark,
  type ReadBack,
  readBack,
  smallBlockIndex,
  spread,
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

/** Is the frame's first transport header (README, `protocols`) this one? From `frame.protocols`. */
function firstTransport(proto: string): string {
  return `frame.protocols matches "^(?:(?!(?:tcp|udp|icmp|icmpv6)(?::|$))[^:]+:)*${proto}(?::|$)"`;
}

/** tshark's display filter for a flow: its addresses and ports either way, and its time span. */
function tsharkFilter(flow: AnalysedFlow, records: ReadBack[]): string {
  const timed = records.filter((r) => r.hasTs);
  let span = '!frame.time_epoch';
  if (timed.length > 0) {
    let lo = timed[0];
    let hi = timed[0];
    for (const r of timed) {
      if (r.sec < lo.sec || (r.sec === lo.sec && r.nsec < lo.nsec)) lo = r;
      if (r.sec > hi.sec || (r.sec === hi.sec && r.nsec > hi.nsec)) hi = r;
    }
    // A Simple Packet Block has no time in tshark (Flowlens repeats the previous record's).
    span = `((frame.time_epoch >= ${formatTimestamp(lo.sec, lo.nsec)} && frame.time_epoch <= ${formatTimestamp(hi.sec, hi.nsec)}) || ${span})`;
  }
  const ip = parseAddress(flow.src_ip, 'source').v6 ? 'ipv6' : 'ip';
  const a = flow.src_ip;
  const b = flow.dst_ip;
  const pair = `((${ip}.src == ${a} && ${ip}.dst == ${b}) || (${ip}.src == ${b} && ${ip}.dst == ${a}))`;
  const proto = String(flow.protocol).toLowerCase();
  if (proto === 'tcp' || proto === 'udp') {
    const p = flow.src_port;
    const q = flow.dst_port;
    const ports = `((${proto}.srcport == ${p} && ${proto}.dstport == ${q}) || (${proto}.srcport == ${q} && ${proto}.dstport == ${p}))`;
    return `${firstTransport(proto)} && ${pair} && ${ports} && ${span}`;
  }
  if (proto === 'icmp' || proto === 'icmpv6') {
    const pkt = new DecodedPacket();
    const first = records[0];
    decodePacket(first.data, 0, first.capLen, first.origLen, first.linkType, pkt);
    const id = pkt.icmpId;
    const ident = proto === 'icmp' ? 'icmp.ident' : 'icmpv6.echo.identifier';
    const kind =
      id >= 0
        ? `${ident} == ${id}`
        : `${proto}.type == ${flow.src_port} && ${proto}.code == ${flow.dst_port}`;
    return `${firstTransport(proto)} && ${pair} && ${kind} && ${span}`;
  }
  // Other IP protocols: no transport header at all, and not a later fragment.
  const none = `!(frame.protocols matches "(?:^|:)(?:tcp|udp|icmp|icmpv6)(?::|$)")`;
  return `${none} && !(ip.frag_offset > 0) && ${pair} && ${span}`;
}
