import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeCapture, buildSummary } from '../src/analysis/index.js';
import { detect, RULE_LIST } from '../src/detect/index.js';
import { type AttackType, generateCapture } from '../src/generate/index.js';
import { logTransactionsOf } from './helpers/log-transactions.js';

/**
 * The generator's attacks that only the protocol logs show: each written into five minutes of
 * background traffic as real packets, decoded by the src/protocols parsers, and found by its rule
 * at its time, naming its client; the background alone raises none of these alerts.
 */
const dir = mkdtempSync(join(tmpdir(), 'flowlens-genlogs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LOG_ALERTS = ['dns_tunnel', 'nxdomain_burst', 'http_scan', 'rare_tls_client'];

async function run(attacks: AttackType[], name: string) {
  const path = join(dir, `${name}.pcap`);
  // Whole packets: a ClientHello is 517 bytes, beyond the default snaplen.
  const truth = generateCapture(path, { seed: 3, durationS: 300, hosts: 30, attacks, snaplen: 65535 });
  const result = await analyzeCapture(path);
  const summary = buildSummary(result);
  const logs = await logTransactionsOf(path);
  const detection = detect(result, summary, undefined, RULE_LIST, { logs });
  return { truth, insights: detection.insights.filter((i) => LOG_ALERTS.includes(i.alert_type)) };
}

describe('generated attacks seen in the protocol logs', () => {
  it.each([
    ['dns_tunnel', 'dns_tunnel', ['medium', 'high']],
    ['dga', 'nxdomain_burst', ['medium', 'high']],
    ['web_scan', 'http_scan', ['medium', 'high']],
    ['odd_tls_client', 'rare_tls_client', ['low']],
  ] as const)(
    'a %s is reported as %s by its client, during the attack',
    async (attack, alert, severities) => {
      const { truth, insights } = await run([attack], attack);
      const a = truth.attacks[0];
      const found = insights.filter((i) => i.alert_type === alert);
      expect(found.length, JSON.stringify(insights.map((i) => i.summary))).toBe(1);
      const i = found[0];
      expect(severities as readonly string[]).toContain(i.severity);
      expect(i.details.client).toBe(a.attacker);
      expect(i.event_ts!).toBeGreaterThanOrEqual(a.start_ts - 1e-6);
      expect(i.event_ts!).toBeLessThanOrEqual(a.end_ts + 1e-6);
      // Nothing else from the log rules: the attack is the only one in the capture.
      expect(insights.filter((x) => x.alert_type !== alert)).toEqual([]);
    },
    120_000,
  );

  it('the background alone raises no alert from the log rules', async () => {
    const { insights } = await run([], 'quiet');
    expect(insights.map((i) => i.summary)).toEqual([]);
  }, 120_000);
});
