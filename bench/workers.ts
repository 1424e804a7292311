import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { PcapWriter } from '../src/capture/index.js';

// `npm run bench:workers`: ingest throughput of a deployment with 1, 2 and 3 `flowlens worker`
// processes behind one API node (`serve --workers 0`), each on a fresh database on the
// PostgreSQL server of BENCH_DATABASE_URL (its role must be allowed to create databases). The
// same uploads each time: BENCH_CAPTURES captures of BENCH_PACKETS packets of many small UDP
// flows; the time runs from the first upload to the last session completed. Also the
// PostgreSQL side: flows written per second, and the flows table's bytes per flow.

const BIN = fileURLToPath(new URL('../../bin/flowlens.js', import.meta.url));
const CAPTURES = Number(process.env.BENCH_CAPTURES ?? 6);
const PACKETS = Number(process.env.BENCH_PACKETS ?? 300_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);

function writeCapture(path: string, packets: number, salt: number): void {
  const w = new PcapWriter(path, { linkType: 1, nanosecond: false });
  const frame = Buffer.alloc(14 + 20 + 8 + 60);
  frame.writeUInt16BE(0x0800, 12);
  frame[14] = 0x45;
  frame.writeUInt16BE(20 + 8 + 60, 16);
  frame[22] = 64;
  frame[23] = 17;
  frame.writeUInt16BE(8 + 60, 38);
  for (let i = 0; i < packets; i++) {
    const flow = Math.floor(i / 3);
    frame.writeUInt32BE(((10 << 24) | (salt << 16) | (flow & 0xffff)) >>> 0, 26);
    frame.writeUInt32BE(((198 << 24) | (51 << 16) | (100 << 8) | (flow % 200)) >>> 0, 30);
    frame.writeUInt16BE(1024 + (flow % 60000), 34);
    frame.writeUInt16BE(53 + (flow % 7), 36);
    w.write(1_700_000_000 + Math.floor(i / 2000), (i % 2000) * 500_000, frame);
  }
  w.close();
}

function start(args: string[], ready: RegExp): Promise<{ proc: ChildProcess; match: RegExpExecArray }> {
  const proc = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const on = (d: Buffer) => {
      out += d;
      const m = ready.exec(out);
      if (m) resolve({ proc, match: m });
    };
    proc.stdout!.on('data', on);
    proc.stderr!.on('data', on);
    proc.on('exit', (code) => reject(new Error(`${args[0]} exited (${code}):\n${out}`)));
  });
}

async function upload(base: string, path: string): Promise<string> {
  const boundary = `----bench${Math.random().toString(16).slice(2)}`;
  const body = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${path.split('/').pop()}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    ),
    readFileSync(path),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const res = await fetch(`${base}/api/sessions`, {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'x-flowlens-request': '1' },
    body,
  });
  const json = (await res.json()) as { session_id?: string; error?: string };
  if (!json.session_id) throw new Error(`upload refused: ${json.error}`);
  return json.session_id;
}

async function run(admin: string, workers: number, captures: string[]): Promise<Record<string, number>> {
  const name = `flowlens_bench_workers_${process.pid}`;
  const a = new pg.Client({ connectionString: admin });
  await a.connect();
  await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await a.query(`CREATE DATABASE ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const store = mkdtempSync(join(tmpdir(), 'flowlens-bench-store-'));
  const procs: ChildProcess[] = [];
  try {
    const api = await start(
      ['serve', '--port', '0', '--db', url.toString(), '--workers', '0', '--store', store],
      /dashboard on (http:\/\/\S+?)\/? /,
    );
    procs.push(api.proc);
    for (let i = 0; i < workers; i++)
      procs.push(
        (await start(['worker', '--db', url.toString(), '--store', store], /taking ingest jobs/)).proc,
      );
    const base = api.match[1];
    const t0 = performance.now();
    const ids = await Promise.all(captures.map((c) => upload(base, c)));
    const db = new pg.Client({ connectionString: url.toString() });
    await db.connect();
    for (;;) {
      const r = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pcap_sessions WHERE session_id = ANY($1) AND status IN ('completed', 'failed')`,
        [ids],
      );
      if (r.rows[0].n === ids.length) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    const seconds = (performance.now() - t0) / 1000;
    // The table's size once every session's flow indexes are built.
    for (;;) {
      const r = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pcap_sessions WHERE session_id = ANY($1) AND flows_indexed_at IS NULL',
        [ids],
      );
      if (r.rows[0].n === 0) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    const facts = await db.query<{ packets: number; flows: number; failed: number; flow_bytes: number }>(
      `SELECT (SELECT sum(packets)::float8 FROM pcap_sessions) AS packets,
              (SELECT count(*)::float8 FROM flows) AS flows,
              (SELECT count(*)::int FROM pcap_sessions WHERE status = 'failed') AS failed,
              (SELECT sum(pg_total_relation_size(c.oid))::float8 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = 'flows'::regclass) AS flow_bytes`,
    );
    await db.end();
    const f = facts.rows[0];
    if (f.failed > 0) throw new Error(`${f.failed} sessions failed`);
    const bytes = captures.reduce((s, c) => s + statSync(c).size, 0);
    return {
      workers,
      seconds,
      packets_per_s: f.packets / seconds,
      mb_per_s: bytes / 1e6 / seconds,
      flows_per_s: f.flows / seconds,
      flow_table_bytes_per_flow: f.flow_bytes / f.flows,
    };
  } finally {
    for (const p of procs) p.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await a.end();
    rmSync(store, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const admin = process.env.BENCH_DATABASE_URL;
  if (!admin)
    throw new Error('set BENCH_DATABASE_URL to a PostgreSQL server whose role may create databases');
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-bench-workers-'));
  try {
    const captures = Array.from({ length: CAPTURES }, (_, i) => {
      const path = join(dir, `c${i}.pcap`);
      writeCapture(path, PACKETS, i);
      return path;
    });
    const results: Record<string, number>[] = [];
    // Interleaved rounds, so a slower moment of the machine does not land on one count only.
    for (let r = 0; r < ROUNDS; r++) for (const n of [1, 2, 3]) results.push(await run(admin, n, captures));
    for (const n of [1, 2, 3]) {
      const mine = results.filter((x) => x.workers === n).sort((x, y) => x.seconds - y.seconds);
      const m = mine[Math.floor(mine.length / 2)];
      process.stdout.write(
        `${n} worker(s): ${m.seconds.toFixed(1)} s for ${CAPTURES} × ${PACKETS} packets: ${(m.packets_per_s / 1e6).toFixed(2)} M packets/s, ${m.mb_per_s.toFixed(1)} MB/s, ${(m.flows_per_s / 1e3).toFixed(0)} k flows/s written; flows table ${m.flow_table_bytes_per_flow.toFixed(0)} bytes/flow\n`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
