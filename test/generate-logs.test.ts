import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeCapture, buildSummary } from '../src/analysis/index.js';
import { detect, type Insight, RULE_LIST } from '../src/detect/index.js';
import { type AttackType, type GroundTruth, generateCapture } from '../src/generate/index.js';

/**
 * The generator's attacks that only the protocol logs show: each written into five minutes of
 * background traffic as real packets, analysed by the real pass (whose log parsers hand their
 * transactions to the detection) in this thread, in the worker pipeline, and by
 * `flowlens analyze --json --no-store`, and found by its rule at its time, naming its client; the
 * background alone raises none of these alerts.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'flowlens-genlogs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LOG_ALERTS = ['dns_tunnel', 'nxdomain_burst', 'http_scan', 'rare_tls_client'];
const MODES = ['in-thread', 'pipeline', 'cli'] as const;
type Mode = (typeof MODES)[number];

const captures = new Map<string, { path: string; truth: GroundTruth }>();

function capture(attacks: AttackType[], name: string) {
  let c = captures.get(name);
  if (!c) {
    const path = join(dir, `${name}.pcap`);
    // Whole packets: a ClientHello is 517 bytes, beyond the default snaplen.
    const truth = generateCapture(path, { seed: 3, durationS: 300, hosts: 30, attacks, snaplen: 65535 });
    c = { path, truth };
    captures.set(name, c);
  }
  return c;
}

async function insightsOf(path: string, mode: Mode): Promise<Insight[]> {
  if (mode === 'cli') {
    const r = spawnSync(
      process.execPath,
      [`${ROOT}bin/flowlens.js`, 'analyze', '--json', '--no-store', path],
      {
        encoding: 'utf8',
      },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return JSON.parse(r.stdout).insights as Insight[];
  }
  const result = await analyzeCapture(path, { pipeline: mode === 'pipeline' });
  const summary = buildSummary(result);
  return detect(result, summary, undefined, RULE_LIST, { logs: result.report.logRows }).insights;
}

async function run(attacks: AttackType[], name: string, mode: Mode) {
  const { path, truth } = capture(attacks, name);
  const insights = await insightsOf(path, mode);
  return { truth, insights: insights.filter((i) => LOG_ALERTS.includes(i.alert_type)) };
}

describe.each(MODES)('generated attacks seen in the protocol logs (%s)', (mode) => {
  it.each([
    ['dns_tunnel', 'dns_tunnel', ['medium', 'high']],
    ['dga', 'nxdomain_burst', ['medium', 'high']],
    ['web_scan', 'http_scan', ['medium', 'high']],
    ['odd_tls_client', 'rare_tls_client', ['low']],
  ] as const)(
    'a %s is reported as %s by its client, during the attack',
    async (attack, alert, severities) => {
      const { truth, insights } = await run([attack], attack, mode);
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
    const { insights } = await run([], 'quiet', mode);
    expect(insights.map((i) => i.summary)).toEqual([]);
  }, 120_000);
});

describe('the log rows handed to the detection are bounded', () => {
  it.each([false, true])(
    'with a cap of 50 rows (pipeline %s), the rest are counted and named in the warnings',
    async (pipeline) => {
      const { path, truth } = capture(['web_scan'], 'web_scan');
      const result = await analyzeCapture(path, { pipeline, logRows: 50 });
      const rows = result.report.logRows!;
      const all = result.report.logs!;
      expect(rows.http).toHaveLength(50);
      expect(rows.dropped.http).toBe(all.http.rows - 50);
      expect(rows.dropped.http).toBeGreaterThan(100);
      // The scan's requests come from its client, to its web server (the flow's originator).
      const attacker = truth.attacks[0].attacker;
      expect(rows.http.some((r) => r.client === attacker && r.status === 404)).toBe(true);
      const detection = detect(result, buildSummary(result), undefined, RULE_LIST, { logs: rows });
      const warning = detection.warnings.find((w) => w.startsWith('detection: the log rules read'));
      expect(warning).toContain(
        `the first 50 HTTP rows (${rows.dropped.http.toLocaleString('en-US')} left out)`,
      );
    },
    120_000,
  );
});
