import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, defaultWebDir } from '../src/server/index.js';
import { type Db, openStore } from '../src/storage/index.js';
import { hasSharedPcaps, SHARED_PCAPS } from './helpers/shared.js';

/** Issue #22 item 8: the pages' CSP, failures under a request id, and the demo's rate limit. */
const dir = mkdtempSync(join(tmpdir(), 'flowlens-ops-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SMALL = 'eth-icmp-unreach-quoting-udp_icmp-destunreach-udp.pcap';

describe.skipIf(!hasSharedPcaps)('defence in depth', () => {
  let db: Db;
  let app: FastifyInstance;
  let broken = false;
  const logged: string[] = [];

  beforeAll(async () => {
    db = await openStore(join(dir, 'pglite'));
    // The database as the server sees it, made to fail on demand.
    const flaky: Db = new Proxy(db, {
      get(target, prop, receiver) {
        if (prop === 'query' && broken)
          return async () => {
            throw new Error('relation "pcap_sessions" is broken (a secret of the schema)');
          };
        return Reflect.get(target, prop, receiver);
      },
    });
    ({ app } = await buildApp({
      db: flaky,
      uploadsDir: join(dir, 'uploads'),
      webDir: defaultWebDir(),
      token: null,
      maxUploadBytes: 1e6,
      concurrency: 1,
      host: '127.0.0.1',
      logError: (line) => logged.push(line),
      writeDemoCapture: async (path) => {
        copyFileSync(`${SHARED_PCAPS}/real/${SMALL}`, path);
        return { name: 'Demo capture (test)' };
      },
    }));
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('sends a Content-Security-Policy that allows no inline script, on pages and the API', async () => {
    for (const url of ['/sessions', '/api/health']) {
      const csp = String((await app.inject({ url })).headers['content-security-policy']);
      const script = csp.split(';').find((d) => d.trim().startsWith('script-src'));
      expect(script?.trim(), url).toBe("script-src 'self'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
    }
  });

  it('has no inline script in the page source or the built index.html', () => {
    const pages = [join('web', 'index.html'), join(defaultWebDir(), 'index.html')].filter((p) =>
      existsSync(p),
    );
    expect(pages.length).toBeGreaterThan(0);
    for (const p of pages) {
      const html = readFileSync(p, 'utf8');
      const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.length, p).toBeGreaterThan(0);
      for (const [, attrs, body] of scripts) {
        expect(attrs, p).toMatch(/\bsrc=/);
        expect(body.trim(), p).toBe('');
      }
      expect(html, p).not.toMatch(/\son[a-z]+=/i);
    }
  });

  it('answers a failure with 500 and a request id, logs the cause under it, and keeps the cause from the client', async () => {
    broken = true;
    let res: Awaited<ReturnType<FastifyInstance['inject']>>;
    try {
      res = await app.inject({ url: '/api/sessions' });
    } finally {
      broken = false;
    }
    expect(res.statusCode).toBe(500);
    const body = res.json();
    expect(body.request_id).toMatch(/^[0-9a-f]{12}$/);
    expect(res.headers['x-request-id']).toBe(body.request_id);
    expect(body.error).toContain(body.request_id);
    expect(body.error).not.toContain('secret');
    const line = logged.find((l) => l.includes(body.request_id));
    expect(line).toContain('secret of the schema');
  });

  it('limits POST /api/demo to one at a time and one a minute, with 429 and Retry-After', async () => {
    const csrf = { 'x-flowlens-request': '1' };
    const first = await app.inject({ method: 'POST', url: '/api/demo', headers: csrf });
    expect(first.statusCode, first.body).toBe(202);
    const second = await app.inject({ method: 'POST', url: '/api/demo', headers: csrf });
    expect(second.statusCode).toBe(429);
    expect(Number(second.headers['retry-after'])).toBeGreaterThan(0);
  });
});
