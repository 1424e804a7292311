import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { analyzeCapture, buildSummary } from '../src/analysis/index.js';
import { readCapture } from '../src/capture/index.js';
import {
  averagePath,
  detect,
  FEATURE_NAMES,
  IsolationForest,
  MODEL,
  mulberry32,
} from '../src/detect/index.js';
import { officeTraffic, portScan, synFlood, T0 } from './helpers/detect-captures.js';
import { type Frame, writeCapture } from './helpers/packets.js';
import { expectedFor, hasSharedPcaps, realCaptures, SHARED_PCAPS } from './helpers/shared.js';

async function detectFile(path: string) {
  const result = await analyzeCapture(path);
  const summary = buildSummary(result);
  return { result, summary, detection: detect(result, summary) };
}

describe('isolation forest', () => {
  it('c(n), the average unsuccessful-search path, has the textbook values', () => {
    expect(averagePath(1)).toBe(0);
    expect(averagePath(2)).toBe(1);
    // 2 H(255) − 2·255/256 with H(i) ≈ ln(i) + γ
    expect(averagePath(256)).toBeCloseTo(10.2448, 3);
  });

  it('a point far from a cloud scores high, the cloud about 0.5, and the same seed gives the same forest', () => {
    const rand = mulberry32(7);
    const rows = 300;
    const data = new Float64Array(rows * 2);
    for (let i = 0; i < rows * 2; i++) data[i] = rand();
    data[0] = 8;
    data[1] = 8;
    const score = (f: IsolationForest, r: number) => f.score(f.path(data, r * 2, new Float64Array(2)));
    const a = new IsolationForest(data, rows, 2, { seed: 3, trees: 100 });
    const b = new IsolationForest(data, rows, 2, { seed: 3, trees: 100 });
    expect(score(a, 0)).toBeGreaterThan(0.7);
    const inliers = Array.from({ length: rows - 1 }, (_, r) => score(a, r + 1));
    const mean = inliers.reduce((x, y) => x + y, 0) / inliers.length;
    expect(mean).toBeGreaterThan(0.35);
    expect(mean).toBeLessThan(0.55);
    for (let r = 0; r < rows; r++) expect(score(b, r)).toBe(score(a, r));
  });
});

// Two minutes of office traffic with a port scan and a SYN flood at known times.
const T = T0;
const ATTACKER = '10.0.0.66';
const VICTIM = '10.0.0.9';
const SCAN_AT = 60;
const FLOOD_AT = 90;
const SCAN_PORTS = 600;
const FLOOD_SYNS = 400;

function officeCapture(): string {
  const frames: Frame[] = officeTraffic(120, 11);
  // Port scan: SYN to SCAN_PORTS ports in 1.2 s, the victim resets each (port 22 answers).
  frames.push(...portScan(ATTACKER, VICTIM, SCAN_AT, SCAN_PORTS, 22, 1.2));
  // SYN flood: FLOOD_SYNS SYNs from spoofed sources to VICTIM:80 in 0.4 s, never answered.
  frames.push(...synFlood(VICTIM, FLOOD_AT, FLOOD_SYNS));
  frames.sort((a, b) => a.sec - b.sec || a.nsec - b.nsec);
  return writeCapture(frames, 'office-attacks.pcap');
}

describe('detection on a capture with a port scan and a SYN flood at known times', async () => {
  const path = officeCapture();
  const { detection, summary } = await detectFile(path);
  const byWindow = (s: number) => detection.anomalies[Math.floor(s)];

  it('has one anomaly entry for every window, each with shares that sum to 1', () => {
    expect(summary.windows.length_s).toBe(1);
    expect(detection.anomalies).toHaveLength(summary.windows.count);
    detection.anomalies.forEach((a, k) => {
      expect(a.window_id).toBe(k);
      expect(a.score).toBeGreaterThanOrEqual(0);
      expect(a.score).toBeLessThanOrEqual(1);
      if (a.contributing_features.length > 0)
        expect(a.contributing_features.reduce((x, c) => x + c.share, 0)).toBeCloseTo(1, 6);
      for (const c of a.contributing_features) {
        expect(FEATURE_NAMES).toContain(c.feature);
        expect(c.direction).toBe(c.value >= c.baseline ? 'higher' : 'lower');
      }
    });
  });

  it('flags the scan and flood windows, and few others', () => {
    expect(byWindow(SCAN_AT).is_anomaly).toBe(true);
    expect(byWindow(FLOOD_AT).is_anomaly).toBe(true);
    const flagged = detection.anomalies.filter((a) => a.is_anomaly).map((a) => a.window_id);
    const expected = new Set([SCAN_AT, SCAN_AT + 1, FLOOD_AT]);
    expect(flagged.filter((k) => !expected.has(k)).length).toBeLessThanOrEqual(2);
  });

  it("names distinct ports as the scan window's top reason and SYNs for the flood's", () => {
    const scanTop = byWindow(SCAN_AT).contributing_features[0];
    // Distinct ports: per source, in the window, or as their entropy (log2 of the effective number).
    expect(['max_dst_ports_per_src', 'port_diversity', 'dst_port_entropy']).toContain(scanTop.feature);
    expect(scanTop.direction).toBe('higher');
    const floodTop = byWindow(FLOOD_AT).contributing_features[0];
    expect(['syn_per_sec', 'syn_synack_ratio', 'unanswered_flows']).toContain(floodTop.feature);
    expect(floodTop.direction).toBe('higher');
  });

  it('raises a port-scan alert naming attacker, victim, port count and the capture time of the first probe', () => {
    const scan = detection.insights.filter((i) => i.alert_type === 'port_scan');
    expect(scan).toHaveLength(1);
    expect(scan[0].details).toMatchObject({ attacker: ATTACKER, victim: VICTIM, distinct_ports: SCAN_PORTS });
    expect(scan[0].event_ts).toBeCloseTo(T + SCAN_AT + 0.1, 5);
    expect(scan[0].summary).toBe(`${ATTACKER} probed 600 ports on ${VICTIM} in 1.2 s; 1 answered as open.`);
    expect(scan[0].severity).toBe('medium');
  });

  it('raises a SYN-flood alert naming the victim and the number of unanswered attempts', () => {
    const flood = detection.insights.filter((i) => i.alert_type === 'syn_flood');
    expect(flood).toHaveLength(1);
    expect(flood[0].details).toMatchObject({
      victim: VICTIM,
      port: 80,
      unanswered_flows: FLOOD_SYNS,
      distinct_sources: FLOOD_SYNS,
    });
    expect(flood[0].event_ts).toBeCloseTo(T + FLOOD_AT + 0.2, 5);
    expect(flood[0].severity).toBe('high');
  });

  it('does not report the scan victim answering with resets as a separate RST storm', () => {
    expect(detection.insights.filter((i) => i.alert_type === 'rst_storm')).toHaveLength(0);
  });

  it('gives the same scores and insights on a second run', async () => {
    const again = await detectFile(path);
    expect(again.detection.anomalies).toEqual(detection.anomalies);
    expect(again.detection.insights).toEqual(detection.insights);
  });
});

describe.skipIf(!hasSharedPcaps)('detection on the real captures', () => {
  it('the dominant talker of a loopback capture is described by what its share counts', async () => {
    // Every packet is 127.0.0.1 to itself: as tshark's endpoints count, sender plus receiver is
    // twice the capture's bytes, so no sentence may say it "took part in" 200% of them.
    const { detection } = await detectFile(
      `${SHARED_PCAPS}/real/eth-500-tcp-echo-conns-6.8MB_echo-connections.pcap`,
    );
    const talker = detection.insights.find((i) => i.alert_type === 'dominant_talker');
    expect(talker?.summary).toMatch(
      /^127\.0\.0\.1 is the busiest address: the bytes it sent and received come to 200\.0% of the capture's bytes/,
    );
  });

  it("finds nmap's ARP sweep and names the scanner", async () => {
    const file = `${SHARED_PCAPS}/real/eth-arp-scan-tcp-syn-rst_nmap-vsn.pcap`;
    // Independent count: distinct target addresses of ARP requests, read straight from the frames.
    const targets = new Set<string>();
    await readCapture(file, (rec) => {
      const b = rec.buf;
      const o = rec.offset;
      if (b[o + 12] === 0x08 && b[o + 13] === 0x06 && b[o + 21] === 1)
        targets.add(`${b[o + 38]}.${b[o + 39]}.${b[o + 40]}.${b[o + 41]}`);
    });
    const { detection } = await detectFile(file);
    const sweep = detection.insights.find(
      (i) => i.alert_type === 'host_sweep' && i.details.protocol === 'arp',
    );
    expect(sweep?.details).toMatchObject({ attacker: '192.168.1.71', distinct_hosts: targets.size });
    expect(targets.size).toBeGreaterThan(200);
    expect(sweep?.severity).toBe('high');
  });

  it("reports nmap's TCP probes to port 80 as a host sweep by the same scanner, and finds no port scan", async () => {
    const file = `${SHARED_PCAPS}/real/eth-arp-scan-tcp-syn-rst_nmap-vsn.pcap`;
    // Independent count: hosts that 192.168.1.71 sent a SYN (without ACK) to port 80, from the frames.
    const probed = new Set<string>();
    await readCapture(file, (rec) => {
      const b = rec.buf;
      const o = rec.offset;
      if (b[o + 12] !== 0x08 || b[o + 13] !== 0x00 || b[o + 23] !== 6) return;
      const t = o + 14 + (b[o + 14] & 15) * 4;
      const src = `${b[o + 26]}.${b[o + 27]}.${b[o + 28]}.${b[o + 29]}`;
      if (src === '192.168.1.71' && ((b[t + 2] << 8) | b[t + 3]) === 80 && (b[t + 13] & 0x12) === 0x02)
        probed.add(`${b[o + 30]}.${b[o + 31]}.${b[o + 32]}.${b[o + 33]}`);
    });
    const { detection } = await detectFile(file);
    const sweep = detection.insights.find(
      (i) => i.alert_type === 'host_sweep' && i.details.protocol === 'tcp',
    );
    expect(sweep?.details).toMatchObject({ attacker: '192.168.1.71', port: 80, distinct_hosts: probed.size });
    expect(probed.size).toBeGreaterThan(0);
    expect(detection.insights.filter((i) => i.alert_type === 'port_scan')).toEqual([]);
  });

  it('times every insight on the real captures within the capture, never at analysis time', async () => {
    const outside: string[] = [];
    for (const file of realCaptures()) {
      const { detection, summary } = await detectFile(`${SHARED_PCAPS}/real/${file}`);
      if (summary.file.first_ts === null) continue;
      const first = Number(summary.file.first_ts);
      const last = Number(summary.file.last_ts);
      for (const i of detection.insights)
        if (i.event_ts === null || i.event_ts < first - 1e-6 || i.event_ts > last + 1e-6)
          outside.push(`${file}: ${i.alert_type} at ${i.event_ts}`);
    }
    expect(outside).toEqual([]);
  }, 120_000);

  it('finds the DHCP request flood and the ICMPv6 flood, with their packet counts', async () => {
    const dhcp = 'eth-dhcp-discover-flood-same-timestamp-3MB_dhcp-request-flood.pcap';
    const d1 = await detectFile(`${SHARED_PCAPS}/real/${dhcp}`);
    const f1 = d1.detection.insights.find((i) => i.alert_type === 'packet_flood');
    expect(f1?.details).toMatchObject({
      victim: '255.255.255.255',
      port: 67,
      packets: expectedFor(dhcp).first_l4.udp,
    });
    const icmp6 = 'eth-ipv6-ah-icmpv6-flood-3.6MB_denial6-5.pcap';
    const d2 = await detectFile(`${SHARED_PCAPS}/real/${icmp6}`);
    const f2 = d2.detection.insights.find((i) => i.alert_type === 'packet_flood');
    expect(f2?.details).toMatchObject({ victim: '2001:db8:1::1', protocol: 'icmpv6' });
    expect(f2?.severity).toBe('high');
  });

  it('raises no alert above low on the captures without an attack', async () => {
    const attacks = new Set([
      'eth-arp-scan-tcp-syn-rst_nmap-vsn.pcap',
      'eth-dhcp-discover-flood-same-timestamp-3MB_dhcp-request-flood.pcap',
      'eth-ipv6-ah-icmpv6-flood-3.6MB_denial6-5.pcap',
    ]);
    const loud: string[] = [];
    for (const file of realCaptures()) {
      if (attacks.has(file)) continue;
      const { detection } = await detectFile(`${SHARED_PCAPS}/real/${file}`);
      for (const i of detection.insights)
        if (i.severity !== 'low') loud.push(`${file}: ${i.alert_type} ${i.severity}: ${i.summary}`);
    }
    expect(loud).toEqual([]);
  }, 120_000);

  it('scores every window of every real capture in [0, 1], the same on a second run', async () => {
    for (const file of realCaptures().slice(0, 12)) {
      const a = await detectFile(`${SHARED_PCAPS}/real/${file}`);
      const b = await detectFile(`${SHARED_PCAPS}/real/${file}`);
      const hash = (x: unknown) => createHash('sha256').update(JSON.stringify(x)).digest('hex');
      expect(hash(b.detection.anomalies)).toBe(hash(a.detection.anomalies));
      for (const x of a.detection.anomalies) expect(x.score >= 0 && x.score <= 1).toBe(true);
      expect(a.detection.model.threshold).toBe(MODEL.threshold);
    }
  }, 120_000);
});
