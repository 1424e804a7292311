import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as packetsCommand } from '../src/cli/commands/packets.js';
import { extractPackets } from '../src/extract/index.js';
import { generateCapture } from '../src/generate/index.js';
import { applyRetention } from '../src/packets/index.js';
import { type App, buildApp } from '../src/server/index.js';
import { type Db, getFlowForSelection, openStore } from '../src/storage/index.js';
import { type CaptureStore, openCaptureStore } from '../src/store/index.js';
import { Collect, readBack } from './helpers/extract.js';
import { multipart } from './helpers/http.js';
import { type LocalS3, startLocalS3 } from './helpers/s3-server.js';
import { hasSharedPcaps, SHARED_PCAPS } from './helpers/shared.js';

/**
 * "Packets" for sessions whose upload is in an S3 store (s3rver behind a proxy that counts what
 * S3 sends): the API answers a flow with exactly the bytes the same flow extracted from the
 * original file gives, fetching only a small part of the object by ranged GETs; a missing or
 * replaced object is said in one line; deleting the session and retention remove the object; the
 * CLI reads it too.
 */
const ECHO = 'eth-500-tcp-echo-conns-6.8MB_echo-connections.pcap';
/** Flows spread over minutes (the echo capture's 500 run side by side through all of it). */
const SPREAD = 'spread.pcap';
const WIKI = 'eth-dns-http-v4v6_wikipedia.pcap';
const CSRF = { 'x-flowlens-request': '1' };
const dir = mkdtempSync(join(tmpdir(), 'flowlens-packets-s3-'));
const DB = join(dir, 'db');

/** What the S3 server sent back through the proxy, per GET. */
interface Fetch {
  range: string | undefined;
  bytes: number;
}

function countingProxy(target: string, log: Fetch[]): Promise<Server> {
  const to = new URL(target);
  const server = createServer((req, res) => {
    const up = request(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        const entry: Fetch = { range: req.headers.range, bytes: 0 };
        if (req.method === 'GET') log.push(entry);
        answer.on('data', (c: Buffer) => {
          entry.bytes += c.length;
        });
        answer.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe.skipIf(!hasSharedPcaps)('packets of sessions whose capture is in an S3 store', () => {
  let s3: LocalS3;
  let proxy: Server;
  const fetched: Fetch[] = [];
  const saved: Record<string, string | undefined> = {};
  let store: CaptureStore;
  let db: Db;
  let server: App;
  let app: FastifyInstance;
  let echo: string;
  let wiki: string;
  const target = () => `s3://${s3.bucket}/uploads`;

  let spread: string;
  let dbOpen = false;

  async function upload(file: string, path = `${SHARED_PCAPS}/real/${file}`): Promise<string> {
    const body = multipart({}, { name: file, data: readFileSync(path) });
    const res = await app.inject({
      method: 'POST',
      url: '/api/sessions',
      headers: { ...body.headers, ...CSRF },
      payload: body.payload,
    });
    expect(res.statusCode, res.body).toBe(202);
    await server.queue.idle();
    return res.json().session_id as string;
  }

  beforeAll(async () => {
    s3 = await startLocalS3();
    proxy = await countingProxy(s3.endpoint, fetched);
    const env = {
      ...s3.env,
      AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    };
    for (const [k, v] of Object.entries(env)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    store = openCaptureStore(target());
    generateCapture(join(dir, SPREAD), { durationS: 150, hosts: 40, attacks: [] });
    db = await openStore(DB, { pgliteThread: true });
    dbOpen = true;
    server = await buildApp({
      db,
      uploadsDir: join(dir, 'uploads'),
      store,
      webDir: null,
      token: null,
      maxUploadBytes: 64_000_000,
      concurrency: 1,
      host: '127.0.0.1',
    });
    app = server.app;
    echo = await upload(ECHO);
    wiki = await upload(WIKI);
    spread = await upload(SPREAD, join(dir, SPREAD));
  }, 300_000);

  afterAll(async () => {
    if (dbOpen) {
      await app?.close();
      await db?.close();
    }
    await store?.close();
    if (proxy?.listening) await new Promise((r) => proxy.close(r));
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await s3?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the session says its packets are available and where: the object in the store, not a temporary download', async () => {
    const res = await app.inject({ method: 'GET', url: `/api/sessions/${echo}` });
    const s = res.json().session;
    expect(s.packets_available, s.packets_note).toBe(true);
    const rows = await db.query<{ capture_path: string; capture_kept: boolean }>(
      'SELECT capture_path, capture_kept FROM pcap_sessions WHERE session_id = $1',
      [echo],
    );
    expect(rows[0]).toEqual({ capture_path: `${target()}/${echo}.capture`, capture_kept: true });
  });

  it('a flow from the API is byte for byte the same flow extracted from the original file, fetching a small part of the object by ranged GETs', async () => {
    const original = join(dir, SPREAD);
    const size = statSync(original).size;
    // Short TCP flows of several packets, one early, one in the middle, one late: different
    // blocks of the index.
    const flows = await db.query<{ flow_id: number; packet_count: number }>(
      `SELECT flow_id::float8 AS flow_id, packet_count::float8 AS packet_count FROM flows
        WHERE session_id = $1 AND protocol = 'TCP' AND packet_count >= 6 AND end_timestamp - start_timestamp < 2
        ORDER BY start_timestamp, flow_id`,
      [spread],
    );
    expect(flows.length).toBeGreaterThan(10);
    for (const f of [flows[1], flows[Math.floor(flows.length / 2)], flows[flows.length - 2]]) {
      fetched.length = 0;
      const res = await app.inject({
        method: 'GET',
        url: `/api/sessions/${spread}/packets?flow=${f.flow_id}`,
      });
      expect(res.statusCode, res.body).toBe(200);
      const got = res.rawPayload;
      const { records } = await readBack(got);
      expect(records.length).toBe(f.packet_count);
      const row = await getFlowForSelection(db, spread, f.flow_id);
      const fromFile = new Collect();
      await extractPackets(original, { kind: 'flow', flow: row! }, fromFile);
      expect(got.equals(fromFile.bytes), `flow ${f.flow_id}`).toBe(true);
      // Ranged GETs only, never the whole object, and a small part of it for one flow.
      expect(fetched.length).toBeGreaterThan(0);
      expect(fetched.every((g) => g.range !== undefined)).toBe(true);
      const total = fetched.reduce((n, g) => n + g.bytes, 0);
      console.log(`flow ${f.flow_id}: ${fetched.length} GETs, ${total} of ${size} bytes`);
      expect(total, `flow ${f.flow_id}: ${total} of ${size} bytes`).toBeLessThan(size / 5);
    }
  });

  it('a gzip upload in S3 gives its flows as the same flows extracted from the original .gz file', async () => {
    const gz = join(dir, 'wiki.pcap.gz');
    writeFileSync(gz, gzipSync(readFileSync(`${SHARED_PCAPS}/real/${WIKI}`)));
    const id = await upload('wiki.pcap.gz', gz);
    const flows = (await app.inject({ method: 'GET', url: `/api/sessions/${id}/flows?limit=3` })).json()
      .flows as { flow_id: number; packet_count: number }[];
    expect(flows.length).toBe(3);
    for (const f of flows) {
      const res = await app.inject({ method: 'GET', url: `/api/sessions/${id}/packets?flow=${f.flow_id}` });
      expect(res.statusCode, res.body).toBe(200);
      expect((await readBack(res.rawPayload)).records.length).toBe(f.packet_count);
      const fromFile = new Collect();
      await extractPackets(
        gz,
        { kind: 'flow', flow: (await getFlowForSelection(db, id, f.flow_id))! },
        fromFile,
      );
      expect(res.rawPayload.equals(fromFile.bytes), `flow ${f.flow_id}`).toBe(true);
    }
  });

  it('a missing object is "no longer kept" (410) and a replaced one "changed" (409), in one line', async () => {
    const flow = (await app.inject({ method: 'GET', url: `/api/sessions/${wiki}/flows?limit=1` })).json()
      .flows[0];
    const url = `/api/sessions/${wiki}/packets?flow=${flow.flow_id}`;
    expect((await app.inject({ method: 'GET', url })).statusCode).toBe(200);
    const other = join(dir, 'other.pcap');
    writeFileSync(other, readFileSync(`${SHARED_PCAPS}/real/${ECHO}`).subarray(0, 5000));
    await store.putFile(`${wiki}.capture`, other);
    const changed = await app.inject({ method: 'GET', url });
    expect(changed.statusCode).toBe(409);
    expect(changed.json().error).toMatch(
      new RegExp(
        `^the capture behind this session changed since it was analysed: s3://.*${wiki}\\.capture \\(5000 bytes, was \\d+`,
      ),
    );
    await store.delete(`${wiki}.capture`);
    const gone = await app.inject({ method: 'GET', url });
    expect(gone.statusCode).toBe(410);
    expect(gone.json().error).toMatch(
      /^packets no longer kept: the kept copy of the capture is gone \(s3:\/\//,
    );
    expect(gone.json().error).not.toContain('\n');
  });

  it('deleting a session deletes its object; retention frees objects and marks the sessions "no longer kept"', async () => {
    const a = await upload(WIKI);
    const b = await upload(WIKI);
    expect(await store.size(`${a}.capture`)).toBeGreaterThan(0);
    const del = await app.inject({ method: 'DELETE', url: `/api/sessions/${a}`, headers: CSRF });
    expect(del.statusCode).toBe(204);
    expect(await store.size(`${a}.capture`)).toBeNull();
    // Keep at most 1 byte of captures: every kept object is freed, through the store.
    const freed = await applyRetention(db, { bytes: 1 }, Date.now(), store);
    expect(freed.map((f) => f.session_id)).toContain(b);
    expect(await store.size(`${b}.capture`)).toBeNull();
    expect(await store.size(`${echo}.capture`)).toBeNull();
    const res = await app.inject({ method: 'GET', url: `/api/sessions/${b}/packets?from=0&to=9999999999` });
    expect(res.statusCode).toBe(410);
    expect(res.json().error).toMatch(/^packets no longer kept: the copy of session .* was freed on /);
  });

  it('`flowlens packets ID --store s3://…` writes the flow read from the store', async () => {
    // A fresh upload, then the server lets go of the embedded database for the CLI.
    const id = await upload(ECHO);
    const flow = (await app.inject({ method: 'GET', url: `/api/sessions/${id}/flows?limit=1` })).json()
      .flows[0];
    const api = (await app.inject({ method: 'GET', url: `/api/sessions/${id}/packets?flow=${flow.flow_id}` }))
      .rawPayload;
    dbOpen = false;
    await app.close();
    await db.close();
    const out = join(dir, 'cli.pcap');
    const lines: string[] = [];
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    const code = await packetsCommand(
      [id, '--flow', String(flow.flow_id), '-o', out, '--store', target(), '--db', DB],
      { stdout: sink, stderr: sink },
      (l) => lines.push(l),
    );
    expect(code, lines.join('\n')).toBe(0);
    expect(readFileSync(out).equals(api)).toBe(true);
    const bad = await packetsCommand(
      [id, '--flow', String(flow.flow_id), '-o', out, '--store', 's3://A_B', '--db', DB],
      { stdout: sink, stderr: sink },
      (l) => lines.push(l),
    ).catch((e: Error) => e.message);
    expect(bad).toMatch(/expected s3:\/\/BUCKET\/PREFIX/);
    // The store away (the endpoint refuses connections): one line, exit 1, no file.
    await new Promise((r) => proxy.close(r));
    lines.length = 0;
    rmSync(out, { force: true });
    const away = await packetsCommand(
      [id, '--flow', String(flow.flow_id), '-o', out, '--store', target(), '--db', DB],
      { stdout: sink, stderr: sink },
      (l) => lines.push(l),
    );
    expect(away).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^the capture store cannot be read: cannot read the capture in s3:\/\//);
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});
