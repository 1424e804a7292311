import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeCapture, buildSummary } from '../src/analysis/index.js';
import { detect, type Insight } from '../src/detect/index.js';
import { type AttackSpec, type AttackTruth, generateCapture } from '../src/generate/index.js';

/**
 * Every alert sentence against the generator's ground truth: each verb ("probed", "sent",
 * "opened", "received") must be true of every item it counts, and the counts must be the
 * attack's. One capture per attack (3 minutes, 10 clients, the attack at 60 s).
 */

const DIR = mkdtempSync(join(tmpdir(), 'flowlens-sentences-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

let made = 0;
async function attacked(spec: AttackSpec): Promise<{ truth: AttackTruth; insights: Insight[] }> {
  const path = join(DIR, `capture-${made++}.pcap`);
  const truth = generateCapture(path, {
    seed: 41,
    durationS: 180,
    hosts: 10,
    attacks: [{ at: 60, ...spec }],
  });
  const result = await analyzeCapture(path);
  const summary = buildSummary(result);
  return { truth: truth.attacks[0], insights: detect(result, summary).insights };
}

const n = (x: unknown) => Number(x).toLocaleString('en-US');
/** A regular expression matching `s` literally. */
const lit = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const SECONDS = String.raw`[\d.]+ m?s`;
const WEB = '192.168.10.10';
const alertsOf = (insights: Insight[], type: string) =>
  insights.filter((i) => i.insight_type === 'alert' && i.alert_type === type);

describe('alert sentences, checked against the generator', () => {
  it('port_scan: "probed" the 1,000 ports of the scan, and the open ones "answered as open"', async () => {
    const { truth, insights } = await attacked({ type: 'port_scan', attacker: '198.51.100.23', victim: WEB });
    const [scan] = alertsOf(insights, 'port_scan');
    const open = (truth.details.open_ports as number[]).length;
    expect(scan.summary).toMatch(
      new RegExp(
        `^${lit(`198.51.100.23 probed ${n(truth.details.ports)} ports on ${WEB} in `)}${SECONDS}; ${open} answered as open\\.$`,
      ),
    );
  });

  it('host_sweep: "sent ARP requests for" every address of the /24, and the live hosts "answered"', async () => {
    const { truth, insights } = await attacked({ type: 'host_sweep', attacker: '192.168.10.31' });
    const arp = alertsOf(insights, 'host_sweep').find((i) => i.details.protocol === 'arp')!;
    expect(arp.summary).toMatch(
      new RegExp(
        `^${lit(`192.168.10.31 sent ARP requests for ${n(truth.details.hosts)} addresses in 192.168.10.0/24 in `)}${SECONDS}; ${n(truth.details.live_hosts)} answered\\.$`,
      ),
    );
  });

  it('connection_burst: "opened" exactly the connections whose handshake completed', async () => {
    const { truth, insights } = await attacked({
      type: 'connection_burst',
      attacker: '198.51.100.40',
      victim: WEB,
      durationS: 10,
    });
    const [burst] = alertsOf(insights, 'connection_burst');
    expect(burst.summary).toMatch(
      new RegExp(
        `^${lit(`198.51.100.40 opened ${n(truth.details.connections)} connections to ${WEB}:443 in `)}${SECONDS} \\(in a usual window no source starts more than \\d+ flows to one service\\)\\.$`,
      ),
    );
  });

  it('traffic_burst: the uploader "sent" the bytes it names to the receiver, no more than it uploaded', async () => {
    const { truth, insights } = await attacked({
      type: 'exfiltration',
      attacker: '192.168.10.33',
      intensity: 0.5,
    });
    const burst = alertsOf(insights, 'traffic_burst').find((i) => i.severity === 'high')!;
    // Then why it is unusual for that host (or, when the host or the service moved as much at
    // another time, that it is large all the same).
    const m = burst.summary.match(
      new RegExp(
        `; ${lit('192.168.10.33')} sent ([\\d.]+) MB of it to ${lit(truth.victim)}:443\\. (Unusual for ${lit('192.168.10.33')}: this ran at |Large for an upload, though )`,
      ),
    );
    expect(m).not.toBeNull();
    // Wire bytes carry headers: at most 10% above the payload uploaded.
    expect(Number(m![1]) * 1e6).toBeLessThanOrEqual((truth.details.bytes as number) * 1.1);
    expect(Number(m![1]) * 1e6).toBeGreaterThan((truth.details.bytes as number) * 0.5);
  });

  it('rst_storm: the resets it counts "from" the attacker and "to" the victim are the storm\'s', async () => {
    const { truth, insights } = await attacked({
      type: 'rst_storm',
      attacker: '198.51.100.99',
      durationS: 5,
    });
    const [storm] = alertsOf(insights, 'rst_storm');
    const resets = truth.details.resets as number;
    expect(storm.summary).toMatch(
      new RegExp(
        `^${n(resets)} TCP resets in ${SECONDS} \\([\\d.]+% of TCP packets\\); ${lit(`${n(resets)} from 198.51.100.99, ${n(resets)} to ${WEB}.`)}$`,
      ),
    );
  });

  const FLOODS: { name: string; spec: Partial<AttackSpec>; outcome: (t: AttackTruth) => string }[] = [
    {
      name: "hping3 -S --flood against SYN cookies: every SYN-ACK reset by the attacker's kernel",
      spec: { attacker: '203.0.113.7', synCookies: true, attackerReply: 'reset' },
      outcome: (t) => `${n(t.details.attempts)} answered by a SYN-ACK that 203.0.113.7 reset`,
    },
    {
      name: 'an attacker ignoring the SYN-ACKs of a server without SYN cookies: the backlog fills, then SYNs go unanswered',
      spec: { attacker: '203.0.113.7', synCookies: false, attackerReply: 'ignore' },
      outcome: (t) =>
        `${n(t.details.synacked_attempts)} answered by a SYN-ACK never acknowledged, ${n((t.details.attempts as number) - (t.details.synacked_attempts as number))} never answered`,
    },
    {
      name: 'spoofed sources against SYN cookies: every SYN-ACK goes nowhere',
      spec: { spoofed: true, synCookies: true },
      outcome: (t) => `${n(t.details.attempts)} answered by a SYN-ACK never acknowledged`,
    },
    {
      name: 'spoofed sources against a host that never answers',
      spec: { spoofed: true, answers: false },
      outcome: (t) => `${n(t.details.attempts)} never answered`,
    },
  ];
  for (const f of FLOODS)
    it(`syn_flood, ${f.name}: "received" every attempt, "none completed", each outcome counted`, async () => {
      const { truth, insights } = await attacked({ type: 'syn_flood', victim: WEB, durationS: 8, ...f.spec });
      const floods = alertsOf(insights, 'syn_flood');
      expect(floods).toHaveLength(1);
      const who = truth.attacker ?? `${n(truth.details.attempts)} spoofed sources`;
      expect(floods[0].summary).toMatch(
        new RegExp(
          `^${lit(`SYN flood: ${WEB}:${truth.port} received ${n(truth.details.attempts)} connection attempts (SYNs) from ${who} in `)}${SECONDS}${lit(`; none completed its handshake: ${f.outcome(truth)}.`)}$`,
        ),
      );
      // Nothing else claims a connection: no connection burst, no separate RST storm.
      expect(alertsOf(insights, 'connection_burst')).toEqual([]);
      expect(alertsOf(insights, 'rst_storm')).toEqual([]);
    });
});
