import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ingestCapture } from '../src/ingest/index.js';
import { buildApp } from '../src/server/index.js';
import { listSessions, openStore } from '../src/storage/index.js';
import { ensureBenchCapture } from './make-capture.js';

// `npm run bench:api`: the data endpoints on a session of about 2M flows (the bench capture),
// through the server's own request handling: median and 95th percentile of 20 calls each, with
// the answer cache off (what the database gives: a page's first load) and then on (a page opened
// again).
// BENCH_DATABASE_URL picks a PostgreSQL server (else a fresh PGlite folder, or BENCH_DB).
// The session is loaded once and reused by later runs on the same database.

const ROOT = fileURLToPath(new URL('../../', import.meta.url)); // dist/bench → project root
const CORPUS = fileURLToPath(new URL('../shared/pcaps/real', `file://${ROOT}`));
const CALLS = Number(process.env.BENCH_CALLS ?? 20);
const NAME = 'bench-api (bench capture)';

async function main(): Promise<void> {
  const capture = await ensureBenchCapture(join(ROOT, '.bench'), CORPUS);
  const target =
    process.env.BENCH_DATABASE_URL ??
    process.env.BENCH_DB ??
    mkdtempSync(join(tmpdir(), 'flowlens-bench-api-'));
  const db = await openStore(target, { pgliteThread: true });
  let session = (await listSessions(db)).find((s) => s.name === NAME && s.status === 'completed');
  if (!session) {
    process.stdout.write(`loading ${capture.path} into ${db.location} …\n`);
    const t = performance.now();
    const { sessionId } = await ingestCapture(db, capture.path, { sessionName: NAME });
    process.stdout.write(`  loaded in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
    session = (await listSessions(db)).find((s) => s.session_id === sessionId)!;
  }
  const options = {
    db,
    uploadsDir: join(tmpdir(), 'flowlens-bench-api-uploads'),
    webDir: null,
    token: null,
    maxUploadBytes: 1e9,
    concurrency: 1,
    host: '127.0.0.1',
  };
  const { app, indexer } = await buildApp({ ...options, answerCacheBytes: 0 });
  const cached = (await buildApp(options)).app;
  const t = performance.now();
  indexer.add(session.session_id);
  await indexer.idle();
  process.stdout.write(`flow indexes ready after ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  const base = `/api/sessions/${session.session_id}`;
  const summary = (await app.inject({ url: base })).json().summary;
  const ip = summary.top_talkers[0].ip;
  const port = summary.ports[0].port;
  const mid = Math.floor(summary.windows.count / 2);
  process.stdout.write(
    `session ${session.session_id}: ${summary.flows.count.toLocaleString('en-US')} flows, ${summary.windows.count} windows (${db.kind})\n\n`,
  );
  const urls = [
    '',
    '/windows',
    '/flows',
    '/flows?sort=packet_count',
    '/flows?sort=duration_seconds&order=asc',
    '/flows?sort=start_timestamp',
    '/flows?sort=retransmissions',
    `/flows?ip=${ip}`,
    `/flows?port=${port}`,
    '/flows?protocol=udp',
    '/flows?protocol=other',
    `/flows?window_from=${mid}&window_to=${mid + 10}`,
    '/flows?offset=10000',
    '/talkers',
    '/ports',
    '/tcp-health',
    '/distributions',
    '/direction',
    '/anomalies',
    '/insights',
  ];
  process.stdout.write(
    `${''.padEnd(40)} ${'from the database'.padStart(21)} ${'cached'.padStart(21)}\n${'endpoint'.padEnd(40)} ${'median'.padStart(10)} ${'p95'.padStart(10)} ${'median'.padStart(10)} ${'p95'.padStart(10)}\n`,
  );
  const measure = async (server: typeof app, u: string) => {
    const times: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      const t0 = performance.now();
      const res = await server.inject({ url: base + u });
      times.push(performance.now() - t0);
      if (res.statusCode !== 200) throw new Error(`${u}: ${res.statusCode} ${res.body.slice(0, 200)}`);
    }
    times.sort((a, b) => a - b);
    return {
      median: times[Math.floor(times.length / 2)],
      p95: times[Math.min(times.length - 1, Math.ceil(times.length * 0.95) - 1)],
    };
  };
  const ms = (n: number) => `${n.toFixed(1).padStart(7)} ms`;
  let slowest = 0;
  for (const u of urls) {
    const cold = await measure(app, u);
    const warm = await measure(cached, u);
    slowest = Math.max(slowest, cold.median);
    process.stdout.write(
      `${(u || '(session)').padEnd(40)} ${ms(cold.median)} ${ms(cold.p95)} ${ms(warm.median)} ${ms(warm.p95)}\n`,
    );
  }
  process.stdout.write(
    `\nslowest median from the database: ${slowest.toFixed(1)} ms (target: under 200 ms)\n`,
  );
  await cached.close();
  await app.close();
  await db.close();
}

await main();
