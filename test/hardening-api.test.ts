import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../src/server/index.js';
import { type Db, openStore } from '../src/storage/index.js';
import { multipart } from './helpers/http.js';
import { hasSharedPcaps, SHARED_PCAPS } from './helpers/shared.js';

/**
 * Issue #22's hostile review, replayed through Fastify's request injection on PGlite: every
 * numeric parameter at its extremes, and text fields with bytes PostgreSQL cannot store.
 */
const dir = mkdtempSync(join(tmpdir(), 'flowlens-harden-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CSRF = { 'x-flowlens-request': '1' };
const SMALL = 'eth-icmp-unreach-quoting-udp_icmp-destunreach-udp.pcap';

/** Numbers a hostile client sends: non-finite, past every integer type, fractional, negative. */
const EXTREMES = [
  'Infinity',
  '-Infinity',
  'NaN',
  '1e309',
  '-1e309',
  '2147483648',
  '-2147483649',
  '9223372036854775808',
  '9007199254740993',
  '1e20',
  '-1',
  '0.5',
  '0x10',
  '',
];

describe.skipIf(!hasSharedPcaps)('the API under hostile parameters', () => {
  let db: Db;
  let server: App;
  let app: FastifyInstance;
  let session: string;

  beforeAll(async () => {
    db = await openStore(join(dir, 'pglite'));
    server = await buildApp({
      db,
      uploadsDir: join(dir, 'uploads'),
      webDir: null,
      token: null,
      maxUploadBytes: 4_000_000,
      concurrency: 1,
      host: '127.0.0.1',
    });
    app = server.app;
    const body = multipart({}, { name: SMALL, data: readFileSync(`${SHARED_PCAPS}/real/${SMALL}`) });
    const res = await app.inject({
      method: 'POST',
      url: '/api/sessions',
      headers: { ...body.headers, ...CSRF },
      payload: body.payload,
    });
    expect(res.statusCode, res.body).toBe(202);
    await server.queue.idle();
    session = res.json().session_id;
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('answers every numeric parameter at its extremes with 2xx or 4xx, never a 500', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as {
      paths: Record<
        string,
        Record<string, { parameters: { name: string; in: string; schema: { type: unknown } }[] }>
      >;
    };
    const failures: string[] = [];
    let sent = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      const op = ops.get;
      if (!op) continue;
      const numeric = op.parameters.filter(
        (p) => p.in === 'query' && [p.schema.type].flat().some((t) => t === 'integer' || t === 'number'),
      );
      const url = path.replace('{id}', session);
      for (const p of numeric) {
        for (const v of EXTREMES) {
          const res = await app.inject({ method: 'GET', url: `${url}?${p.name}=${encodeURIComponent(v)}` });
          sent++;
          if (res.statusCode >= 500) failures.push(`${url}?${p.name}=${v} → ${res.statusCode} ${res.body}`);
          // A refusal names the parameter, so the user knows which one to fix.
          else if (res.statusCode === 400 && !res.body.includes(p.name))
            failures.push(`${url}?${p.name}=${v} → 400 without naming it: ${res.body}`);
        }
      }
    }
    expect(sent).toBeGreaterThan(50);
    expect(failures).toEqual([]);
  });

  async function upload(fields: Record<string, string>, fileName = SMALL) {
    const real = `${SHARED_PCAPS}/real/${fileName}`;
    const data = readFileSync(existsSync(real) ? real : `${SHARED_PCAPS}/real/${SMALL}`);
    const body = multipart(fields, { name: fileName, data });
    return app.inject({
      method: 'POST',
      url: '/api/sessions',
      headers: { ...body.headers, ...CSRF },
      payload: body.payload,
    });
  }

  it('stores an upload whose name holds NUL, control and bidi characters under the cleaned name', async () => {
    const res = await upload({ name: 'office\u0000 capture\u001b[2J\u202Egpj.pcap' }, 'x\u202Egpj.pcap');
    expect(res.statusCode, res.body).toBe(202);
    const id = res.json().session_id;
    const got = (await app.inject({ method: 'GET', url: `/api/sessions/${id}` })).json().session;
    expect(got.name).toBe('office capture[2Jgpj.pcap');
    expect(got.file_name).toBe('xgpj.pcap');
    await server.queue.idle();
  });

  it('refuses a NUL or other control character in any other text field with a 400 naming it', async () => {
    for (const field of ['window', 'local_nets', 'baseline']) {
      const res = await upload({ [field]: 'a\u0000b' });
      expect(res.statusCode, `${field}: ${res.body}`).toBe(400);
      expect(res.json().error).toContain(field);
    }
    const login = await app.inject({
      method: 'POST',
      url: '/api/login',
      headers: CSRF,
      payload: { token: 'x\u0000y' },
    });
    expect(login.statusCode, login.body).toBe(400);
    const q = await app.inject({ method: 'GET', url: `/api/sessions/${session}/flows?ip=%00` });
    expect(q.statusCode).toBe(400);
  });

  it('pages flows by cursor in every sort and order exactly as sorting them all would', async () => {
    const res = await upload({}, 'eth-mixed-services_var-services-std-ports.pcap');
    expect(res.statusCode, res.body).toBe(202);
    await server.queue.idle();
    const id = res.json().session_id;
    type F = Record<string, number>;
    const all = (await app.inject({ url: `/api/sessions/${id}/flows?limit=1000` })).json().flows as F[];
    expect(all.length).toBeGreaterThan(20);
    for (const sort of [
      'total_bytes',
      'packet_count',
      'duration_seconds',
      'start_timestamp',
      'retransmissions',
    ]) {
      for (const order of ['asc', 'desc']) {
        const sign = order === 'asc' ? 1 : -1;
        const want = [...all]
          .sort((a, b) => sign * (a[sort] - b[sort] || a.flow_id - b.flow_id))
          .map((f) => f.flow_id);
        const got: number[] = [];
        let after: string | null = null;
        for (let pages = 0; pages < 20; pages++) {
          const url: string = `/api/sessions/${id}/flows?limit=7&sort=${sort}&order=${order}${after ? `&after=${encodeURIComponent(after)}` : ''}`;
          const page: Awaited<ReturnType<FastifyInstance['inject']>> = await app.inject({ url });
          expect(page.statusCode, page.body).toBe(200);
          got.push(...(page.json().flows as F[]).map((f) => f.flow_id));
          after = page.json().next_cursor;
          if (after === null) break;
        }
        expect(got, `${sort} ${order}`).toEqual(want);
      }
    }
    const bad = await app.inject({ url: `/api/sessions/${id}/flows?after=1:2&offset=5` });
    expect(bad.statusCode).toBe(400);
    expect((await app.inject({ url: `/api/sessions/${id}/flows?after=x` })).statusCode).toBe(400);
  }, 60_000);

  it('refuses non-finite and out-of-range numbers with a 400 naming the parameter', async () => {
    for (const q of ['limit=Infinity', 'port=-Infinity', 'offset=1e309', 'limit=NaN']) {
      const res = await app.inject({ method: 'GET', url: `/api/sessions/${session}/flows?${q}` });
      expect(res.statusCode, `${q}: ${res.body}`).toBe(400);
      expect(res.json().error).toContain(q.split('=')[0]);
    }
    const res = await app.inject({ method: 'GET', url: `/api/sessions/${session}/windows?to=2147483648` });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error).toContain('to');
  });
});
