import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { analyzeCapture } from '../src/analysis/index.js';
import { CaptureFormatError } from '../src/capture/index.js';
import { main } from '../src/cli/main.js';
import { hasSharedPcaps, malformedCaptures, SHARED_PCAPS } from './helpers/shared.js';

/**
 * What a strict reader does with each file of ../shared/pcaps/malformed, from its MANIFEST note:
 * - `rejected`: not a usable capture; exit 1 with one line on stderr naming the file.
 * - otherwise the packets read, whether the reading stopped early (`truncated`, still exit 0),
 *   how many packets are counted as malformed, and a warning that must be present.
 */
type Outcome =
  | { rejected: RegExp }
  | { packets: number; truncated: boolean; malformed: number; unsupported?: number; warning?: RegExp };

const OUTCOMES: Record<string, Outcome> = {
  // Container level: headers.
  'libpcap_pcap-invalid-version-1.pcap': { rejected: /unsupported pcap version 1\.4/ },
  // libpcap refuses 2.5, tshark reads it: the records are ordinary, so we read them and warn.
  'libpcap_pcap-invalid-version-2.pcap': {
    packets: 1,
    truncated: false,
    malformed: 0,
    warning: /version 2\.5/,
  },
  'libpcap_linktype-reserved-field-not-zero.pcap': { rejected: /reserved bits/ },
  'libpcap_pcapng-invalid-vers-1.pcapng': { rejected: /unsupported pcapng version 0\.1/ },
  'libpcap_pcapng-invalid-vers-2.pcapng': { rejected: /unsupported pcapng version 1\.1/ },
  'libpcap_shb-option-too-long.pcapng': { rejected: /offset 0/ },
  'own_trunc-in-global-header.pcap': { rejected: /global header cut short/ },
  'own_zero-length.pcap': { rejected: /empty file/ },
  'own_not-a-capture.png': { rejected: /not a pcap or pcapng capture \(a PNG image\)/ },
  'own_not-a-capture-text.pcap': { rejected: /not a pcap or pcapng capture/ },
  // Container level: damage after good records. Every record before it is kept.
  'suricata_bug-6875-01_fuzz.pcap': {
    packets: 1,
    truncated: true,
    malformed: 1,
    warning: /record 2 .*1409179648/,
  },
  'suricata_bug-1450-04_tls_DER-incomplete-header.pcap': {
    packets: 6,
    truncated: true,
    malformed: 0,
    warning: /record 7 .*4325376/,
  },
  'suricata_smtp-to-comma_hand-edited.pcap': {
    packets: 18,
    truncated: true,
    malformed: 0,
    warning: /record 19 .*3925868813/,
  },
  'own_trunc-in-record-header.pcap': {
    packets: 10,
    truncated: true,
    malformed: 0,
    warning: /file ends inside/,
  },
  'own_trunc-in-record-data.pcap': {
    packets: 10,
    truncated: true,
    malformed: 0,
    warning: /file ends inside/,
  },
  'own_caplen-327680-over-256KiB.pcap': { packets: 2, truncated: true, malformed: 0, warning: /327680/ },
  'own_trunc-in-block.pcapng': { packets: 2, truncated: true, malformed: 0, warning: /file ends inside/ },
  'own_block-length-mismatch.pcapng': {
    packets: 1,
    truncated: true,
    malformed: 0,
    warning: /block lengths differ \(248 and 256\)/,
  },
  // Container level: odd but readable records (tshark reads them too); each says what was odd.
  'zeek_trunc-hdr.pcap': { packets: 1, truncated: false, malformed: 0, warning: /above snaplen/ },
  'tcpdump_aoe-oobr-1.pcap': { packets: 1, truncated: false, malformed: 0, warning: /above original length/ },
  'tcpdump_pim_header_asan-2.pcap': {
    packets: 3,
    truncated: false,
    malformed: 1,
    warning: /above original length/,
  },
  'tcpdump_timestamp_invalid_micro.pcap': {
    packets: 3,
    truncated: false,
    malformed: 0,
    warning: /fractional second/,
  },
  'tcpdump_timestamp_invalid_nano.pcap': {
    packets: 3,
    truncated: false,
    malformed: 0,
    warning: /fractional second/,
  },
  'tcpdump_erspan-type-iii-pb-1.pcap': { packets: 1, truncated: false, malformed: 0 },
  'tcpdump_heap-overflow-1.pcap': { packets: 1, truncated: false, malformed: 1 },
  'tcpdump_dsa.pcap': {
    packets: 8,
    truncated: false,
    malformed: 0,
    unsupported: 8,
    warning: /unsupported link type 284/,
  },
  // Protocol level: counted, never fatal.
  'tcpdump_ipv4_invalid_hdr_length.pcap': { packets: 1, truncated: false, malformed: 1, warning: /below 20/ },
  'tcpdump_ipv4_invalid_total_length.pcap': { packets: 1, truncated: false, malformed: 0 },
  'tcpdump_ipv6_invalid_length.pcap': { packets: 1, truncated: false, malformed: 1, warning: /cut short/ },
  'tcpdump_ipv6-bad-version.pcap': { packets: 4, truncated: false, malformed: 2, warning: /version/ },
  'tcpdump_tcp_header_heapoverflow.pcap': { packets: 1, truncated: false, malformed: 0 },
  'tcpdump_udp-length-heapoverflow.pcap': { packets: 1, truncated: false, malformed: 0 },
  'tcpdump_gre-heapoverflow-1.pcap': { packets: 2, truncated: false, malformed: 1 },
  'tcpdump_mptcp-dss-oobr.pcap': { packets: 1, truncated: false, malformed: 0, warning: /above snaplen/ },
  'tcpdump_LINKTYPE_IPV4_invalid.pcap': { packets: 1, truncated: false, malformed: 1, warning: /version/ },
  'tcpdump_ipv6_jumbogram_invalid_length.pcap': { packets: 1, truncated: false, malformed: 0 },
  'tcpdump_arp-oobr.pcap': { packets: 2282, truncated: false, malformed: 0 },
  'zeek_ip6-ext-trunc.pcap': { packets: 1, truncated: false, malformed: 1, warning: /extension header/ },
  'zeek_ipv4-truncated-broken-header.pcap': { packets: 1, truncated: false, malformed: 1 },
  'zeek_ip-bogus-header-len.pcap': { packets: 1, truncated: false, malformed: 0 },
  'zeek_tcp-truncated-header.pcap': { packets: 24, truncated: false, malformed: 0 },
};

async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (c) => out.push(String(c)));
  stderr.on('data', (c) => err.push(String(c)));
  const code = await main(args, { stdout, stderr });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe.skipIf(!hasSharedPcaps)('broken and hostile captures', () => {
  const files = malformedCaptures();

  it('every file in the corpus has a stated outcome (41 of 41)', () => {
    expect(files).toHaveLength(41);
    expect(files.filter((f) => !(f in OUTCOMES))).toEqual([]);
  });

  it.each(files)('%s: gives the outcome a strict reader should', async (file) => {
    const want = OUTCOMES[file];
    const path = `${SHARED_PCAPS}/malformed/${file}`;
    if ('rejected' in want) {
      const err = await analyzeCapture(path).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(CaptureFormatError);
      expect((err as Error).message).toMatch(want.rejected);
      expect((err as Error).message.startsWith(path)).toBe(true);
      const cli = await runCli(['analyze', '--no-store', '--json', path]);
      expect(cli.code).toBe(1);
      expect(cli.stdout).toBe('');
      expect(cli.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(cli.stderr).toContain(file);
      return;
    }
    const result = await analyzeCapture(path);
    expect(result.analyzer.stats.packets).toBe(want.packets);
    expect(result.info.truncated).toBe(want.truncated);
    expect(result.analyzer.stats.malformed).toBe(want.malformed);
    expect(result.analyzer.stats.unsupportedLinkType).toBe(want.unsupported ?? 0);
    if (want.warning) expect(result.warnings.join('\n')).toMatch(want.warning);
    if (want.truncated || want.malformed > 0) expect(result.warnings.length).toBeGreaterThan(0);
    const cli = await runCli(['analyze', '--no-store', '--json', path]);
    expect(cli.code).toBe(0);
    const summary = JSON.parse(cli.stdout);
    expect(summary.file.packets).toBe(want.packets);
    expect(summary.file.truncated).toBe(want.truncated);
    expect(summary.file.malformed_packets).toBe(want.malformed);
    expect(cli.stderr).not.toMatch(/at .*\.(ts|js):\d+/); // no stack traces
  });
});
