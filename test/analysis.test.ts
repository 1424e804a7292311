import { describe, expect, it } from 'vitest';
import { analyzeCapture, buildSummary, type FlowSummary, resolveSettings } from '../src/analysis/index.js';
import {
  arpFrame,
  dnsQuery,
  ethernet,
  type Frame,
  icmpEcho,
  ipv4,
  TCP,
  tcpFrame,
  tlsClientHello,
  udpFrame,
  writeCapture,
} from './helpers/packets.js';

const T = 1_700_000_000;
/** A frame at T + `us` microseconds. */
const at = (us: number, data: Buffer): Frame => ({
  sec: T + Math.floor(us / 1e6),
  nsec: (us % 1e6) * 1000,
  data,
});

const CLIENT = '10.0.0.5';
const DNS = '10.0.0.1';
const WEB = '93.184.216.34';
const INTRANET = '10.0.0.9';
const hello = tlsClientHello('example.org');
const serverData = Buffer.alloc(1000, 0x41);
const get = Buffer.from('GET / HTTP/1.1\r\nHost: intranet.local\r\nUser-Agent: t\r\n\r\n');

// A small day at the office, every packet placed by hand (times in µs after T).
const frames: Frame[] = [
  // DNS lookup (local → local): one UDP flow, 10 ms.
  at(0, udpFrame(CLIENT, DNS, 53000, 53, dnsQuery(1, 'example.org'))),
  at(10_000, udpFrame(DNS, CLIENT, 53, 53000, dnsQuery(1, 'example.org', true, 3))),
  // HTTPS to a remote server: handshake, ClientHello, its retransmission, data, FIN both ways.
  at(1_000_000, tcpFrame(CLIENT, WEB, { sport: 50000, dport: 443, seq: 1000, flags: TCP.SYN })),
  at(
    1_050_000,
    tcpFrame(WEB, CLIENT, { sport: 443, dport: 50000, seq: 5000, ack: 1001, flags: TCP.SYN | TCP.ACK }),
  ),
  at(1_100_000, tcpFrame(CLIENT, WEB, { sport: 50000, dport: 443, seq: 1001, ack: 5001, flags: TCP.ACK })),
  at(
    1_150_000,
    tcpFrame(CLIENT, WEB, {
      sport: 50000,
      dport: 443,
      seq: 1001,
      ack: 5001,
      flags: TCP.ACK | TCP.PSH,
      payload: hello,
    }),
  ),
  at(
    1_300_000,
    tcpFrame(CLIENT, WEB, {
      sport: 50000,
      dport: 443,
      seq: 1001,
      ack: 5001,
      flags: TCP.ACK | TCP.PSH,
      payload: hello,
    }),
  ),
  at(
    1_400_000,
    tcpFrame(WEB, CLIENT, {
      sport: 443,
      dport: 50000,
      seq: 5001,
      ack: 1001 + hello.length,
      flags: TCP.ACK,
      payload: serverData,
    }),
  ),
  // A keep-alive (one byte at next-expected − 1) is not a retransmission.
  at(
    1_800_000,
    tcpFrame(CLIENT, WEB, {
      sport: 50000,
      dport: 443,
      seq: 1000 + hello.length,
      ack: 6001,
      flags: TCP.ACK,
      payload: Buffer.from([0]),
    }),
  ),
  at(
    2_000_000,
    tcpFrame(CLIENT, WEB, {
      sport: 50000,
      dport: 443,
      seq: 1001 + hello.length,
      ack: 6001,
      flags: TCP.FIN | TCP.ACK,
    }),
  ),
  at(
    2_050_000,
    tcpFrame(WEB, CLIENT, {
      sport: 443,
      dport: 50000,
      seq: 6001,
      ack: 1002 + hello.length,
      flags: TCP.FIN | TCP.ACK,
    }),
  ),
  at(
    2_100_000,
    tcpFrame(CLIENT, WEB, { sport: 50000, dport: 443, seq: 1002 + hello.length, ack: 6002, flags: TCP.ACK }),
  ),
  // HTTP inside the office, reset by the server.
  at(3_000_000, tcpFrame(CLIENT, INTRANET, { sport: 40000, dport: 80, seq: 1, flags: TCP.SYN })),
  at(
    3_001_000,
    tcpFrame(INTRANET, CLIENT, { sport: 80, dport: 40000, seq: 9, ack: 2, flags: TCP.SYN | TCP.ACK }),
  ),
  at(3_002_000, tcpFrame(CLIENT, INTRANET, { sport: 40000, dport: 80, seq: 2, ack: 10, flags: TCP.ACK })),
  at(
    3_003_000,
    tcpFrame(CLIENT, INTRANET, {
      sport: 40000,
      dport: 80,
      seq: 2,
      ack: 10,
      flags: TCP.ACK | TCP.PSH,
      payload: get,
    }),
  ),
  at(
    3_500_000,
    tcpFrame(INTRANET, CLIENT, {
      sport: 80,
      dport: 40000,
      seq: 10,
      ack: 2 + get.length,
      flags: TCP.RST | TCP.ACK,
    }),
  ),
  // A connection refused (telnet closed).
  at(4_000_000, tcpFrame(CLIENT, INTRANET, { sport: 40001, dport: 23, seq: 77, flags: TCP.SYN })),
  at(
    4_000_100,
    tcpFrame(INTRANET, CLIENT, { sport: 23, dport: 40001, seq: 0, ack: 78, flags: TCP.RST | TCP.ACK }),
  ),
  // A ping to a remote host: request and reply are one ICMP flow.
  at(5_000_000, ethernet(0x0800, ipv4(CLIENT, '8.8.8.8', 1, icmpEcho(8, 7, 1)))),
  at(5_020_000, ethernet(0x0800, ipv4('8.8.8.8', CLIENT, 1, icmpEcho(0, 7, 1)))),
  // An unanswered datagram from outside.
  at(6_000_000, udpFrame('203.0.113.7', CLIENT, 5555, 8080, Buffer.from('hello'))),
  // ARP: counted, not IP.
  at(6_500_000, arpFrame()),
];

const len = (i: number) => frames[i].data.length;
const sum = (idx: number[]) => idx.reduce((n, i) => n + len(i), 0);

describe('a hand-built capture gives the figures computed by hand', async () => {
  const path = writeCapture(frames);
  const result = await analyzeCapture(path);
  const s = buildSummary(result);
  const flowsBy = (port: number): FlowSummary => {
    const f = result.report.topFlows.find((x) => x.dst_port === port);
    if (!f) throw new Error(`no flow to port ${port}`);
    return f;
  };

  it('counts packets, bytes and protocol classes', () => {
    expect(s.file.packets).toBe(frames.length);
    expect(s.file.bytes).toBe(sum(frames.map((_, i) => i)));
    expect(s.protocols).toMatchObject({ tcp: 17, udp: 3, icmp: 2, non_ip: 1, ipv4: 22 });
  });

  it('finds six flows with the right initiators, states and durations', () => {
    expect(s.flows).toMatchObject({ count: 6, tcp: 3, udp: 2, icmp: 1, other: 0 });
    expect(s.flows.conn_states).toEqual({ SF: 3, RSTR: 1, REJ: 1, S0: 1 });
    const https = flowsBy(443);
    expect(https).toMatchObject({
      protocol: 'TCP',
      src_ip: CLIENT,
      dst_ip: WEB,
      src_port: 50000,
      conn_state: 'SF',
      retransmissions: 1,
      src_packets: 7,
      dst_packets: 3,
      src_bytes: sum([2, 4, 5, 6, 8, 9, 11]),
      dst_bytes: sum([3, 7, 10]),
      tls_sni: 'example.org',
    });
    expect(https.duration_s).toBeCloseTo(1.1, 6);
    expect(flowsBy(80)).toMatchObject({
      conn_state: 'RSTR',
      http_method: 'GET',
      http_host: 'intranet.local',
    });
    expect(flowsBy(23)).toMatchObject({ conn_state: 'REJ', src_ip: CLIENT, packets: 2 });
    expect(flowsBy(53)).toMatchObject({ conn_state: 'SF', dns_query: 'example.org', dns_rcode: 3 });
    const ping = result.report.topFlows.find((f) => f.protocol === 'ICMP');
    expect(ping).toMatchObject({ src_ip: CLIENT, dst_ip: '8.8.8.8', src_port: 8, dst_port: 0, packets: 2 });
    expect(flowsBy(8080)).toMatchObject({ src_ip: '203.0.113.7', conn_state: 'S0', packets: 1 });
  });

  it('counts TCP flags, one retransmission and the TCP health ratios', () => {
    expect(s.tcp).toMatchObject({ syn: 3, synack: 2, rst: 2, fin: 2, retransmissions: 1 });
    expect(s.tcp.syn_ack_ratio).toBe(1.5);
    expect(s.tcp.rst_rate).toBeCloseTo(2 / 17, 6);
    expect(s.tcp.retransmission_rate).toBeCloseTo(1 / 17, 6);
  });

  it('splits bytes by direction with the default local networks', () => {
    const https = [2, 4, 5, 6, 8, 9, 11];
    const inbound = [3, 7, 10, 20, 21];
    expect(s.direction).toMatchObject({
      outbound_bytes: sum([...https, 19]),
      inbound_bytes: sum(inbound),
      internal_bytes: sum([0, 1, 12, 13, 14, 15, 16, 17, 18]),
      external_bytes: 0,
      inbound_packets: 5,
    });
  });

  it('ranks the client first and names service ports', () => {
    expect(s.top_talkers[0].ip).toBe(CLIENT);
    expect(s.top_talkers[0].bytes).toBe(sum(frames.map((_, i) => i).filter((i) => i !== 22)));
    expect(s.ports.find((p) => p.port === 443)).toMatchObject({
      protocol: 'tcp',
      label: '443 (HTTPS)',
      flows: 1,
    });
    expect(s.ports.find((p) => p.port === 53)).toMatchObject({
      protocol: 'udp',
      label: '53 (DNS)',
      packets: 2,
    });
    expect(s.addresses).toEqual({ distinct: 6, local: 3, remote: 3 });
  });

  it('makes seven one-second windows with per-window figures', () => {
    const w = result.report.windows;
    expect(w.lengthS).toBe(1);
    expect(w.toArray().map((x) => x.packet_count)).toEqual([2, 7, 3, 5, 2, 2, 2]);
    expect(w.toArray().map((x) => x.new_flows)).toEqual([1, 1, 0, 1, 1, 1, 1]);
    expect(w.toArray()[1].tcp_retransmissions).toBe(1);
    expect(w.toArray()[1].unique_src_ips).toBe(2);
    expect(w.toArray()[1].port_diversity).toBe(2); // 443 and the client's 50000
    expect(w.toArray()[2]).toMatchObject({
      tcp_fin_count: 2,
      tcp_ratio: 1,
      new_flows: 0,
      byte_count: sum([9, 10, 11]),
    });
    expect(w.toArray()[6]).toMatchObject({ udp_count: 1, other_count: 1, inbound_packets: 1 });
    // Flow durations land in the window where the flow started.
    expect(w.toArray()[1].flow_duration_distribution).toEqual([0, 0, 0, 1, 0, 0, 0, 0, 0]); // 1.1 s
    expect(w.toArray()[4].flow_duration_distribution).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0]); // 100 µs
    const sizes = w.toArray()[0];
    expect(sizes.min_packet_size).toBe(Math.min(len(0), len(1)));
    expect(sizes.max_packet_size).toBe(Math.max(len(0), len(1)));
    expect(sizes.std_packet_size).toBeCloseTo(Math.abs(len(0) - len(1)) / 2, 9);
  });
});

describe('flow boundaries', () => {
  it('an idle gap longer than the UDP timeout starts a new flow', async () => {
    const path = writeCapture([
      at(0, udpFrame(CLIENT, DNS, 5000, 53, dnsQuery(1, 'a.example'))),
      at(61_000_000, udpFrame(CLIENT, DNS, 5000, 53, dnsQuery(2, 'b.example'))),
      at(62_000_000, udpFrame(CLIENT, DNS, 5000, 53, dnsQuery(3, 'c.example'))),
    ]);
    const s = buildSummary(await analyzeCapture(path));
    expect(s.flows.udp).toBe(2);
    const longer = buildSummary(
      await analyzeCapture(path, { settings: resolveSettings({ flowTimeouts: 'udp=120' }) }),
    );
    expect(longer.flows.udp).toBe(1);
  });

  it('a SYN on a tuple that already saw FIN starts a new connection', async () => {
    const a = (us: number, flags: number, seq: number, fromClient = true) =>
      at(
        us,
        fromClient
          ? tcpFrame(CLIENT, WEB, { sport: 6000, dport: 80, seq, flags })
          : tcpFrame(WEB, CLIENT, { sport: 80, dport: 6000, seq, flags }),
      );
    const path = writeCapture([
      a(0, TCP.SYN, 1),
      a(1000, TCP.SYN | TCP.ACK, 100, false),
      a(2000, TCP.FIN | TCP.ACK, 2),
      a(3000, TCP.FIN | TCP.ACK, 101, false),
      a(4000, TCP.SYN, 5000),
    ]);
    const s = buildSummary(await analyzeCapture(path));
    expect(s.flows.tcp).toBe(2);
    expect(s.flows.conn_states).toEqual({ SF: 1, S0: 1 });
  });

  it('the initiator is the SYN sender even when the SYN-ACK comes first in the file', async () => {
    const path = writeCapture([
      at(0, tcpFrame(WEB, CLIENT, { sport: 443, dport: 7000, seq: 9, ack: 2, flags: TCP.SYN | TCP.ACK })),
      at(1000, tcpFrame(CLIENT, WEB, { sport: 7000, dport: 443, seq: 1, flags: TCP.SYN })),
    ]);
    const s = buildSummary(await analyzeCapture(path));
    expect(s.top_flows[0]).toMatchObject({ src_ip: CLIENT, src_port: 7000, dst_port: 443 });
    expect(s.ports[0]).toMatchObject({ port: 443 });
  });

  it('a burst of DNS queries before the answers still yields the response code', async () => {
    const queries = Array.from({ length: 6 }, (_, i) =>
      at(i * 1000, udpFrame(CLIENT, DNS, 5300, 53, dnsQuery(i, 'x.example'))),
    );
    const answer = at(9000, udpFrame(DNS, CLIENT, 53, 5300, dnsQuery(0, 'x.example', true, 2)));
    const s = buildSummary(await analyzeCapture(writeCapture([...queries, answer])));
    expect(s.top_flows[0]).toMatchObject({ dns_query: 'x.example', dns_rcode: 2, packets: 7 });
  });

  it('--local-net changes what counts as inbound', async () => {
    const path = writeCapture([
      at(0, udpFrame('198.51.100.1', '198.51.100.2', 1000, 2000, Buffer.from('x'))),
    ]);
    const dflt = buildSummary(await analyzeCapture(path));
    expect(dflt.direction.external_packets).toBe(1);
    const custom = buildSummary(
      await analyzeCapture(path, { settings: resolveSettings({ localNets: ['198.51.100.2/32'] }) }),
    );
    expect(custom.direction.inbound_packets).toBe(1);
  });

  it('a fixed window length gives windows of that length, empty ones included', async () => {
    const path = writeCapture([at(0, arpFrame()), at(25_000_000, arpFrame())]);
    const r = await analyzeCapture(path, { settings: resolveSettings({ window: '10' }) });
    expect(r.report.windows.lengthS).toBe(10);
    expect(r.report.windows.toArray().map((w) => w.packet_count)).toEqual([1, 0, 1]);
    // An empty window is a row of zeros, not NaN or Infinity.
    expect(r.report.windows.toArray()[1]).toMatchObject({
      tcp_ratio: 0,
      avg_packet_size: 0,
      min_packet_size: 0,
      std_packet_size: 0,
    });
  });

  it('a capture whose clock jumps by decades gets daily windows; a too-short fixed window is refused', async () => {
    const year = 365 * 86400;
    const path = writeCapture([at(0, arpFrame()), { sec: T + 20 * year, nsec: 0, data: arpFrame() }]);
    const r = await analyzeCapture(path);
    expect(r.report.windows.lengthS).toBe(86400);
    expect(r.report.windows.count).toBe(Math.floor((T + 20 * year) / 86400) - Math.floor(T / 86400) + 1);
    const span = writeCapture([at(0, arpFrame()), { sec: T + 2 * year, nsec: 0, data: arpFrame() }]);
    await expect(analyzeCapture(span, { settings: resolveSettings({ window: '60' }) })).rejects.toThrow(
      /spans 730 days: windows of 60 s would make 1,051,20\d windows, more than 100,000; choose a longer --window/,
    );
  });
});
