import { describe, expect, it } from 'vitest';
import { analyzeCapture, buildSummary } from '../src/analysis/index.js';
import { expectedFor, hasSharedPcaps, realCaptures, SHARED_PCAPS } from './helpers/shared.js';

// Every figure here is compared with tshark's own output (../shared/pcaps/expected), never with
// values this code produced earlier.
describe.skipIf(!hasSharedPcaps)('real captures agree with tshark', () => {
  const files = realCaptures();

  it('the corpus has all 50 captures', () => {
    expect(files).toHaveLength(50);
  });

  it.each(files)(
    '%s: packets, bytes, time range, transport classes, TCP flags and IP frames match tshark',
    async (file) => {
      const want = expectedFor(file);
      const s = buildSummary(await analyzeCapture(`${SHARED_PCAPS}/real/${file}`));
      const got = {
        packets: s.file.packets,
        bytes: s.file.bytes,
        captured_bytes: s.file.captured_bytes,
        // Earliest and latest time, and the first and last record in file order (null for an SPB).
        min_ts: s.file.first_ts,
        max_ts: s.file.last_ts,
        first_ts: s.file.first_record_ts,
        last_ts: s.file.last_record_ts,
        packets_without_timestamp: s.file.packets_without_timestamp,
        first_l4: {
          tcp: s.protocols.tcp,
          udp: s.protocols.udp,
          icmp: s.protocols.icmp,
          icmpv6: s.protocols.icmpv6,
          none: s.protocols.other + s.protocols.non_ip,
        },
        tcp_syn_only: s.tcp.syn,
        tcp_synack: s.tcp.synack,
        tcp_rst: s.tcp.rst,
        tcp_fin: s.tcp.fin,
        ip_frames: {
          ipv4_outer: s.protocols.ipv4,
          ipv6_outer: s.protocols.ipv6,
          ipv4_fragments: s.protocols.ipv4_fragments,
          ipv6_fragment_header: s.protocols.ipv6_fragment_header,
        },
      };
      expect(got).toEqual({
        packets: want.packets,
        bytes: want.bytes,
        captured_bytes: want.captured_bytes,
        min_ts: want.min_ts,
        max_ts: want.max_ts,
        first_ts: want.first_ts,
        last_ts: want.last_ts,
        packets_without_timestamp: want.packets_without_timestamp,
        first_l4: want.first_l4,
        tcp_syn_only: want.tcp_syn_only,
        tcp_synack: want.tcp_synack,
        tcp_rst: want.tcp_rst,
        tcp_fin: want.tcp_fin,
        ip_frames: want.ip_frames,
      });
      // Valid captures: nothing damaged, nothing cut, nothing left undecoded.
      expect(s.file.malformed_packets).toBe(0);
      expect(s.file.truncated).toBe(false);
      expect(s.file.unsupported_linktype_packets).toBe(0);
    },
  );
});
