import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { freshDatabase as freshDb } from './helpers/fresh-db.js';
import { parseSse } from './helpers/http.js';
import { type LocalS3, startLocalS3 } from './helpers/s3-server.js';
import {
  CSRF,
  getJson,
  type ServerProcess,
  startServerProcess,
  startWorkerProcess,
  uploadFile,
  waitForSession,
  writeBusyCapture,
} from './helpers/server-process.js';

// A deployment as docs/DEPLOY.md describes it, each part a process of its own: one PostgreSQL
// database (the test's own), two API nodes (`serve --workers 0`) and three `flowlens worker`s,
// sharing a capture store (a folder, then S3 from s3rver).

const PG_URL = process.env.TEST_DATABASE_URL;
if (!PG_URL) {
  if (process.env.CI) throw new Error('CI needs TEST_DATABASE_URL: the deployment tests may not be skipped');
  console.warn('skipped: deployment tests with workers (TEST_DATABASE_URL not set)');
}

const dir = mkdtempSync(join(tmpdir(), 'flowlens-cluster-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A database of the test's own on the test server. */
function freshDatabase(name: string): Promise<{ url: string; drop: () => Promise<void> }> {
  return freshDb(PG_URL!, name);
}

interface SessionJson {
  status: string;
  phase: string;
  progress: number;
  packets: number | null;
  packets_available?: boolean;
  packets_note?: string | null;
  error: string | null;
  worker: { host: string; pid: number } | null;
}

async function sessionOn(base: string, id: string): Promise<{ status: number; session?: SessionJson }> {
  const res = await fetch(`${base}/api/sessions/${id}?anomalies=false`);
  if (res.status !== 200) return { status: res.status };
  return { status: 200, session: ((await res.json()) as { session: SessionJson }).session };
}

/** Polls until the session is being read by a worker and returns that worker's pid. */
async function runningWorker(base: string, id: string): Promise<number> {
  const until = Date.now() + 60_000;
  for (;;) {
    const { session } = await sessionOn(base, id);
    if (session?.status === 'processing' && session.worker && session.progress > 0.05)
      return session.worker.pid;
    if (session?.status === 'completed' || session?.status === 'failed')
      throw new Error(`session ${id} ended (${session.status}) before it could be caught running`);
    if (Date.now() > until) throw new Error(`session ${id} never ran: ${JSON.stringify(session)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Waits up to 5 s for `ok`, then fails. */
async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 250 && !ok(); i++) await new Promise((r) => setTimeout(r, 20));
  expect(ok()).toBe(true);
}

describe('asking for workers without PostgreSQL', () => {
  async function run(args: string[]): Promise<{ code: number; err: string }> {
    let err = '';
    const sink = {
      write: (s: string) => {
        err += s;
        return true;
      },
    } as unknown as NodeJS.WritableStream;
    const code = await main(args, { stdout: sink, stderr: sink });
    return { code, err };
  }

  it('worker and serve --workers 0 with a PGlite folder say in one line that they need PostgreSQL', async () => {
    const w = await run(['worker', '--db', join(dir, 'pglite'), '--store', join(dir, 's')]);
    expect(w.code).toBe(2);
    expect(w.err.trim().split('\n')).toHaveLength(1);
    expect(w.err).toMatch(/workers need PostgreSQL/);
    const s = await run(['serve', '--db', join(dir, 'pglite'), '--workers', '0']);
    expect(s.code).toBe(2);
    expect(s.err.trim().split('\n')).toHaveLength(1);
    expect(s.err).toMatch(/--workers 0 needs PostgreSQL/);
  });

  it('names a malformed S3 store and a --workers other than 0', async () => {
    const w = await run(['worker', '--db', 'postgres://x@127.0.0.1:1/x', '--store', 's3://Bad_Bucket']);
    expect(w.code).toBe(2);
    expect(w.err).toMatch(/expected s3:\/\/BUCKET\/PREFIX/);
    const s = await run(['serve', '--workers', '2']);
    expect(s.code).toBe(2);
    expect(s.err).toMatch(/--workers takes 0/);
  });
});

// Small captures for the 20 uploads (a few hundred packets each, all counts different), and a
// large one (about 45 MB) that takes seconds to ingest, for the kill and the delete.
const SMALL = Array.from({ length: 20 }, (_, i) => 150 + 37 * i);
const LARGE_PACKETS = 400_000;

const stores: [string, (s3: LocalS3 | null) => string, boolean][] = [
  ['a shared folder', () => join(dir, 'store'), false],
  ['S3 (s3rver on 127.0.0.1)', (s3) => `s3://${s3!.bucket}/captures`, true],
];

describe.skipIf(!PG_URL).each(stores)(
  'two API nodes and three workers, captures in %s',
  (label, storeOf, useS3) => {
    let s3: LocalS3 | null = null;
    let db: Awaited<ReturnType<typeof freshDatabase>>;
    let a: ServerProcess;
    let b: ServerProcess;
    let workers: ServerProcess[] = [];
    let env: Record<string, string> = {};
    let store = '';
    const large = join(dir, `large-${useS3 ? 's3' : 'dir'}.pcap`);

    beforeAll(async () => {
      if (useS3) s3 = await startLocalS3();
      env = s3?.env ?? {};
      store = storeOf(s3);
      db = await freshDatabase(`flowlens_h_cluster_${useS3 ? 's3' : 'dir'}_${process.pid}`);
      writeBusyCapture(large, LARGE_PACKETS);
      for (const [i, n] of SMALL.entries()) writeBusyCapture(join(dir, `small-${i}.pcap`), n);
      const common = ['--db', db.url, '--workers', '0', '--store', store];
      // The first node creates the schema and the queue; the others then start together.
      a = await startServerProcess(common, env);
      [b, ...workers] = await Promise.all([
        startServerProcess(common, env),
        ...[0, 1, 2].map(() => startWorkerProcess(['--db', db.url, '--store', store, '--lease', '10'], env)),
      ]);
    }, 180_000);

    afterAll(async () => {
      if (process.env.DEBUG_CLUSTER) for (const w of [a, b, ...workers]) console.log(w?.output());
      await Promise.all([a, b, ...workers].filter(Boolean).map((p) => p.stop('SIGKILL')));
      await db?.drop();
      await s3?.close();
    });

    it(`20 uploads spread over both API nodes all complete with the packets each capture holds (${label})`, async () => {
      const ids = await Promise.all(
        SMALL.map(async (_, i) => {
          const up = await uploadFile(i % 2 === 0 ? a.url : b.url, join(dir, `small-${i}.pcap`));
          expect(up.status, up.body.error).toBe(202);
          return up.body.session_id!;
        }),
      );
      for (const [i, id] of ids.entries()) {
        // Asked of the node that did not take the upload.
        const s = await waitForSession(i % 2 === 0 ? b.url : a.url, id, undefined, 120_000);
        expect(s.status, s.error ?? '').toBe('completed');
        expect(s.packets).toBe(SMALL[i]);
      }
      // The packets of what a worker analysed, read back from the store by an API node (on S3 by
      // ranged GETs; not the worker's temporary download): every packet of the capture.
      for (const i of [0, 1]) {
        const base = i % 2 === 0 ? b.url : a.url;
        const { session } = await sessionOn(base, ids[i]);
        expect(session?.packets_available, session?.packets_note ?? '').toBe(true);
        const res = await fetch(`${base}/api/sessions/${ids[i]}/packets?from=0&to=9999999999`);
        expect(res.status, await res.clone().text()).toBe(200);
        expect(Number(res.headers.get('x-flowlens-packets'))).toBe(SMALL[i]);
        await res.arrayBuffer();
      }
      // More than one worker took part (three idle workers, twenty jobs).
      const doers = workers.filter((w) => /session \S+ completed/.test(w.output()));
      expect(doers.length).toBeGreaterThan(1);
    }, 180_000);

    it(`a worker killed mid-ingest: another redoes the session, whose progress the other API node streams (${label})`, async () => {
      const up = await uploadFile(a.url, large);
      expect(up.status, up.body.error).toBe(202);
      const id = up.body.session_id!;
      // Progress as the browser would follow it, from the node that did not take the upload.
      const events = fetch(`${b.url}/api/sessions/${id}/events`)
        .then((r) => r.text())
        .catch((err: Error) => `stream failed: ${err.message}`);
      const pid = await runningWorker(a.url, id);
      const victim = workers.find((w) => w.proc.pid === pid);
      expect(victim, `worker ${pid} is not one of the test's`).toBeDefined();
      await victim!.stop('SIGKILL');
      const s = await waitForSession(a.url, id, undefined, 180_000);
      expect(s.status, s.error ?? '').toBe('completed');
      expect(s.packets).toBe(LARGE_PACKETS);
      const survivors = workers.filter((w) => w !== victim);
      expect(victim!.proc.signalCode).toBe('SIGKILL');
      // Its log line may trail the database's answer by a moment.
      await until(() => survivors.some((w) => w.output().includes(`session ${id} completed`)));
      const seen = parseSse(await events);
      const progress = seen.filter((e) => e.event === 'progress').map((e) => e.data as SessionJson);
      expect(progress.some((p) => p.status === 'processing' && p.progress > 0 && p.progress < 1)).toBe(true);
      // The stream saw the session go back to the queue when its worker was lost.
      expect(
        progress.some((p, i) => i > 0 && p.status === 'queued' && progress[i - 1].status === 'processing'),
      ).toBe(true);
      const end = seen.find((e) => e.event === 'end')?.data as SessionJson;
      expect(end.status).toBe('completed');
      expect(end.packets).toBe(LARGE_PACKETS);
      // No survivor was told it lost a lease it held (two workers requeueing the same lost session).
      for (const w of survivors) expect(w.output()).not.toContain('lost the lease');
      // A worker in place of the lost one, for what follows.
      workers = [
        ...survivors,
        await startWorkerProcess(['--db', db.url, '--store', store, '--lease', '10'], env),
      ];
    }, 240_000);

    it(`a delete on node B cancels the job a worker is running for node A's upload (${label})`, async () => {
      const up = await uploadFile(a.url, large);
      expect(up.status, up.body.error).toBe(202);
      const id = up.body.session_id!;
      const pid = await runningWorker(a.url, id);
      const started = Date.now();
      const del = await fetch(`${b.url}/api/sessions/${id}`, { method: 'DELETE', headers: CSRF });
      expect(del.status).toBe(204);
      // Stopped, not run to its end: a full ingest of this capture takes longer than this.
      expect(Date.now() - started).toBeLessThan(15_000);
      expect((await sessionOn(a.url, id)).status).toBe(404);
      const worker = workers.find((w) => w.proc.pid === pid)!;
      await until(() => worker.output().includes(`session ${id} failed: cancelled: the session was deleted`));
      // Nothing of it is left: its capture is gone from the store, and the worker takes the next job.
      const next = await uploadFile(b.url, join(dir, 'small-0.pcap'));
      const s = await waitForSession(a.url, next.body.session_id!, undefined, 60_000);
      expect(s.status).toBe('completed');
      const list = await getJson<{ sessions: { session_id: string }[] }>(a.url, '/api/sessions');
      expect(list.sessions.some((x) => x.session_id === id)).toBe(false);
    }, 120_000);
  },
);
