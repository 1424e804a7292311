import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeCapture, resolveSettings } from '../src/analysis/index.js';
import { readCapture } from '../src/capture/index.js';
import { DecodedPacket, decodePacket } from '../src/decode/index.js';
import { ingestCapture } from '../src/ingest/index.js';
import { deleteSession, openStore, STORED_FLOW_COLUMNS } from '../src/storage/index.js';
import { BareFlows, flowShapedRows } from './floor.js';
import { ensureBenchCapture } from './make-capture.js';

// `npm run bench`: builds the bench capture once, then measures each stage of the packet path in
// fresh processes (peak RSS is per process) and prints medians.

type Mode =
  | 'read'
  | 'decode'
  | 'floor'
  | 'analyze'
  | 'analyze1'
  | 'analyze-nologs'
  | 'analyze1-nologs'
  | 'ingest'
  | 'copy';
interface Measurement {
  rows: number;
  mode: Mode;
  seconds: number;
  packets: number;
  bytes: number;
  maxRssKb: number;
  /** CPU time of the process (all its threads), seconds. */
  cpuSeconds: number;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url)); // dist/bench → project root
const CORPUS = fileURLToPath(new URL('../shared/pcaps/real', `file://${ROOT}`));
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const INGEST_RUNS = Number(process.env.BENCH_INGEST_RUNS ?? 3);

async function measure(mode: Mode, path: string): Promise<Measurement> {
  let packets = 0;
  let sink = 0;
  let seconds = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  if (mode === 'read') {
    await readCapture(path, (rec) => {
      packets++;
      sink += rec.origLen;
    });
  } else if (mode === 'decode') {
    const pkt = new DecodedPacket();
    await readCapture(path, (rec) => {
      decodePacket(rec.buf, rec.offset, rec.capLen, rec.origLen, rec.linkType, pkt);
      packets++;
      sink += pkt.l4 + pkt.srcPort;
    });
  } else if (mode === 'floor') {
    // What any exact flow analysis must do at least (see floor.ts).
    const pkt = new DecodedPacket();
    const flows = new BareFlows();
    await readCapture(path, (rec) => {
      decodePacket(rec.buf, rec.offset, rec.capLen, rec.origLen, rec.linkType, pkt);
      flows.add(rec, pkt);
      packets++;
    });
    flows.flush();
    sink = flows.flows;
  } else if (
    mode === 'analyze' ||
    mode === 'analyze1' ||
    mode === 'analyze-nologs' ||
    mode === 'analyze1-nologs'
  ) {
    // `analyze`: as Flowlens runs it (the worker pipeline for a big file); `analyze1`: one thread;
    // `analyze-nologs`: as `analyze --no-logs` runs it; `analyze1-nologs`: both (the flow path's
    // own cost, without the protocol logs).
    const result = await analyzeCapture(
      path,
      mode === 'analyze1'
        ? { pipeline: false }
        : mode === 'analyze-nologs'
          ? { settings: resolveSettings({ logs: false }) }
          : mode === 'analyze1-nologs'
            ? { pipeline: false, settings: resolveSettings({ logs: false }) }
            : {},
    );
    packets = result.analyzer.stats.packets;
    sink = result.analyzer.flowCounts.total;
  } else if (mode === 'copy') {
    // The database alone: as many flow-shaped rows as the bench capture has flows, COPYed in the
    // ingest's batches into a scratch table like a session's own flows table.
    const target = process.env.BENCH_DB ?? mkdtempSync(join(tmpdir(), 'flowlens-bench-db-'));
    const db = await openStore(target);
    const total = Number(process.env.BENCH_COPY_ROWS);
    const batchRows = 25_000;
    const session = '00000000-0000-4000-8000-000000000000';
    const batch = flowShapedRows(batchRows, session);
    try {
      await db.exec(
        'DROP TABLE IF EXISTS flowlens_bench_copy; CREATE TABLE flowlens_bench_copy (LIKE flows)',
      );
      const start = performance.now();
      const copy = await db.copyBinary('flowlens_bench_copy', STORED_FLOW_COLUMNS);
      for (let done = 0; done < total; done += batchRows)
        await copy.write(done + batchRows <= total ? batch : flowShapedRows(total - done, session));
      await copy.end();
      seconds = (performance.now() - start) / 1000;
      sink = total;
      await db.exec('DROP TABLE flowlens_bench_copy');
    } finally {
      await db.close();
      if (!process.env.BENCH_DB) rmSync(target, { recursive: true, force: true });
    }
  } else {
    // End to end into a database: a fresh PGlite folder, or the server in BENCH_DATABASE_URL.
    const target = process.env.BENCH_DB ?? mkdtempSync(join(tmpdir(), 'flowlens-bench-db-'));
    // A user's database exists after the first run: the fresh folder is created (PGlite's initdb
    // and the migrations, about 4 s) before the clock starts, as a server's database already is.
    if (!process.env.BENCH_DB) await (await openStore(target)).close();
    const start = performance.now();
    const db = await openStore(target);
    try {
      const { summary } = await ingestCapture(db, path);
      // Timed: opening the database and the ingest (not the counting and deleting below).
      seconds = (performance.now() - start) / 1000;
      packets = summary.file.packets;
      // Rows loaded: windows, flows, rankings and port usage.
      const [r] = await db.query<{ n: number }>(
        `SELECT (SELECT count(*) FROM traffic_windows WHERE session_id = $1) + (SELECT count(*) FROM flows WHERE session_id = $1)
              + (SELECT count(*) FROM top_ips WHERE session_id = $1) + (SELECT count(*) FROM port_stats WHERE session_id = $1) AS n`,
        [summary.session_id],
      );
      sink = Number(r.n);
      await deleteSession(db, summary.session_id);
      // Leave the server's table as it was found, so the next run is measured the same way.
      if (db.kind === 'postgres') await db.exec('VACUUM flows');
    } finally {
      await db.close();
      if (!process.env.BENCH_DB) rmSync(target, { recursive: true, force: true });
    }
  }
  const cpu = process.cpuUsage(c0);
  if (seconds === 0) seconds = (performance.now() - t0) / 1000;
  const { size } = await import('node:fs').then((fs) => fs.statSync(path));
  if (sink < 0) console.log(sink); // keeps the work observable
  return {
    mode,
    seconds,
    packets,
    bytes: size,
    maxRssKb: process.resourceUsage().maxRSS,
    rows: sink,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

function child(mode: Mode, path: string, env: NodeJS.ProcessEnv = process.env): Measurement {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--measure', mode, path], {
    encoding: 'utf8',
    env,
  });
  if (r.status !== 0) throw new Error(`measurement ${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--measure') {
    console.log(JSON.stringify(await measure(args[1] as Mode, args[2])));
    return;
  }
  if (!existsSync(CORPUS)) {
    console.log(`skipped: ${CORPUS} not found (the bench capture is built from the public corpus)`);
    return;
  }
  const cap = await ensureBenchCapture(`${ROOT}.bench`, CORPUS);
  console.log(
    `bench capture: ${(cap.bytes / 1e9).toFixed(2)} GB, ${cap.packets.toLocaleString('en-US')} packets, ${cap.distinctFlows.toLocaleString('en-US')} distinct flows (${cap.path})`,
  );
  console.log(
    `median of ${RUNS} runs, each in a fresh process (the full analysis runs its flow half in a worker thread):`,
  );
  const results: Record<string, unknown> = {};
  // What the protocol logs cost: the full analysis with and without them, run after run in turn
  // (the machine's load moves both alike), medians of each.
  const withLogs: Measurement[] = [];
  const withoutLogs: Measurement[] = [];
  for (let i = 0; i < RUNS; i++) {
    withLogs.push(child('analyze', cap.path));
    withoutLogs.push(child('analyze-nologs', cap.path));
  }
  const on = median(withLogs.map((r) => r.seconds));
  const off = median(withoutLogs.map((r) => r.seconds));
  const onRss = median(withLogs.map((r) => r.maxRssKb)) / 1024;
  console.log(
    `  protocol logs       ${on.toFixed(2)} s with, ${off.toFixed(2)} s without (--no-logs): +${(((on - off) / off) * 100).toFixed(1)}%, peak RSS ${onRss.toFixed(0)} MB with (interleaved, medians of ${RUNS})`,
  );
  results.logs_cost = {
    seconds_with: on,
    seconds_without: off,
    all_with: withLogs.map((r) => r.seconds),
    all_without: withoutLogs.map((r) => r.seconds),
    peak_rss_mb_with: Math.round(onRss),
  };
  if (process.env.BENCH_ONLY === 'logs') {
    console.log(JSON.stringify({ capture: cap, runs: RUNS, results }));
    return;
  }
  for (const mode of ['read', 'decode', 'floor', 'analyze1', 'analyze'] as Mode[]) {
    const runs = Array.from({ length: RUNS }, () => child(mode, cap.path));
    const secs = median(runs.map((r) => r.seconds));
    const rss = median(runs.map((r) => r.maxRssKb)) / 1024;
    const smallRss =
      median([child(mode, cap.smallPath), child(mode, cap.smallPath)].map((r) => r.maxRssKb)) / 1024;
    const pps = cap.packets / secs;
    const mbps = cap.bytes / 1e6 / secs;
    const cpu = median(runs.map((r) => r.cpuSeconds));
    const label = {
      read: 'read only',
      decode: 'read + decode',
      floor: 'bare flow table',
      copy: 'COPY',
      analyze1: 'analysis, 1 thread',
      analyze: 'full analysis',
      'analyze-nologs': 'analysis, no logs',
      'analyze1-nologs': '1 thread, no logs',
      ingest: 'ingest',
    }[mode];
    console.log(
      `  ${label.padEnd(19)} ${(pps / 1e6).toFixed(2).padStart(6)} M packets/s ${mbps.toFixed(0).padStart(6)} MB/s  ${secs.toFixed(2)} s (CPU ${cpu.toFixed(2)} s)  peak RSS ${rss.toFixed(0)} MB on ${(cap.bytes / 1e9).toFixed(2)} GB, ${smallRss.toFixed(0)} MB on ${(cap.smallBytes / 1e9).toFixed(2)} GB`,
    );
    results[mode] = {
      packets_per_s: Math.round(pps),
      mb_per_s: Math.round(mbps),
      seconds: secs,
      cpu_seconds: cpu,
      all_seconds: runs.map((r) => r.seconds),
      peak_rss_mb: Math.round(rss),
      peak_rss_mb_small: Math.round(smallRss),
    };
  }
  // End-to-end ingest: slower, so fewer runs (BENCH_INGEST_RUNS, default 3; set BENCH_DATABASE_URL
  // for PostgreSQL).
  const targets: [string, NodeJS.ProcessEnv][] = [['PGlite', { ...process.env, BENCH_DB: '' }]];
  if (process.env.BENCH_DATABASE_URL)
    targets.push(['PostgreSQL', { ...process.env, BENCH_DB: process.env.BENCH_DATABASE_URL }]);
  for (const [name, env] of targets) {
    if (env.BENCH_DB === '') delete env.BENCH_DB;
    const runs = Array.from({ length: INGEST_RUNS }, () => child('ingest', cap.path, env));
    const secs = median(runs.map((r) => r.seconds));
    const rows = runs[0].rows;
    const rss = median(runs.map((r) => r.maxRssKb)) / 1024;
    console.log(
      `  ingest into ${name.padEnd(10)} ${(cap.packets / secs / 1e6).toFixed(2)} M packets/s, ${Math.round(rows / secs).toLocaleString('en-US')} rows/s, ${secs.toFixed(1)} s (median of ${runs.length}), peak RSS ${Math.round(rss)} MB`,
    );
    results[`ingest_${name.toLowerCase()}`] = {
      seconds: secs,
      all_seconds: runs.map((r) => r.seconds),
      packets_per_s: Math.round(cap.packets / secs),
      rows,
      rows_per_s: Math.round(rows / secs),
      peak_rss_mb: Math.round(rss),
    };
    // What the database alone takes for the flows (the bulk of the rows), with no analysis.
    const copyEnv = { ...env, BENCH_COPY_ROWS: String(cap.distinctFlows) };
    const copies = Array.from({ length: INGEST_RUNS }, () => child('copy', cap.path, copyEnv));
    const copySecs = median(copies.map((r) => r.seconds));
    console.log(
      `  COPY of the flows alone into ${name.padEnd(10)} ${Math.round(cap.distinctFlows / copySecs).toLocaleString('en-US')} rows/s, ${copySecs.toFixed(1)} s for ${cap.distinctFlows.toLocaleString('en-US')} flow-shaped rows (median of ${copies.length})`,
    );
    results[`copy_${name.toLowerCase()}`] = {
      seconds: copySecs,
      all_seconds: copies.map((r) => r.seconds),
      rows: cap.distinctFlows,
      rows_per_s: Math.round(cap.distinctFlows / copySecs),
    };
  }
  console.log(JSON.stringify({ capture: cap, runs: RUNS, results }));
}

main().catch((err: unknown) => {
  console.error(`bench: ${(err as Error).message}`);
  process.exitCode = 1;
});
