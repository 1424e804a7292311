import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { ingestCapture } from '../src/ingest/index.js';
import { type App, buildApp } from '../src/server/index.js';
import {
  type Db,
  deleteSession,
  type FlowRow,
  formatFlows,
  openStore,
  searchFlows,
  searchRegistry,
  sessionFlows,
} from '../src/storage/index.js';
import { databaseBackends } from './helpers/backends.js';
import { HOSTILE, quote } from './helpers/search-fixtures.js';
import { hasSharedPcaps, SHARED_PCAPS } from './helpers/shared.js';

/**
 * The search from the command line and the HTTP API, over public captures stored as sessions:
 * every answer is compared with a filter written here over the flows as `flowlens export --flows
 * --format json` writes them. On PGlite always, on PostgreSQL when TEST_DATABASE_URL names one.
 *
 * The ingest fills dns_log and tls_log; host_geo is replaced for these sessions by one row the test
 * chooses, so the country and asn answers are known here and not taken from the shipped GeoIP data.
 */
const backends = databaseBackends('search everywhere');

const CAPTURES = ['eth-dns-http-v4v6_wikipedia.pcap', 'eth-tls12-clienthello-sni_chrome-34-google.pcap'];

type Hit = FlowRow & { session_id: string };

/** Runs `flowlens ARGS` in this process and returns what it wrote and its exit code. */
async function cli(args: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => {
    out += d;
  });
  stderr.on('data', (d) => {
    err += d;
  });
  const code = await main(args, { stdout, stderr });
  return { code, out, err };
}

const key = (h: { session_id: string; flow_id: number }) => `${h.session_id}/${h.flow_id}`;
const keys = (hits: Hit[]) => hits.map(key).sort();

describe.skipIf(!hasSharedPcaps).each(backends)('search everywhere, on %s', (_backend, target) => {
  const ids: string[] = [];
  let flows: Hit[] = [];

  beforeAll(async () => {
    const db = await openStore(target());
    try {
      for (const file of CAPTURES) {
        const { sessionId } = await ingestCapture(db, `${SHARED_PCAPS}/real/${file}`, { sessionName: file });
        ids.push(sessionId);
        const out = formatFlows('json', sessionId);
        let text = out.header;
        for await (const page of sessionFlows(db, sessionId)) text += out.page(page);
        for (const line of text.split('\n'))
          if (line !== '') flows.push({ ...(JSON.parse(line) as FlowRow), session_id: sessionId });
      }
      // One known answer: no other address of these sessions has a country or an AS.
      await db.query('DELETE FROM host_geo WHERE session_id = ANY($1::text[])', [ids]);
      await db.query(
        "INSERT INTO host_geo (session_id, address, country, asn) VALUES ($1, '74.125.239.152', 'US', 15169)",
        [ids[1]],
      );
    } finally {
      await db.close();
    }
  }, 240_000);

  afterAll(async () => {
    const db = await openStore(target());
    for (const id of ids) await deleteSession(db, id);
    await db.close();
    flows = [];
  });

  const sessions = () => ids.join(',');

  describe('the command line', () => {
    it('--json lists exactly the flows of both sessions the reference selects, with the export fields', async () => {
      const r = await cli([
        'search',
        'port == 53 or port == 443',
        '--sessions',
        sessions(),
        '--limit',
        '1000',
        '--json',
        '--db',
        target(),
      ]);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const answer = JSON.parse(r.out);
      const want = flows.filter((h) => [53, 443].includes(h.src_port) || [53, 443].includes(h.dst_port));
      expect(want.length).toBeGreaterThan(2);
      expect(new Set(want.map((h) => h.session_id)).size).toBe(2);
      expect(answer.query).toBe('port == 53 or port == 443');
      expect(answer.total).toBe(want.length);
      expect(answer.next_cursor).toBeNull();
      expect(keys(answer.hits)).toEqual(keys(want));
      // Each hit is the exported flow, field for field, with its session.
      const byKey = new Map(want.map((h) => [key(h), h]));
      for (const h of answer.hits) expect(h).toEqual(byKey.get(key(h)));
      // Newest first.
      const starts = answer.hits.map((h: Hit) => h.start_timestamp);
      expect(starts).toEqual([...starts].sort((a, b) => b - a));
    });

    it('--limit N with --cursor pages through every hit once', async () => {
      const want = flows.filter((h) => h.protocol === 'UDP');
      const seen: Hit[] = [];
      let cursor: string | null = null;
      for (let i = 0; i < 100; i++) {
        const args = [
          'search',
          'proto == udp',
          '--sessions',
          sessions(),
          '--limit',
          '3',
          '--json',
          '--db',
          target(),
        ];
        if (cursor) args.push('--cursor', cursor);
        const answer = JSON.parse((await cli(args)).out);
        seen.push(...answer.hits);
        cursor = answer.next_cursor;
        if (cursor === null) break;
      }
      expect(seen.length).toBe(want.length);
      expect(keys(seen)).toEqual(keys(want));
    });

    it('--limit all --csv writes every hit with its session first', async () => {
      const r = await cli([
        'search',
        'bytes > 100',
        '--sessions',
        sessions(),
        '--limit',
        'all',
        '--csv',
        '--db',
        target(),
      ]);
      expect(r.code).toBe(0);
      const lines = r.out.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^session_id,flow_id,window_id,start_timestamp,/);
      const want = flows.filter((h) => h.total_bytes > 100);
      expect(lines.length - 1).toBe(want.length);
      expect(
        lines
          .slice(1)
          .map((l) => l.split(',').slice(0, 2).join('/'))
          .sort(),
      ).toEqual(keys(want));
    });

    it('| top src by bytes and --group-by src give the reference sums', async () => {
      const sums = new Map<string, { flows: number; bytes: number }>();
      for (const h of flows) {
        const s = sums.get(h.src_ip) ?? { flows: 0, bytes: 0 };
        s.flows++;
        s.bytes += h.total_bytes;
        sums.set(h.src_ip, s);
      }
      const want = [...sums].sort((a, b) => b[1].bytes - a[1].bytes || (a[0] < b[0] ? -1 : 1)).slice(0, 10);
      for (const args of [['| top src by bytes'], ['', '--group-by', 'src']]) {
        const r = await cli(['search', ...args, '--sessions', sessions(), '--json', '--db', target()]);
        expect(r.code, r.err).toBe(0);
        const { group } = JSON.parse(r.out);
        expect(group.field).toBe('src');
        expect(
          group.rows.map((g: { key: string; flows: number; bytes: number }) => [
            g.key,
            { flows: g.flows, bytes: g.bytes },
          ]),
        ).toEqual(want);
      }
      const text = await cli(['search', '', '--group-by', 'src', '--sessions', sessions(), '--db', target()]);
      expect(text.out.split('\n')[1]).toContain(want[0][0]);
    });

    it.each([
      ['port == ', 'flowlens: expected a value after `port ==` at column 9\n'],
      ['prot == tcp', 'flowlens: unknown field `prot` at column 1: did you mean `port`, `proto` or `dst`?\n'],
      [
        'bytes > 10 and (',
        'flowlens: expected a field, `not` or `(` after `bytes > 10 and (` at column 17\n',
      ],
    ])('a malformed expression (%s) is one line naming the column, exit 2', async (expression, message) => {
      const r = await cli(['search', expression, '--db', target()]);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toBe(message);
    });

    it('a bad group-by, cursor, limit or session list is one line, exit 2', async () => {
      for (const [args, pattern] of [
        [
          ['--group-by', 'bytes'],
          /^flowlens: group-by: `bytes` cannot be grouped by; these can: src, dst, ip/,
        ],
        [['--group-by', 'scr'], /^flowlens: group-by: unknown field `scr`: did you mean `src`/],
        [['--cursor', 'abc'], /^flowlens: cursor: not a cursor this search gave/],
        [['--limit', '0'], /^flowlens: --limit must be a whole number from 1 to 100000 or 'all', not '0'/],
        [
          ['--sessions', "x'; drop table flows"],
          /^flowlens: --sessions: 'x'; drop table flows' is not a session ID/,
        ],
      ] as const) {
        const r = await cli(['search', 'port == 53', ...args, '--db', target()]);
        expect(r.code, r.err).toBe(2);
        expect(r.err.split('\n').filter(Boolean)).toHaveLength(1);
        expect(r.err).toMatch(pattern);
      }
    });
  });

  describe('the HTTP API', () => {
    let db: Db;
    let server: App;
    let app: FastifyInstance;
    beforeAll(async () => {
      db = await openStore(target(), { pgliteThread: true });
      server = await buildApp({
        db,
        uploadsDir: '/nonexistent-uploads',
        webDir: null,
        token: null,
        maxUploadBytes: 1_000_000,
        concurrency: 1,
        host: '127.0.0.1',
      });
      app = server.app;
    }, 60_000);
    afterAll(async () => {
      await app?.close();
      await db?.close();
    });
    const get = (url: string) => app.inject({ method: 'GET', url });
    const search = (params: Record<string, string>) => get(`/api/search?${new URLSearchParams(params)}`);

    it('GET /api/search answers the reference hits, a page at a time', async () => {
      const want = flows.filter((h) => h.total_bytes >= 100);
      const seen: Hit[] = [];
      let cursor: string | null = null;
      do {
        const res = await search({
          q: 'bytes >= 100',
          sessions: sessions(),
          limit: '4',
          ...(cursor ? { cursor } : {}),
        });
        expect(res.statusCode, res.body).toBe(200);
        const body = res.json();
        expect(body.total).toBe(want.length);
        seen.push(...body.hits);
        cursor = body.next_cursor;
      } while (cursor !== null);
      expect(keys(seen)).toEqual(keys(want));
      const byKey = new Map(want.map((h) => [key(h), h]));
      for (const h of seen) expect(h).toEqual(byKey.get(key(h)));
    });

    it('without sessions it searches every stored session', async () => {
      // Other sessions in the database (test files beside this one, or a shared database's older
      // sessions) may match too: the name narrows the search to these captures' sessions without
      // naming sessions, and the loop pages on past any others of the same names.
      const found = new Set<string>();
      let cursor: string | null = null;
      do {
        const params: Record<string, string> = {
          q: '(port == 53 or port == 443) and session ~ /wikipedia|chrome-34-google/',
          limit: '1000',
        };
        if (cursor) params.cursor = cursor;
        const body: { hits: Hit[]; next_cursor: string | null } = (await search(params)).json();
        for (const h of body.hits) found.add(h.session_id);
        cursor = body.next_cursor;
      } while (cursor !== null && !ids.every((id) => found.has(id)));
      for (const id of ids) expect(found).toContain(id);
    });

    it('group_by draws the same rows as | top', async () => {
      const a = (await search({ q: 'proto == udp', group_by: 'dst', sessions: sessions() })).json();
      const b = (await search({ q: 'proto == udp | top dst by bytes', sessions: sessions() })).json();
      expect(a.group.rows.length).toBeGreaterThan(0);
      expect(a.group).toEqual(b.group);
      const bytes = flows.filter((h) => h.protocol === 'UDP' && h.dst_ip === a.group.rows[0].key);
      expect(a.group.rows[0].bytes).toBe(bytes.reduce((s, h) => s + h.total_bytes, 0));
    });

    it.each([
      ['expected a value after `port ==` at column 9', { q: 'port == ' }],
      ['unknown field `tls.snii` at column 1: did you mean `tls.sni`', { q: 'tls.snii == x' }],
      ['group-by: `bytes` cannot be grouped by', { q: 'ip == 10.0.0.1', group_by: 'bytes' }],
      ['cursor: not a cursor this search gave', { q: 'ip == 10.0.0.1', cursor: 'WyJ4Il0' }],
      ['querystring/sessions must match pattern', { q: 'ip == 10.0.0.1', sessions: 'not-a-session' }],
      ['querystring/limit must be >= 1', { q: 'ip == 10.0.0.1', limit: '0' }],
      ['querystring/limit must be integer', { q: 'ip == 10.0.0.1', limit: 'all' }],
      ["querystring: unknown parameter 'sort'", { q: 'ip == 10.0.0.1', sort: 'bytes' }],
      ['querystring/q must NOT have more than 10000 characters', { q: 'x'.repeat(10_001) }],
      ['groups nested at most 16 deep', { q: `session ~ /${'('.repeat(20)}a${')'.repeat(20)}/` }],
      ['a regular expression of at most 256 characters', { q: `session ~ /${'a'.repeat(300)}/` }],
      ['expected at most 64 levels of parentheses', { q: `${'('.repeat(100)}port == 1${')'.repeat(100)}` }],
      ['a whole number up to 9007199254740991', { q: 'bytes > 99999999999999999999999' }],
    ])('a bad request is a 400 saying: %s', async (message, params) => {
      const res = await search(params as Record<string, string>);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error).toContain(message);
    });

    it('no hostile value in any field makes a 500', async () => {
      for (const hostile of HOSTILE) {
        for (const q of [
          `session == ${quote(hostile)}`,
          `session ~ ${quote(hostile)}`,
          `ip == ${quote(hostile)}`,
          hostile,
        ]) {
          const res = await search({ q, sessions: sessions() });
          expect([200, 400], `${q}: ${res.body}`).toContain(res.statusCode);
        }
      }
    });

    it("the Protocols page's flows take the same language, beside their other filters", async () => {
      const id = ids[0];
      const want = flows.filter(
        (h) => h.session_id === id && h.protocol === 'UDP' && (h.src_port === 53 || h.dst_port === 53),
      );
      expect(want.length).toBeGreaterThan(0);
      const res = await get(
        `/api/sessions/${id}/flows?${new URLSearchParams({ q: 'port == 53', protocol: 'udp', sort: 'start_timestamp', limit: '1000' })}`,
      );
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().total).toBe(want.length);
      expect(
        res
          .json()
          .flows.map((f: FlowRow) => f.flow_id)
          .sort((a: number, b: number) => a - b),
      ).toEqual(want.map((h) => h.flow_id).sort((a, b) => a - b));
      const bad = await get(`/api/sessions/${id}/flows?${new URLSearchParams({ q: 'port ==' })}`);
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error).toBe('expected a value after `port ==` at column 8');
    });

    it('an injection corpus reaches the database only as parameters, in statements of one shape', async () => {
      // Every statement the search sends, recorded on the way to the database.
      const sent: { sql: string; params: unknown[] }[] = [];
      const recording = (d: Db): Db =>
        new Proxy(d, {
          get(target, key) {
            if (key === 'query')
              return (sql: string, params?: unknown[]) => {
                sent.push({ sql, params: params ?? [] });
                return target.query(sql, params);
              };
            if (key === 'transaction')
              return <T>(fn: (tx: Db) => Promise<T>) => target.transaction((tx) => fn(recording(tx)));
            const v = Reflect.get(target, key);
            return typeof v === 'function' ? v.bind(target) : v;
          },
        });
      const shapes = [
        (v: string) => `session == ${v} or tls.sni ~ ${v}`,
        (v: string) => `dns.query in (${v}, "x") and not ja3 == ${v} | top src by bytes`,
      ];
      for (const shape of shapes) {
        sent.length = 0;
        await searchFlows(recording(db), shape('"benign"'), { sessions: ids });
        const benign = sent.map((s) => s.sql);
        for (const hostile of HOSTILE) {
          sent.length = 0;
          const answer = await searchFlows(recording(db), shape(quote(hostile)), { sessions: ids });
          expect(answer.hits).toEqual([]);
          expect(sent.map((s) => s.sql)).toEqual(benign);
          for (const s of sent) {
            if (hostile.length > 2) expect(s.sql).not.toContain(hostile);
            // The value is one of the parameters, whole (a glob's is its LIKE pattern).
          }
          expect(
            sent.some((s) =>
              s.params.some((p) => p === hostile || (Array.isArray(p) && p.includes(hostile))),
            ),
          ).toBe(true);
        }
      }
    });

    it('the OpenAPI document describes /api/search and its parameters', async () => {
      const doc = (await get('/api/openapi.json')).json();
      const op = doc.paths['/api/search'].get;
      expect(op.parameters.map((p: { name: string }) => p.name).sort()).toEqual([
        'cursor',
        'group_by',
        'limit',
        'q',
        'sessions',
      ]);
    });

    it('the log fields find the flows whose DNS and TLS names match', async () => {
      const registry = await searchRegistry(db);
      expect(registry.has('tls.sni') && registry.has('dns.query')).toBe(true);
      const sni = flows.filter((h) => h.tls_sni !== null);
      expect(sni.length).toBeGreaterThan(0);
      const tls = (
        await search({ q: `tls.sni == ${quote(sni[0].tls_sni!.toUpperCase())}`, sessions: sessions() })
      ).json();
      expect(keys(tls.hits)).toEqual(keys(sni.filter((h) => h.tls_sni === sni[0].tls_sni)));
      const dns = (
        await search({ q: 'dns.query ~ "*.WIKIMEDIA.org"', sessions: sessions(), limit: '1000' })
      ).json();
      const want = flows.filter((h) => h.dns_query !== null && /\.wikimedia\.org$/i.test(h.dns_query));
      expect(want.length).toBeGreaterThan(0);
      expect(keys(dns.hits)).toEqual(keys(want));
    });

    it('country and asn match either side of the flow', async () => {
      const want = flows.filter((h) => h.src_ip === '74.125.239.152' || h.dst_ip === '74.125.239.152');
      for (const q of ['country == us', 'asn == 15169']) {
        const res = (await search({ q, sessions: sessions() })).json();
        expect(keys(res.hits)).toEqual(keys(want));
      }
    });
  });
});
