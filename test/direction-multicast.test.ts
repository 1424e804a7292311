import { describe, expect, it } from 'vitest';
import { analyzeCapture, buildSummary } from '../src/analysis/index.js';
import { computeFeatures, FEATURE_COUNT, FEATURE_NAMES } from '../src/detect/features.js';
import { ethernet, type Frame, ipv4, udp, udpFrame, writeCapture } from './helpers/packets.js';

// Multicast and broadcast stay on the sender's side (README, "direction"): a local host's mDNS,
// SSDP, MLD or DHCP is internal, never outbound, in the summary, the windows and the model's
// features. Every frame is placed by hand and its expected direction written beside it.

const T = 1_700_000_000;
const at = (ms: number, data: Buffer): Frame => ({
  sec: T + Math.floor(ms / 1000),
  nsec: (ms % 1000) * 1e6,
  data,
});

/** Sixteen bytes of an IPv6 address written in full groups ("fd00:0:0:0:0:0:0:5"). */
function ip6(text: string): Buffer {
  const [head, tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  for (let i = 0; i < 8; i++) b.writeUInt16BE(Number.parseInt(groups[i], 16), 2 * i);
  return b;
}

function ipv6Frame(src: string, dst: string, next: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(40);
  h[0] = 0x60;
  h.writeUInt16BE(payload.length, 4);
  h[6] = next;
  h[7] = 1;
  ip6(src).copy(h, 8);
  ip6(dst).copy(h, 24);
  return ethernet(0x86dd, Buffer.concat([h, payload]));
}

/** An MLDv2 report (ICMPv6 type 143) with one record, as hosts send them to ff02::16. */
function mldReport(): Buffer {
  const b = Buffer.alloc(28);
  b[0] = 143;
  b.writeUInt16BE(1, 6);
  b[8] = 4; // change to exclude
  ip6('ff02::fb').copy(b, 12);
  return b;
}

const mdnsQuery = Buffer.from('000000000001000000000000055f68747470045f746370056c6f63616c00000c0001', 'hex');
const dhcp = Buffer.alloc(300, 0);
const ssdp = Buffer.from('M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n\r\n');

type Way = 'inbound' | 'outbound' | 'internal' | 'external';
const frames: [Way, Frame][] = [
  ['internal', at(0, udpFrame('10.0.0.5', '224.0.0.251', 5353, 5353, mdnsQuery))],
  ['internal', at(100, ipv6Frame('fd00::5', 'ff02::fb', 17, udp(5353, 5353, mdnsQuery)))],
  ['internal', at(200, ipv6Frame('fe80::5', 'ff02::16', 58, mldReport()))],
  // Duplicate-address detection: the host has no address yet.
  ['internal', at(300, ipv6Frame('::', 'ff02::16', 58, mldReport()))],
  ['internal', at(400, ethernet(0x0800, ipv4('0.0.0.0', '255.255.255.255', 17, udp(68, 67, dhcp))))],
  ['internal', at(500, udpFrame('10.0.0.5', '239.255.255.250', 50000, 1900, ssdp))],
  // A host outside the local networks sending to a group: on its own side, external.
  ['external', at(600, udpFrame('203.0.113.9', '224.0.0.251', 5353, 5353, mdnsQuery))],
  // Real crossings still count.
  ['outbound', at(700, udpFrame('10.0.0.5', '192.0.2.53', 40000, 53, mdnsQuery))],
  ['inbound', at(710, udpFrame('192.0.2.53', '10.0.0.5', 53, 40000, mdnsQuery))],
  ['outbound', at(1700, ipv6Frame('fd00::5', '2001:db8::1', 17, udp(40001, 53, mdnsQuery)))],
];

describe('multicast and broadcast are local with the default local networks', async () => {
  const result = await analyzeCapture(writeCapture(frames.map(([, f]) => f)));
  const s = buildSummary(result);
  const expected = (way: Way, what: 'bytes' | 'packets') =>
    frames.filter(([w]) => w === way).reduce((n, [, f]) => n + (what === 'bytes' ? f.data.length : 1), 0);

  it('the summary counts mDNS, MLD, SSDP and DHCP broadcast as internal, never inbound or outbound', () => {
    for (const way of ['inbound', 'outbound', 'internal', 'external'] as Way[]) {
      expect(s.direction[`${way}_bytes`], way).toBe(expected(way, 'bytes'));
      expect(s.direction[`${way}_packets`], way).toBe(expected(way, 'packets'));
    }
  });

  it('the windows (the Traffic page) put the group traffic in internal, the crossings where they happened', () => {
    const rows = result.report.windows.toArray();
    expect(rows[0]).toMatchObject({
      outbound_bytes: frames[7][1].data.length,
      inbound_bytes: frames[8][1].data.length,
      internal_packets: 6,
      external_packets: 1,
    });
    expect(rows[1]).toMatchObject({ outbound_packets: 1, inbound_packets: 0, internal_packets: 0 });
  });

  it("the model's outbound features see only the real crossings", () => {
    const f = computeFeatures(result.report.windows, result.analyzer.flowIndex, {
      isLocal: (id) => result.analyzer.isLocal(id),
    });
    const out = FEATURE_NAMES.indexOf('out_in_ratio');
    // Window 0: one query out, one answer in, of the same size: ln(1) = 0.
    expect(f.values[out]).toBeCloseTo(0, 9);
    expect(f.values[FEATURE_COUNT + out]).toBeCloseTo(Math.log(frames[9][1].data.length + 1), 9);
  });
});
