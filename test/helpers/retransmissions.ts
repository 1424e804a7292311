import { protocolName } from '../../src/analysis/flow-stage.js';
import { analyzeCapture } from '../../src/analysis/index.js';
import { tsharkFields } from './tshark.js';

/** Retransmissions by flow, Flowlens' and tshark's (`tcp.analysis.retransmission`), and how close they must be. */

/** One flow's key: its two ends "address port", in sorted order. */
function flowKey(a: string, ap: number, b: string, bp: number): string {
  const x = `${a} ${ap}`;
  const y = `${b} ${bp}`;
  return x < y ? `${x}|${y}` : `${y}|${x}`;
}

/** tshark's retransmissions of a capture, by flow (the innermost addresses, as Flowlens sees a packet). */
export function tsharkRetransmissions(path: string): Map<string, number> {
  const rows = tsharkFields(path, 'tcp.analysis.retransmission', [
    'ip.src',
    'ipv6.src',
    'ip.dst',
    'ipv6.dst',
    'tcp.srcport',
    'tcp.dstport',
  ]);
  const byFlow = new Map<string, number>();
  for (const [src4, src6, dst4, dst6, sport, dport] of rows) {
    // The effective packet's addresses are the last of the frame's (inside a tunnel), its ports the first TCP header's.
    const src = src6.length > 0 ? src6[src6.length - 1] : src4[src4.length - 1];
    const dst = dst6.length > 0 ? dst6[dst6.length - 1] : dst4[dst4.length - 1];
    const key = flowKey(src, Number(sport[0]), dst, Number(dport[0]));
    byFlow.set(key, (byFlow.get(key) ?? 0) + 1);
  }
  return byFlow;
}

/** Flowlens' retransmissions of a capture: the total and by flow. */
export async function flowlensRetransmissions(
  path: string,
): Promise<{ total: number; byFlow: Map<string, number> }> {
  const byFlow = new Map<string, number>();
  const result = await analyzeCapture(path, {
    pipeline: false,
    onFlow: (f, analyzer) => {
      if (f.retransmissions === 0 || protocolName(f.proto) !== 'TCP') return;
      const key = flowKey(
        analyzer.addresses.format(f.srcId),
        f.srcPort,
        analyzer.addresses.format(f.dstId),
        f.dstPort,
      );
      byFlow.set(key, (byFlow.get(key) ?? 0) + f.retransmissions);
    },
  });
  return { total: result.analyzer.retransmissions, byFlow };
}

/** Within 5% of tshark where it counts 20 or more, within 1 elsewhere. */
export function closeToTshark(ours: number, theirs: number): boolean {
  return theirs >= 20 ? Math.abs(ours - theirs) <= theirs * 0.05 : Math.abs(ours - theirs) <= 1;
}

/** Every flow where the two counts are not close, as "flow: ours vs tshark's". */
export function flowsApart(ours: Map<string, number>, theirs: Map<string, number>): string[] {
  const apart: string[] = [];
  for (const key of new Set([...ours.keys(), ...theirs.keys()])) {
    const a = ours.get(key) ?? 0;
    const b = theirs.get(key) ?? 0;
    if (!closeToTshark(a, b)) apart.push(`${key}: ${a} vs tshark's ${b}`);
  }
  return apart;
}
