import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_ATTACKS,
  type GroundTruth,
  generateCapture,
  truthPathFor,
  writeDemoCapture,
} from '../src/generate/index.js';
import { getSession, getSessionSummary, openStore } from '../src/storage/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = `${ROOT}bin/flowlens.js`;
// The demo goes to a temporary data folder (and its embedded database), never the user's own.
const DATA_HOME = mkdtempSync(join(tmpdir(), 'flowlens-demo-'));
afterAll(() => rmSync(DATA_HOME, { recursive: true, force: true }));

beforeAll(() => {
  if (!existsSync(`${ROOT}dist/src/cli/main.js`))
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT });
}, 120_000);

function flowlens(...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0', XDG_DATA_HOME: DATA_HOME };
  delete env.DATABASE_URL;
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env });
}

describe('flowlens demo', () => {
  it('stores the generated demo capture as a named session and prints its id; its alerts name the injected attackers', async () => {
    const r = flowlens('demo', '--duration', '600', '--hosts', '5', '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { session_id: string; capture: string; truth: string };
    expect(out.session_id).toMatch(/^[0-9a-f-]{36}$/);
    // Made in Flowlens' data folder, beside the embedded database, with its ground truth.
    expect(out.capture.startsWith(join(DATA_HOME, 'flowlens', 'demo'))).toBe(true);
    expect(existsSync(out.capture)).toBe(true);
    const truth = JSON.parse(readFileSync(out.truth, 'utf8')) as GroundTruth;
    expect(truth.attacks.map((a) => a.type).sort()).toEqual(
      [
        'connection_burst',
        'exfiltration',
        'host_sweep',
        'port_scan',
        'rst_storm',
        'syn_flood',
        'dns_tunnel',
        'dga',
        'web_scan',
      ].sort(),
    );

    const listed = JSON.parse(flowlens('sessions', '--json').stdout);
    expect(listed).toEqual([expect.objectContaining({ session_id: out.session_id })]);

    const db = await openStore(join(DATA_HOME, 'flowlens', 'db'));
    try {
      const row = await getSession(db, out.session_id);
      expect(row?.status).toBe('completed');
      expect(row?.name).toMatch(/^Demo capture \(seed 1, 10 min: .*port scan.*\)$/);
      const summary = (await getSessionSummary(db, out.session_id)) as unknown as {
        insights: { alert_type: string; details: Record<string, unknown> }[];
      };
      const scan = truth.attacks.find((a) => a.type === 'port_scan')!;
      const alerts = summary.insights.filter((i) => i.alert_type === 'port_scan');
      expect(alerts.map((i) => [i.details.attacker, i.details.victim])).toContainEqual([
        scan.attacker,
        scan.victim,
      ]);
      // The attacks only the protocol logs show, found by the rules the ingest hands the logs to.
      for (const [attack, alert] of [
        ['dns_tunnel', 'dns_tunnel'],
        ['dga', 'nxdomain_burst'],
        ['web_scan', 'http_scan'],
      ]) {
        const a = truth.attacks.find((x) => x.type === attack)!;
        const clients = summary.insights.filter((i) => i.alert_type === alert).map((i) => i.details.client);
        expect({ attack, clients }).toEqual({ attack, clients: [a.attacker] });
      }
    } finally {
      await db.close();
    }
  }, 180_000);

  it('refuses a duration too short for its attacks, as bad usage', () => {
    const r = flowlens('demo', '--duration', '60');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--duration must be seconds from 600/);
  });
});

describe('writeDemoCapture, for a server that ingests the demo in its own queue', () => {
  const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

  it('writes the same capture and ground truth as the generator, beside each other', async () => {
    const path = join(DATA_HOME, 'server-demo.pcap');
    const truth = await writeDemoCapture(path, undefined, { durationS: 600, hosts: 5 });
    expect(JSON.parse(readFileSync(truthPathFor(path), 'utf8'))).toEqual(truth);
    const again = join(DATA_HOME, 'generator-demo.pcap');
    generateCapture(again, { seed: 1, durationS: 600, hosts: 5, attacks: DEMO_ATTACKS });
    expect(sha(path)).toBe(sha(again));
  }, 60_000);

  it('stops when its signal is aborted', async () => {
    const controller = new AbortController();
    const pending = writeDemoCapture(join(DATA_HOME, 'aborted.pcap'), controller.signal);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
    await expect(writeDemoCapture(join(DATA_HOME, 'x.pcap'), controller.signal)).rejects.toThrow('stop');
  });
});
