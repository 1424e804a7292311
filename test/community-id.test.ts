import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { analyzeCapture, communityId, flowCommunityId, parseIpv4, parseIpv6 } from '../src/analysis/index.js';
import { hasSharedPcaps, realCaptures, SHARED_PCAPS } from './helpers/shared.js';
import { hasTshark, tsharkFields } from './helpers/tshark.js';

// The Community ID spec's published baseline (corelight/community-id-spec, baseline/baseline_deflt.json,
// seed 0): each flow both ways, ICMP and ICMPv6 with and without a counterpart type, TCP and UDP over
// IPv4 and IPv6, and a protocol without ports (RSVP, 46).
const BASELINE: [number, string, string, number | null, number | null, string][] = [
  [58, 'fe80::200:86ff:fe05:80da', 'fe80::260:97ff:fe07:69ea', 135, 136, '1:dGHyGvjMfljg6Bppwm3bg0LO8TY='],
  [58, 'fe80::260:97ff:fe07:69ea', 'fe80::200:86ff:fe05:80da', 136, 135, '1:dGHyGvjMfljg6Bppwm3bg0LO8TY='],
  [58, 'fe80::260:97ff:fe07:69ea', 'fe80::200:86ff:fe05:80da', 135, 136, '1:zavyT/cezQr1fmImYCwYnMXbgck='],
  [58, 'fe80::200:86ff:fe05:80da', 'fe80::260:97ff:fe07:69ea', 136, 135, '1:zavyT/cezQr1fmImYCwYnMXbgck='],
  [58, '3ffe:501:1800:2345::2', '3ffe:507:0:1:200:86ff:fe05:80da', 3, 0, '1:2ObVBgIn28oZvibYZhZMBgh7WdQ='],
  [
    58,
    '3ffe:501:410:0:2c0:dfff:fe47:33e',
    '3ffe:507:0:1:200:86ff:fe05:80da',
    1,
    4,
    '1:hLZd0XGWojozrvxqE0dWB1iM6R0=',
  ],
  [58, '3ffe:507:0:1:200:86ff:fe05:80da', '3ffe:501:0:1001::2', 128, 129, '1:+TW+HtLHvV1xnGhV1lv7XoJrqQg='],
  [58, '3ffe:501:0:1001::2', '3ffe:507:0:1:200:86ff:fe05:80da', 129, 128, '1:+TW+HtLHvV1xnGhV1lv7XoJrqQg='],
  [58, 'fe80::200:86ff:fe05:80da', 'ff02::2', 133, 134, '1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0='],
  [58, 'fe80::260:97ff:fe07:69ea', 'ff02::1', 134, 133, '1:pkvHqCL88/tg1k4cPigmZXUtL00='],
  [1, '192.168.0.89', '192.168.0.1', 8, 0, '1:X0snYXpgwiv9TZtqg64sgzUn6Dk='],
  [1, '192.168.0.1', '192.168.0.89', 0, 8, '1:X0snYXpgwiv9TZtqg64sgzUn6Dk='],
  [1, '10.0.0.1', '10.0.0.2', 11, 0, '1:YHxtAirCG//0OzkcVAukqKQN9xM='],
  [
    6,
    '2001:470:e5bf:dead:4957:2174:e82c:4887',
    '2607:f8b0:400c:c03::1a',
    63943,
    25,
    '1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=',
  ],
  [
    6,
    '2607:f8b0:400c:c03::1a',
    '2001:470:e5bf:dead:4957:2174:e82c:4887',
    25,
    63943,
    '1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=',
  ],
  [6, '128.232.110.120', '66.35.250.204', 34855, 80, '1:LQU9qZlK+B5F3KDmev6m5PMibrg='],
  [6, '66.35.250.204', '128.232.110.120', 80, 34855, '1:LQU9qZlK+B5F3KDmev6m5PMibrg='],
  [17, '192.168.1.52', '8.8.8.8', 54585, 53, '1:d/FP5EW3wiY1vCndhwleRRKHowQ='],
  [17, '8.8.8.8', '192.168.1.52', 53, 54585, '1:d/FP5EW3wiY1vCndhwleRRKHowQ='],
  [46, '10.1.12.1', '10.1.12.2', null, null, '1:KHlLkgoJW7ifUTyTSgyVfkFHzKw='],
  [46, '10.1.12.2', '10.1.12.1', null, null, '1:KHlLkgoJW7ifUTyTSgyVfkFHzKw='],
];

function address(text: string): { family: number; words: number[] } {
  const v4 = parseIpv4(text);
  if (v4 !== null) return { family: 4, words: [v4] };
  const words = parseIpv6(text);
  if (words === null) throw new Error(text);
  return { family: 6, words };
}

describe('Community ID', () => {
  for (const [proto, src, dst, sport, dport, id] of BASELINE) {
    it(`${proto} ${src}:${sport} → ${dst}:${dport} is the spec's ${id}`, () => {
      const a = address(src);
      const b = address(dst);
      expect(communityId(proto, a.family, a.words, b.words, sport ?? 0, dport ?? 0)).toBe(id);
    });
  }

  it("hashes with SHA-1 as node's crypto does, for random IPv6 TCP tuples", () => {
    let seed = 12345;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    for (let n = 0; n < 200; n++) {
      const a = [next(), next(), next(), next()];
      const b = [next(), next(), next(), next()];
      const sp = next() & 0xffff;
      const dp = next() & 0xffff;
      const buf = Buffer.alloc(40);
      const lowFirst = a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
      const [x, y, p, q] = lowFirst ? [a, b, sp, dp] : [b, a, dp, sp];
      x.forEach((w, i) => {
        buf.writeUInt32BE(w, 2 + 4 * i);
      });
      y.forEach((w, i) => {
        buf.writeUInt32BE(w, 18 + 4 * i);
      });
      buf[34] = 6;
      buf.writeUInt16BE(p, 36);
      buf.writeUInt16BE(q, 38);
      const expected = `1:${createHash('sha1').update(buf).digest('base64')}`;
      expect(communityId(6, 6, a, b, sp, dp)).toBe(expected);
    }
  });

  it('is unset for TCP whose ports were not captured', () => {
    expect(communityId(6, 4, [1], [2], -1, -1)).toBeNull();
  });
});

// tshark computes the Community ID of every frame (its `communityid` post-dissector): each flow's
// must be one of the capture's. Where tshark hashes another packet than Flowlens' flow, the flow is
// left out: the outer UDP of a VXLAN or Teredo tunnel (tshark hashes the packet inside), and MLD
// behind an IPv6 hop-by-hop header (tshark hashes protocol 0, the header; Zeek, as Flowlens, 58).
const OTHER_PACKET: Record<string, (flow: string) => boolean> = {
  'eth-vxlan-http_vxlan-encapsulated-http.pcap': (f) => f.includes(':4789'),
  'eth-teredo-mixed_Teredo.pcap': (f) => f.includes(':3544'),
  'linktype-ipv6-229-mldv2_icmp6-mldv2.pcap': (f) => f.startsWith('58 ') && f.includes(':143 '),
};

describe.skipIf(!hasSharedPcaps || !hasTshark)(
  "Community IDs against tshark's on the public captures",
  () => {
    for (const name of realCaptures()) {
      it(`${name}: every flow's Community ID is tshark's`, async () => {
        const path = `${SHARED_PCAPS}/real/${name}`;
        const ours = new Map<string, string>();
        await analyzeCapture(path, {
          pipeline: false,
          onFlow: (f, analyzer) => {
            const id = flowCommunityId(f, analyzer.addresses);
            const a = analyzer.addresses;
            const flow = `${f.proto} ${a.format(f.srcId)}:${f.srcPort} ${a.format(f.dstId)}:${f.dstPort}`;
            if (id !== null && !OTHER_PACKET[name]?.(flow)) ours.set(id, flow);
          },
        });
        const theirs = new Set(
          tsharkFields(path, 'communityid', ['communityid'], ['--enable-protocol', 'communityid']).flatMap(
            ([ids]) => ids,
          ),
        );
        expect([...ours].filter(([id]) => !theirs.has(id)).map(([, flow]) => flow)).toEqual([]);
      }, 60_000);
    }
  },
);
