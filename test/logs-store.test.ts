import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeCapture, resolveSettings } from '../src/analysis/index.js';
import { ingestCapture } from '../src/ingest/index.js';
import type { DnsTransaction, HttpTransaction, TlsTransaction } from '../src/protocols/index.js';
import { type App, buildApp } from '../src/server/index.js';
import { type Db, deleteSession, formatLogs, openStore, sessionLogs } from '../src/storage/index.js';
import { hasSharedPcaps, SHARED_PCAPS } from './helpers/shared.js';

/**
 * The protocol logs stored (dns_log, http_log, tls_log, loaded by COPY from the analysis' spool)
 * and served (GET /api/sessions/:id/logs/dns|http|tls), on PGlite and PostgreSQL: the rows are the
 * analysis' own transactions (made in one thread here, as the parsers' test checks them), keyed to
 * the flows the flows table has, and every parameter is checked.
 */
const PG_URL = process.env.TEST_DATABASE_URL;
const dir = mkdtempSync(join(tmpdir(), 'flowlens-logs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const backends: [string, () => string][] = [['PGlite', () => join(dir, 'pglite')]];
if (PG_URL) backends.push(['PostgreSQL', () => PG_URL]);
else console.warn('skipped: log storage tests on PostgreSQL (TEST_DATABASE_URL not set)');

const OFFICE = `${SHARED_PCAPS}/real/eth-realistic-windows-host-1.6MB_tls-subjectaltname.pcap`;

interface Expected {
  dns: DnsTransaction[];
  http: HttpTransaction[];
  tls: TlsTransaction[];
}

async function expected(): Promise<Expected> {
  const e: Expected = { dns: [], http: [], tls: [] };
  await analyzeCapture(OFFICE, {
    pipeline: false,
    onLog: { dns: (r) => e.dns.push(r), http: (r) => e.http.push(r), tls: (r) => e.tls.push(r) },
  });
  return e;
}

const sorted = (xs: unknown[]) => xs.map((x) => JSON.stringify(x)).sort();

describe.skipIf(!hasSharedPcaps).each(backends)('protocol logs stored and served on %s', (_name, target) => {
  let db: Db;
  let server: App;
  let app: FastifyInstance;
  let want: Expected;
  let session: string;
  const get = (url: string) => app.inject({ method: 'GET', url });

  beforeAll(async () => {
    db = await openStore(target(), { pgliteThread: true });
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
    want = await expected();
    session = (await ingestCapture(db, OFFICE)).sessionId;
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  const count = async (table: string, id: string) =>
    Number(
      (
        await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE session_id = $1`, [id])
      )[0].n,
    );

  it('every transaction is a row, with its fields and its flow', async () => {
    expect(want.dns.length).toBeGreaterThan(10);
    expect(want.http.length).toBeGreaterThan(10);
    expect(want.tls.length).toBeGreaterThan(10);
    const dns = await db.query<{
      flow_id: number;
      query: string | null;
      rcode_name: string | null;
      ts: number;
    }>('SELECT flow_id::float8 AS flow_id, query, rcode_name, ts FROM dns_log WHERE session_id = $1', [
      session,
    ]);
    expect(sorted(dns.map((r) => [r.flow_id, r.query, r.ts]))).toEqual(
      sorted(want.dns.map((r) => [r.flowId, r.query, r.ts])),
    );
    const http = await db.query<{
      flow_id: number;
      host: string | null;
      uri: string | null;
      status_code: number | null;
    }>('SELECT flow_id::float8 AS flow_id, host, uri, status_code FROM http_log WHERE session_id = $1', [
      session,
    ]);
    expect(sorted(http.map((r) => [r.flow_id, r.host, r.uri, r.status_code]))).toEqual(
      sorted(want.http.map((r) => [r.flowId, r.host, r.uri, r.status])),
    );
    const tls = await db.query<{
      flow_id: number;
      server_name: string | null;
      ja3: string | null;
      ja4: string | null;
    }>('SELECT flow_id::float8 AS flow_id, server_name, ja3, ja4 FROM tls_log WHERE session_id = $1', [
      session,
    ]);
    expect(sorted(tls.map((r) => [r.flow_id, r.server_name, r.ja3, r.ja4]))).toEqual(
      sorted(want.tls.map((r) => [r.flowId, r.client?.serverName ?? null, r.ja3, r.ja4])),
    );
    // The flow a row names is the one the flows table has: a DNS port, or TCP.
    const orphans = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT flow_id FROM dns_log WHERE session_id = $1
         UNION ALL SELECT flow_id FROM http_log WHERE session_id = $1
         UNION ALL SELECT flow_id FROM tls_log WHERE session_id = $1) l
        WHERE NOT EXISTS (SELECT 1 FROM flows f WHERE f.session_id = $1 AND f.flow_id = l.flow_id)`,
      [session],
    );
    expect(Number(orphans[0].n)).toBe(0);
  });

  it('the logs endpoints page, sort, search and give one flow’s transactions', async () => {
    const first = (await get(`/api/sessions/${session}/logs/dns?limit=5`)).json();
    expect(first.total).toBe(want.dns.length);
    expect(first.total_exact).toBe(true);
    expect(first.rows).toHaveLength(5);
    const times = want.dns.map((r) => r.ts).sort((a, b) => a - b);
    expect(first.rows.map((r: { ts: number }) => r.ts)).toEqual(times.slice(0, 5));
    // Each row carries its flow's addresses and ports.
    expect(first.rows[0].src_ip).toMatch(/\d/);
    expect([53, 5353, 5355]).toContain(first.rows[0].dst_port);

    const flow = want.http[0].flowId;
    const ofFlow = (await get(`/api/sessions/${session}/logs/http?flow=${flow}&limit=1000`)).json();
    expect(ofFlow.rows.length).toBe(want.http.filter((r) => r.flowId === flow).length);
    for (const r of ofFlow.rows) expect(r.flow_id).toBe(flow);

    const byStatus = (
      await get(`/api/sessions/${session}/logs/http?sort=status_code&order=desc&limit=1000`)
    ).json();
    const statuses = byStatus.rows
      .map((r: { status_code: number | null }) => r.status_code)
      .filter((s: number | null) => s !== null);
    expect(statuses).toEqual([...statuses].sort((a: number, b: number) => b - a));

    const host = want.http.find((r) => r.host !== null)!.host!;
    const word = host.slice(0, 6).toUpperCase();
    const found = (
      await get(`/api/sessions/${session}/logs/http?q=${encodeURIComponent(word)}&limit=1000`)
    ).json();
    const matching = want.http.filter((r) =>
      [r.method, r.host, r.uri, r.userAgent, r.status === null ? null : String(r.status)].some((v) =>
        v?.toLowerCase().includes(word.toLowerCase()),
      ),
    );
    expect(found.total).toBe(matching.length);

    const sni = want.tls.find((r) => r.client?.serverName)!.client!.serverName!;
    const tls = (await get(`/api/sessions/${session}/logs/tls?q=${encodeURIComponent(sni)}`)).json();
    expect(tls.total).toBeGreaterThan(0);
    for (const r of tls.rows) expect(JSON.stringify(r).toLowerCase()).toContain(sni.toLowerCase());
    // A LIKE wildcard in the search is a character like any other.
    expect((await get(`/api/sessions/${session}/logs/dns?q=%25`)).json().total).toBe(
      want.dns.filter((r) => r.query?.includes('%')).length,
    );
  });

  it('the Zeek logs have one row per DNS query, per HTTP request, per TLS handshake', async () => {
    for (const kind of ['dns', 'http', 'tls'] as const) {
      const out = formatLogs(kind, 'zeek', session);
      let text = out.header;
      for await (const page of sessionLogs(db, session, kind, 7)) text += out.page(page);
      const rows = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
      expect(rows.length, kind).toBe(want[kind].length);
    }
  });

  it('a bad parameter is a 400 naming it, an unknown session a 404', async () => {
    for (const q of [
      'sort=bogus',
      'sort=host', // an HTTP column, not a DNS one
      'order=up',
      'flow=0',
      'flow=x',
      'limit=0',
      'limit=1001',
      'offset=-1',
      'q=',
      'q=%00a',
      'q=a%0Ab',
      `q=${'a'.repeat(201)}`,
      'color=red',
    ]) {
      const res = await get(`/api/sessions/${session}/logs/dns?${q}`);
      expect(res.statusCode, q).toBe(400);
      expect(res.json().error, q).toMatch(/\S/);
    }
    expect((await get('/api/sessions/00000000-0000-4000-8000-000000000000/logs/tls')).statusCode).toBe(404);
    expect((await get(`/api/sessions/${session}/logs/smtp`)).statusCode).toBe(404);
  });

  it('an analysis without logs stores none; deleting a session deletes its rows', async () => {
    const quiet = (await ingestCapture(db, OFFICE, { settings: resolveSettings({ logs: false }) })).sessionId;
    for (const t of ['dns_log', 'http_log', 'tls_log']) expect(await count(t, quiet)).toBe(0);
    const inThread = (await ingestCapture(db, OFFICE, { worker: false })).sessionId;
    expect(await count('dns_log', inThread)).toBe(want.dns.length);
    expect(await count('tls_log', inThread)).toBe(want.tls.length);
    expect(await deleteSession(db, session)).toBe(true);
    for (const t of ['dns_log', 'http_log', 'tls_log']) expect(await count(t, session)).toBe(0);
    expect(await count('http_log', inThread)).toBe(want.http.length);
  });
});

describe('log exports', () => {
  const id = 'fbdece95-5322-4254-9115-15fcac4c39f8';
  const http = {
    flow_id: 7,
    ts: 1.5,
    src_ip: '10.0.0.1',
    src_port: 50000,
    dst_ip: '10.0.0.2',
    dst_port: 80,
    method: 'GET',
    host: '=HYPERLINK("http://evil")',
    uri: '/a\tb,c\\d',
    user_agent: '<script>alert(1)</script>',
    request_body_len: 0,
    response_body_len: 10,
    status_code: 200,
    status_msg: 'OK',
  };

  it('Zeek http.log: Zeek’s header lines, the conn.log uid, escapes, trans_depth per connection', () => {
    const out = formatLogs('http', 'zeek', id);
    const lines = (out.header + out.page([http, { ...http, ts: 2 }]) + out.footer).split('\n');
    expect(lines[0]).toBe('#separator \\x09');
    expect(lines[4]).toBe('#path\thttp');
    const fields = lines[6].split('\t').slice(1);
    const types = lines[7].split('\t').slice(1);
    expect(fields.length).toBe(types.length);
    const row = Object.fromEntries(lines[8].split('\t').map((v, i) => [fields[i], v]));
    expect(row).toMatchObject({
      ts: '1.500000',
      uid: 'Cfbdece95f7',
      'id.orig_h': '10.0.0.1',
      'id.resp_p': '80',
      trans_depth: '1',
      uri: '/a\\x09b,c\\x5cd',
      referrer: '-',
      user_agent: '<script>alert(1)</script>',
    });
    expect(lines[9].split('\t')[fields.indexOf('trans_depth')]).toBe('2');
    expect(lines.at(-2)).toMatch(/^#close\t/);
  });

  it('CSV neutralises formulas from the capture and keeps Zeek’s names with flow_id; JSON Lines too', () => {
    const csv = formatLogs('http', 'csv', id);
    const [header, row] = (csv.header + csv.page([http])).split('\n');
    expect(header.split(',').slice(0, 4)).toEqual(['ts', 'uid', 'flow_id', 'id.orig_h']);
    expect(header).toContain('status_code');
    expect(row).toContain(`"'=HYPERLINK(""http://evil"")"`);
    const json = JSON.parse(formatLogs('http', 'json', id).page([http]));
    expect(json).toMatchObject({
      flow_id: 7,
      host: http.host,
      status_code: 200,
      user_agent: http.user_agent,
    });
    const tls = JSON.parse(
      formatLogs('tls', 'json', id).page([
        { flow_id: 3, ts: 1, ja3: 'a', ja3s: 'b', ja4: 'c', server_name: 'x' },
      ]),
    );
    expect(tls).toMatchObject({ flow_id: 3, ja3: 'a', ja3s: 'b', ja4: 'c', server_name: 'x' });
  });
});
