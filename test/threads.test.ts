import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureBenchCapture } from '../bench/make-capture.js';
import { type AnalyzeOptions, analyzeCapture, buildSummary, resolveSettings } from '../src/analysis/index.js';
import { detect, withDetection } from '../src/detect/index.js';
import { writeDemoCapture } from '../src/generate/index.js';
import { hasSharedPcaps, realCaptures, SHARED_PCAPS } from './helpers/shared.js';

/**
 * `--threads N` spreads flows over N - 1 flow shards by the hash of their key, and merges the
 * shards' results. A user comparing runs on machines with different core counts must see the same
 * file: the JSON summary (with detection), the warnings, the windows and the talkers, byte for byte.
 */
async function everything(path: string, threads: number, options: AnalyzeOptions = {}): Promise<string> {
  const r = await analyzeCapture(path, { ...options, threads, pipeline: threads > 1 });
  expect(r.analyzer.shardCount).toBe(Math.max(1, threads - 1));
  const base = buildSummary(r);
  const detection = detect(r, base, undefined, undefined, { logs: r.report.logRows });
  return JSON.stringify({
    summary: withDetection(base, detection),
    warnings: [...r.warnings, ...detection.warnings],
    windows: r.report.windows.toArray(),
    talkers: r.report.talkers,
    ports: r.report.ports,
    logRows: r.report.logRows,
    index: r.analyzer.flowIndex?.size,
  });
}

async function sameForThreads(path: string, options: AnalyzeOptions = {}, counts = [1, 2, 3, 4]) {
  const one = await everything(path, counts[0], options);
  for (const n of counts.slice(1)) {
    const other = await everything(path, n, options);
    if (other !== one) expect(JSON.parse(other)).toEqual(JSON.parse(one)); // shows where
    expect(other).toBe(one);
  }
}

describe.skipIf(!hasSharedPcaps)('the same summary with 1, 2, 3 and 4 threads', () => {
  it.each(realCaptures())('%s', { timeout: 60_000 }, async (file) => {
    await sameForThreads(`${SHARED_PCAPS}/real/${file}`);
  });

  it('with a fixed window, short timeouts (many idle sweeps) and log rows past their cap', {
    timeout: 60_000,
  }, async () => {
    await sameForThreads(`${SHARED_PCAPS}/real/eth-dns-http-v4v6_wikipedia.pcap`, {
      settings: resolveSettings({ window: '7', flowTimeouts: 'tcp=20,udp=5,icmp=3,other=7' }),
      logRows: 3,
    });
  });

  it('on the 1 GB benchmark capture (2M flows)', { timeout: 900_000 }, async () => {
    const dir = fileURLToPath(new URL('../.bench', import.meta.url));
    const bench = await ensureBenchCapture(dir, `${SHARED_PCAPS}/real`);
    await sameForThreads(bench.path, {}, [1, 2, 3]);
  });
});

describe('the same detection with 1, 2 and 3 threads on a capture full of attacks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-threads-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('every demo attack, found the same way', { timeout: 300_000 }, async () => {
    const path = join(dir, 'demo.pcap');
    await writeDemoCapture(path, undefined, { durationS: 900, hosts: 20, seed: 3 });
    const one = await everything(path, 1);
    expect(JSON.parse(one).summary.insights.length).toBeGreaterThan(5);
    for (const n of [2, 3]) expect(await everything(path, n)).toBe(one);
  });
});
