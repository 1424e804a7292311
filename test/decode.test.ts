import { describe, expect, it } from 'vitest';
import {
  DecodedPacket,
  decodePacket,
  FRAME_IP,
  FRAME_NON_IP,
  FRAME_UNSUPPORTED_LINK,
  L4_ICMP,
  L4_ICMPV6,
  L4_NONE,
  L4_TCP,
  L4_UDP,
  M_IHL,
  M_IP_VERSION,
  M_TCP_SHORT,
  SUPPORTED_LINK_TYPES,
  TUNNEL_GRE,
  TUNNEL_IPIP,
} from '../src/decode/index.js';
import { ethernet, icmpEcho, ip4, ipv4, TCP, tcp, udp } from './helpers/packets.js';

const out = new DecodedPacket();
function decode(frame: Uint8Array, linkType = 1, origLen = frame.length): DecodedPacket {
  decodePacket(frame, 0, frame.length, origLen, linkType, out);
  return out;
}

const v4 = (text: string) => ip4(text).reduce((a, b) => a * 256 + b, 0);
const SYN_80 = tcp({ sport: 1234, dport: 80, seq: 7, flags: TCP.SYN });

function ipv6(src: number, dst: number, next: number, payload: Uint8Array): Buffer {
  const b = Buffer.alloc(40 + payload.length);
  b[0] = 0x60;
  b.writeUInt16BE(payload.length, 4);
  b[6] = next;
  b[7] = 64;
  b.writeUInt32BE(0x20010db8, 8);
  b.writeUInt32BE(src, 20);
  b.writeUInt32BE(0x20010db8, 24);
  b.writeUInt32BE(dst, 36);
  b.set(payload, 40);
  return b;
}
/** An IPv6 extension header (hop-by-hop, routing, destination options) of 8 bytes. */
const ext = (next: number, body: Uint8Array = Buffer.alloc(6)) =>
  Buffer.concat([Buffer.from([next, 0]), body]);
const fragHeader = (next: number, offset: number, more: boolean) => {
  const b = Buffer.alloc(8);
  b[0] = next;
  b.writeUInt16BE((offset << 3) | (more ? 1 : 0), 2);
  b.writeUInt32BE(99, 4);
  return b;
};
const ah = (next: number) => {
  const b = Buffer.alloc(16); // payload length 2 → (2 + 2) * 4 bytes
  b[0] = next;
  b[1] = 2;
  return b;
};
const vlan = (id: number, type: number) => Buffer.from([id >> 8, id & 255, type >> 8, type & 255]);
const withTags = (tags: Buffer[], inner: number, payload: Buffer) => {
  const first = tags.length ? 0x8100 : inner;
  return ethernet(first, Buffer.concat([...tags, payload]));
};
const gre = (flags: number, proto: number, extra: number, payload: Buffer) =>
  Buffer.concat([
    Buffer.from([flags >> 8, flags & 255, proto >> 8, proto & 255]),
    Buffer.alloc(extra),
    payload,
  ]);

describe('link layers reach the same TCP packet', () => {
  const ipPacket = ipv4('10.0.0.1', '10.0.0.2', 6, SYN_80);
  const cases: [string, number, Buffer][] = [
    ['Ethernet', 1, ethernet(0x0800, ipPacket)],
    ['raw IP (101)', 101, ipPacket],
    ['LINKTYPE_IPV4 (228)', 228, ipPacket],
    ['BSD loopback, little-endian AF 2', 0, Buffer.concat([Buffer.from([2, 0, 0, 0]), ipPacket])],
    ['BSD loopback, big-endian AF 2', 0, Buffer.concat([Buffer.from([0, 0, 0, 2]), ipPacket])],
    ['OpenBSD LOOP (108)', 108, Buffer.concat([Buffer.from([0, 0, 0, 2]), ipPacket])],
    ['Linux cooked SLL (113)', 113, Buffer.concat([Buffer.alloc(14), Buffer.from([8, 0]), ipPacket])],
    ['Linux cooked SLL2 (276)', 276, Buffer.concat([Buffer.from([8, 0]), Buffer.alloc(18), ipPacket])],
    [
      'three stacked VLAN tags',
      1,
      withTags([vlan(10, 0x88a8), vlan(20, 0x8100), vlan(30, 0x0800)], 0x0800, ipPacket),
    ],
    [
      'two MPLS labels',
      1,
      ethernet(0x8847, Buffer.concat([Buffer.from([0, 1, 0, 64, 0, 2, 1, 64]), ipPacket])),
    ],
    [
      'LLC/SNAP',
      1,
      ethernet(ipPacket.length + 8, Buffer.concat([Buffer.from([0xaa, 0xaa, 3, 0, 0, 0, 8, 0]), ipPacket])),
    ],
    ['PPPoE', 1, ethernet(0x8864, Buffer.concat([Buffer.from([0x11, 0, 0, 1, 0, 0, 0, 0x21]), ipPacket]))],
  ];
  it.each(cases)('%s: a SYN to port 80 is TCP with its addresses and ports', (_name, linkType, frame) => {
    const p = decode(frame, linkType);
    expect(p).toMatchObject({
      frame: FRAME_IP,
      malformed: 0,
      ip: 4,
      outerIp: 4,
      l4: L4_TCP,
      srcPort: 1234,
      dstPort: 80,
      tcpFlags: TCP.SYN,
      seq: 7,
    });
    expect(p.src[0]).toBe(v4('10.0.0.1'));
    expect(p.dst[0]).toBe(v4('10.0.0.2'));
  });

  it.each([24, 28, 30])('BSD loopback with IPv6 address family %i is IPv6', (af) => {
    const p = decode(
      Buffer.concat([Buffer.from([af, 0, 0, 0]), ipv6(1, 2, 17, udp(5353, 5353, Buffer.alloc(4)))]),
      0,
    );
    expect(p).toMatchObject({ ip: 6, l4: L4_UDP, srcPort: 5353 });
    expect([...p.src]).toEqual([0x20010db8, 0, 0, 1]);
  });

  it('ARP is counted as non-IP; an unknown link type as unsupported', () => {
    expect(decode(ethernet(0x0806, Buffer.alloc(28))).frame).toBe(FRAME_NON_IP);
    expect(decode(Buffer.alloc(40), 147).frame).toBe(FRAME_UNSUPPORTED_LINK);
  });
});

describe('IPv4', () => {
  it('options are skipped to reach the transport header', () => {
    const pkt = ipv4(
      '1.1.1.1',
      '2.2.2.2',
      17,
      Buffer.concat([Buffer.alloc(4, 1), udp(53, 9999, Buffer.alloc(4))]),
    );
    pkt[0] = 0x46; // IHL 6: one 4-byte option, which the 4 bytes of 0x01 (NOP) stand for
    pkt.writeUInt16BE(pkt.length, 2);
    expect(decode(ethernet(0x0800, pkt))).toMatchObject({ l4: L4_UDP, srcPort: 53, dstPort: 9999 });
  });

  it('only the first fragment carries ports', () => {
    const first = ipv4('1.1.1.1', '2.2.2.2', 17, udp(1000, 2000, Buffer.alloc(100)));
    first.writeUInt16BE(0x2000, 6); // MF, offset 0
    expect(decode(ethernet(0x0800, first))).toMatchObject({
      l4: L4_UDP,
      srcPort: 1000,
      outerFragment: true,
      fragment: false,
    });
    const later = ipv4('1.1.1.1', '2.2.2.2', 17, Buffer.alloc(100));
    later.writeUInt16BE(14, 6); // offset 14 × 8 bytes, last fragment
    expect(decode(ethernet(0x0800, later))).toMatchObject({
      l4: L4_NONE,
      srcPort: -1,
      outerFragment: true,
      fragment: true,
      ipProto: 17,
    });
  });

  it('a header length below 20 bytes and a wrong version are malformed', () => {
    const bad = ipv4('1.1.1.1', '2.2.2.2', 6, SYN_80);
    bad[0] = 0x44;
    expect(decode(ethernet(0x0800, bad)).malformed).toBe(M_IHL);
    bad[0] = 0x65;
    expect(decode(ethernet(0x0800, bad)).malformed).toBe(M_IP_VERSION);
  });

  it('an Ethernet trailer after the IP packet does not count as payload', () => {
    const frame = Buffer.concat([
      ethernet(0x0800, ipv4('1.1.1.1', '2.2.2.2', 17, udp(1, 2, Buffer.alloc(6)))),
      Buffer.alloc(12, 0xee),
    ]);
    expect(decode(frame)).toMatchObject({ payloadLength: 6, payloadCaptured: 6 });
  });

  it('a TCP header cut by the snaplen is expected; the same cut in a complete frame is damage', () => {
    const frame = ethernet(0x0800, ipv4('1.1.1.1', '2.2.2.2', 6, SYN_80)).subarray(0, 14 + 20 + 10);
    expect(decode(frame, 1, frame.length + 30)).toMatchObject({
      l4: L4_TCP,
      malformed: 0,
      srcPort: 1234,
      tcpFlags: -1,
    });
    expect(decode(frame, 1, frame.length)).toMatchObject({ l4: L4_TCP, malformed: M_TCP_SHORT });
  });

  it('payload lengths come from the IP header, not the captured bytes', () => {
    const full = ethernet(
      0x0800,
      ipv4('1.1.1.1', '2.2.2.2', 6, tcp({ sport: 1, dport: 2, flags: TCP.ACK, payload: Buffer.alloc(1000) })),
    );
    expect(decode(full.subarray(0, 96), 1, full.length)).toMatchObject({
      payloadLength: 1000,
      payloadCaptured: 96 - 54,
    });
  });
});

describe('IPv6', () => {
  it('hop-by-hop, routing, destination options and AH headers are walked to the transport header', () => {
    const chain = Buffer.concat([ext(43), ext(60), ext(51), ah(6), SYN_80]);
    const p = decode(ethernet(0x86dd, ipv6(1, 2, 0, chain)));
    expect(p).toMatchObject({ ip: 6, outerIp: 6, l4: L4_TCP, dstPort: 80, malformed: 0 });
  });

  it('a first fragment carries ports and a later one does not; both have a fragment header', () => {
    const first = decode(
      ethernet(
        0x86dd,
        ipv6(1, 2, 44, Buffer.concat([fragHeader(17, 0, true), udp(53, 3000, Buffer.alloc(8))])),
      ),
    );
    expect(first).toMatchObject({ l4: L4_UDP, srcPort: 53, outerV6FragmentHeader: true });
    const later = decode(
      ethernet(0x86dd, ipv6(1, 2, 44, Buffer.concat([fragHeader(17, 100, false), Buffer.alloc(16)]))),
    );
    expect(later).toMatchObject({ l4: L4_NONE, fragment: true, outerV6FragmentHeader: true });
  });

  it('an extension header cut short in a complete frame is malformed', () => {
    const frame = ethernet(0x86dd, ipv6(1, 2, 0, Buffer.from([6, 3]))); // claims 32 bytes, has 2
    expect(decode(frame).malformed).not.toBe(0);
  });

  it('ICMPv6 echo carries its identifier', () => {
    const echo = Buffer.from([128, 0, 0, 0, 0x12, 0x34, 0, 1]);
    expect(decode(ethernet(0x86dd, ipv6(1, 2, 58, echo)))).toMatchObject({
      l4: L4_ICMPV6,
      srcPort: 128,
      icmpId: 0x1234,
    });
  });
});

describe('tunnels', () => {
  const inner = ipv4('192.168.1.1', '192.168.1.2', 6, SYN_80);

  it('GRE with checksum, key and sequence number is walked to the inner TCP packet', () => {
    const p = decode(ethernet(0x0800, ipv4('1.1.1.1', '2.2.2.2', 47, gre(0xb000, 0x0800, 12, inner))));
    expect(p).toMatchObject({ l4: L4_TCP, tunnel: TUNNEL_GRE, outerIp: 4, ip: 4, dstPort: 80 });
    expect(p.src[0]).toBe(v4('192.168.1.1'));
  });

  it("PPTP's enhanced GRE carrying PPP (with and without address/control bytes) reaches IP", () => {
    for (const ppp of [Buffer.from([0xff, 0x03, 0x00, 0x21]), Buffer.from([0x21])]) {
      const p = decode(
        ethernet(
          0x0800,
          ipv4('1.1.1.1', '2.2.2.2', 47, gre(0x3081, 0x880b, 12, Buffer.concat([ppp, inner]))),
        ),
      );
      expect(p).toMatchObject({ l4: L4_TCP, tunnel: TUNNEL_GRE, dstPort: 80 });
    }
  });

  it('PPP control traffic inside GRE is IP without a transport class', () => {
    const lcp = Buffer.from([0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 4]);
    expect(
      decode(ethernet(0x0800, ipv4('1.1.1.1', '2.2.2.2', 47, gre(0x3001, 0x880b, 4, lcp)))),
    ).toMatchObject({ frame: FRAME_IP, l4: L4_NONE });
  });

  it.each([
    ['4in4', () => ipv4('1.1.1.1', '2.2.2.2', 4, inner), 0x0800, 4],
    ['6in4', () => ipv4('1.1.1.1', '2.2.2.2', 41, ipv6(7, 8, 6, SYN_80)), 0x0800, 6],
    ['4in6', () => ipv6(1, 2, 4, inner), 0x86dd, 4],
    ['6in6', () => ipv6(1, 2, 41, ipv6(7, 8, 6, SYN_80)), 0x86dd, 6],
  ])('IP-in-IP %s uses the inner header', (_name, build, etherType, innerIp) => {
    const p = decode(ethernet(etherType as number, (build as () => Buffer)()));
    expect(p).toMatchObject({ l4: L4_TCP, tunnel: TUNNEL_IPIP, ip: innerIp, dstPort: 80 });
  });

  it('UDP tunnels such as VXLAN stay UDP', () => {
    const vxlan = Buffer.concat([Buffer.from([8, 0, 0, 0, 0, 0, 1, 0]), ethernet(0x0800, inner)]);
    expect(decode(ethernet(0x0800, ipv4('1.1.1.1', '2.2.2.2', 17, udp(40000, 4789, vxlan))))).toMatchObject({
      l4: L4_UDP,
      dstPort: 4789,
      tunnel: 0,
    });
  });

  it('an ICMP error quoting a UDP header is ICMP, not UDP', () => {
    const quoted = ipv4('2.2.2.2', '1.1.1.1', 17, udp(5000, 53, Buffer.alloc(0)));
    const unreachable = Buffer.concat([Buffer.from([3, 3, 0, 0, 0, 0, 0, 0]), quoted]);
    expect(decode(ethernet(0x0800, ipv4('1.1.1.1', '2.2.2.2', 1, unreachable)))).toMatchObject({
      l4: L4_ICMP,
      srcPort: 3,
      dstPort: 3,
      icmpId: -1,
    });
    expect(decode(ethernet(0x0800, ipv4('1.1.1.1', '2.2.2.2', 1, icmpEcho(8, 77, 1))))).toMatchObject({
      l4: L4_ICMP,
      icmpId: 77,
    });
  });
});

describe('hostile frames', () => {
  it('garbage of every length 0..80 on every supported link type never throws', () => {
    let seed = 12345;
    const rnd = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 24;
    };
    for (const linkType of SUPPORTED_LINK_TYPES) {
      for (let len = 0; len <= 80; len++) {
        for (let k = 0; k < 20; k++) {
          const frame = Buffer.from(Array.from({ length: len }, rnd));
          expect(() => decode(frame, linkType)).not.toThrow();
        }
      }
    }
  });

  it('tags and tunnels nested without end are cut off', () => {
    const tags = Array.from({ length: 40 }, () => vlan(1, 0x8100));
    expect(decode(ethernet(0x8100, Buffer.concat(tags))).malformed).not.toBe(0);
    let pkt: Buffer = SYN_80;
    for (let i = 0; i < 20; i++) pkt = ipv4('1.1.1.1', '2.2.2.2', i === 0 ? 6 : 4, pkt);
    expect(() => decode(ethernet(0x0800, pkt))).not.toThrow();
    expect(decode(ethernet(0x0800, pkt)).malformed).not.toBe(0);
  });
});
