import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeCapture, buildSummary } from '../src/analysis/index.js';
import { PcapWriter, pcapHeader, recordHeader } from '../src/capture/index.js';
import { arpFrame, udpFrame } from './helpers/packets.js';

/**
 * Inputs built to exhaust something: millions of flows, a record claiming 2 GiB, a century of
 * timestamps, a million windows, a gzip bomb. Each either works in bounded memory or is refused
 * with a clear message. Peak memory is measured in a child process of its own.
 */
const dir = mkdtempSync(join(tmpdir(), 'flowlens-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const BIN = fileURLToPath(new URL('../bin/flowlens.js', import.meta.url));

/** Runs `flowlens analyze --no-store --json` in a child and returns its summary and peak RSS (MB). */
function analyzeInChild(path: string, extra: string[] = []) {
  const script = `
    const { main } = await import(${JSON.stringify(new URL('../dist/src/cli/main.js', import.meta.url).href)});
    const chunks = [];
    const code = await main(['analyze', '--no-store', '--json', ...${JSON.stringify(extra)}, ${JSON.stringify(path)}], {
      stdout: { write: (s) => { chunks.push(s); return true; } },
      stderr: process.stderr,
    });
    process.stdout.write(JSON.stringify({ code, maxRssMb: process.resourceUsage().maxRSS / 1024, out: chunks.join('') }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  const res = JSON.parse(r.stdout) as { code: number; maxRssMb: number; out: string };
  return { ...res, stderr: r.stderr, summary: res.code === 0 ? JSON.parse(res.out) : null };
}

describe('resource limits', () => {
  it('a capture of 1.5 million tiny flows is analysed in bounded memory', () => {
    const path = join(dir, 'many-flows.pcap');
    const w = new PcapWriter(path, { linkType: 1 });
    const frame = udpFrame('10.0.0.1', '192.0.2.1', 1, 1, Buffer.alloc(0));
    for (let i = 0; i < 1_500_000; i++) {
      // A new address and port pair every packet: every packet its own flow.
      frame.writeUInt32BE((0x0a000000 + (i >>> 16)) >>> 0, 26);
      frame.writeUInt16BE(i & 0xffff, 34);
      w.write(1_700_000_000 + Math.floor(i / 50_000), (i % 50_000) * 20_000, frame);
    }
    w.close();
    const r = analyzeInChild(path);
    expect(r.code).toBe(0);
    console.log(`limits: 1.5M flows, peak RSS ${r.maxRssMb.toFixed(0)} MB`);
    expect(r.summary.flows.count).toBe(1_500_000);
    expect(r.summary.flows.udp).toBe(1_500_000);
    expect(r.maxRssMb).toBeLessThan(1024);
  }, 120_000);

  it('a record claiming 2^31 bytes ends the read there with a warning and keeps what came before', async () => {
    const path = join(dir, 'huge-record.pcap');
    const fd = openSync(path, 'w');
    writeSync(fd, pcapHeader({ linkType: 1 }));
    for (let i = 0; i < 3; i++) {
      const f = arpFrame();
      writeSync(fd, recordHeader(1_700_000_000 + i, 0, f.length, f.length, false));
      writeSync(fd, f);
    }
    writeSync(fd, recordHeader(1_700_000_010, 0, 2 ** 31, 2 ** 31, false));
    writeSync(fd, Buffer.alloc(64));
    closeSync(fd);
    const s = buildSummary(await analyzeCapture(path));
    expect(s.file.packets).toBe(3);
    expect(s.file.truncated).toBe(true);
    expect(s.file.warnings.join(' ')).toMatch(/2147483648/);
  });

  it('timestamps spanning a hundred years give daily windows, not millions of rows', async () => {
    const path = join(dir, 'century.pcap');
    const w = new PcapWriter(path, { linkType: 1 });
    w.write(100_000_000, 0, arpFrame());
    w.write(100_000_000 + Math.round(100 * 365.25 * 86400), 0, arpFrame());
    w.close();
    const r = analyzeInChild(path);
    expect(r.code).toBe(0);
    console.log(
      `limits: a century, ${r.summary.windows.count} windows, peak RSS ${r.maxRssMb.toFixed(0)} MB`,
    );
    expect(r.summary.windows.length_s).toBe(86400);
    expect(r.summary.windows.count).toBeGreaterThan(36_500);
    expect(r.summary.windows.count).toBeLessThan(36_600);
    expect(r.summary.anomalies).toHaveLength(r.summary.windows.count);
    expect(r.maxRssMb).toBeLessThan(1024);
  }, 60_000);

  it('a million windows asked for are refused with a message that says how to fix it', () => {
    const path = join(dir, 'thousand-seconds.pcap');
    const w = new PcapWriter(path, { linkType: 1 });
    w.write(1_700_000_000, 0, arpFrame());
    w.write(1_700_001_000, 0, arpFrame());
    w.close();
    const r = spawnSync(process.execPath, [BIN, 'analyze', '--no-store', '--window', '0.001', path], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/would make 1,000,00\d windows, more than 100,000; choose a longer --window/);
  });

  it('a gzip bomb (128 MB of zero records in 130 kB) is read in bounded memory', async () => {
    const path = join(dir, 'bomb.pcap.gz');
    await new Promise<void>((resolve, reject) => {
      const gz = createGzip({ level: 9 });
      const fd = openSync(path, 'w');
      gz.on('data', (c: Buffer) => writeSync(fd, c));
      gz.on('end', () => {
        closeSync(fd);
        resolve();
      });
      gz.on('error', reject);
      gz.write(pcapHeader({ linkType: 1 }));
      const zeros = Buffer.alloc(1 << 20);
      let left = 128;
      const pump = () => {
        while (left > 0) {
          left--;
          if (!gz.write(zeros)) return gz.once('drain', pump);
        }
        gz.end();
      };
      pump();
    });
    const r = analyzeInChild(path);
    expect(r.code).toBe(0);
    console.log(`limits: gzip bomb, ${r.summary.file.packets} records, peak RSS ${r.maxRssMb.toFixed(0)} MB`);
    // Every 16 zero bytes are one empty record: 8 Mi of them.
    expect(r.summary.file.packets).toBe((128 << 20) / 16);
    expect(r.summary.file.compression).toBe('gzip');
    expect(r.maxRssMb).toBeLessThan(400);
  }, 120_000);
});
