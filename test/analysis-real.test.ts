import { describe, expect, it } from 'vitest';
import { analyzeCapture, buildSummary, SIZE_KEYS, WINDOW_LADDER } from '../src/analysis/index.js';
import { readCapture } from '../src/capture/index.js';
import { expectedFor, hasSharedPcaps, realCaptures, SHARED_PCAPS } from './helpers/shared.js';

/**
 * Where Flowlens and tshark count differently on purpose, and why:
 * - tshark's conversation table keys on the innermost tunnel it decodes; Flowlens keeps UDP tunnels
 *   (VXLAN, Teredo) as UDP, so the TCP session carried inside VXLAN is not a Flowlens TCP flow.
 * - `distinct_ip_addrs` counts outermost headers; Flowlens's addresses come from the effective
 *   packet, which for GRE and IP-in-IP is the inner one.
 */
const TCP_CONVERSATION_EXCEPTIONS: Record<string, string> = {
  'eth-vxlan-http_vxlan-encapsulated-http.pcap': 'the TCP conversation is inside VXLAN (UDP stays UDP)',
};
const ADDRESS_EXCEPTIONS: Record<string, string> = {
  'eth-gre-tunnel-tcp-udp-icmp_gre-sample.pcap': 'addresses come from the packets inside the GRE tunnel',
};

describe.skipIf(!hasSharedPcaps)('analysis of real captures agrees with tshark', () => {
  const files = realCaptures();

  it.each(files)('%s: flows, addresses, retransmissions, sizes and windows', async (file) => {
    const want = expectedFor(file);
    // Distinct 5-tuples of finished flows: tshark's conversations are not split by port reuse,
    // FIN/RST or idle timeouts, Flowlens's flows are.
    const tuples = { TCP: new Set<string>(), UDP: new Set<string>() };
    // Connection states counted flow by flow: TCP health shows TCP's alone.
    const states: Record<string, number> = {};
    const tcpStates: Record<string, number> = {};
    const result = await analyzeCapture(`${SHARED_PCAPS}/real/${file}`, {
      onFlow: (f, analyzer) => {
        const s = analyzer.summarizeFlow(f);
        states[s.conn_state] = (states[s.conn_state] ?? 0) + 1;
        if (s.protocol === 'TCP') tcpStates[s.conn_state] = (tcpStates[s.conn_state] ?? 0) + 1;
        if (s.protocol === 'TCP' || s.protocol === 'UDP') {
          const ends = [`${s.src_ip}:${s.src_port}`, `${s.dst_ip}:${s.dst_port}`].sort();
          tuples[s.protocol].add(ends.join(' '));
        }
      },
    });
    const s = buildSummary(result);
    expect(s.flows.conn_states).toEqual(states);
    expect(s.flows.tcp_conn_states).toEqual(tcpStates);
    expect(Object.values(s.flows.tcp_conn_states).reduce((a, b) => a + b, 0)).toBe(s.flows.tcp);

    if (file in TCP_CONVERSATION_EXCEPTIONS) expect(tuples.TCP.size).not.toBe(want.tcp_conversations);
    else expect(tuples.TCP.size).toBe(want.tcp_conversations);
    expect(tuples.UDP.size).toBe(want.udp_conversations);
    expect(s.flows.tcp).toBeGreaterThanOrEqual(tuples.TCP.size);
    expect(s.flows.count).toBe(s.flows.tcp + s.flows.udp + s.flows.icmp + s.flows.other);

    if (file in ADDRESS_EXCEPTIONS) expect(s.addresses.distinct).not.toBe(want.distinct_ip_addrs);
    else expect(s.addresses.distinct).toBe(want.distinct_ip_addrs);

    const tsharkRetrans = want.tshark_tcp_analysis.retransmission;
    if (tsharkRetrans >= 20) {
      expect(Math.abs(s.tcp.retransmissions - tsharkRetrans) / tsharkRetrans).toBeLessThanOrEqual(0.15);
    }

    // Packet sizes: an independent count of every record's wire length.
    const bounds = [64, 128, 256, 512, 1024, 1518, Number.POSITIVE_INFINITY];
    const independent = new Array<number>(bounds.length).fill(0);
    await readCapture(`${SHARED_PCAPS}/real/${file}`, (rec) => {
      independent[bounds.findIndex((b) => rec.origLen <= b)]++;
    });
    expect(Object.values(s.packet_size_distribution)).toEqual(independent);
    expect(Object.keys(s.packet_size_distribution)).toEqual([...SIZE_KEYS]);

    // Windows: every packet in exactly one window; auto picks the smallest ladder length giving
    // at most 1000 windows over [first_ts, last_ts].
    const windows = result.report.windows.toArray();
    expect(windows.reduce((n, w) => n + w.packet_count, 0)).toBe(want.packets);
    expect(windows.reduce((n, w) => n + w.byte_count, 0)).toBe(want.bytes);
    if (want.min_ts !== null && want.max_ts !== null) {
      const lo = Number(want.min_ts.split('.')[0]);
      const hi = Number(want.max_ts.split('.')[0]);
      const count = (L: number) => Math.floor(hi / L) - Math.floor(lo / L) + 1;
      const L = WINDOW_LADDER.find((l) => count(l) <= 1000) ?? (count(3600) <= 100_000 ? 3600 : 86400);
      expect(s.windows.length_s).toBe(L);
      expect(windows).toHaveLength(count(L));
      expect(windows[0].start_ts).toBe(Math.floor(lo / L) * L);
    } else {
      expect(windows).toHaveLength(0);
    }
  });

  it('the nmap scan shows one scanner probing many ports of its targets', async () => {
    const s = buildSummary(
      await analyzeCapture(`${SHARED_PCAPS}/real/eth-arp-scan-tcp-syn-rst_nmap-vsn.pcap`),
    );
    expect(s.flows.conn_states.REJ ?? 0).toBeGreaterThan(0);
    expect(s.tcp.syn).toBeGreaterThan(s.tcp.synack);
  });

  it('the 500-connection echo capture has its 241 SYN retransmissions', async () => {
    const s = buildSummary(
      await analyzeCapture(`${SHARED_PCAPS}/real/eth-500-tcp-echo-conns-6.8MB_echo-connections.pcap`),
    );
    expect(s.tcp.retransmissions).toBe(241);
    expect(s.flows.tcp).toBe(500);
  });

  it('TLS server names, DNS queries and HTTP hosts are read from the first payloads', async () => {
    const tls = buildSummary(
      await analyzeCapture(`${SHARED_PCAPS}/real/eth-tls12-clienthello-sni_chrome-34-google.pcap`),
    );
    expect(tls.top_flows[0].tls_sni).toBe('google.de');
    const web = buildSummary(await analyzeCapture(`${SHARED_PCAPS}/real/eth-dns-http-v4v6_wikipedia.pcap`));
    expect(web.top_flows.map((f) => f.http_host)).toContain('upload.wikimedia.org');
    expect(web.top_flows.map((f) => f.dns_query)).toContain('meta.wikimedia.org');
    expect(web.ports[0].label).toBe('80 (HTTP)');
  });
});
