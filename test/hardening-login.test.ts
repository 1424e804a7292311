import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../src/server/index.js';
import { type Db, openStore } from '../src/storage/index.js';

/** Issue #22 item 5: what the login cookie holds, logout, token changes and token guessing. */
const dir = mkdtempSync(join(tmpdir(), 'flowlens-login-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TOKEN = 'correct-horse-battery';
const CSRF = { 'x-flowlens-request': '1' };

describe('dashboard logins', () => {
  let db: Db;
  let server: App;

  const start = (token: string) =>
    buildApp({
      db,
      uploadsDir: join(dir, 'uploads'),
      webDir: null,
      token,
      maxUploadBytes: 1e6,
      concurrency: 1,
      host: '127.0.0.1',
    });

  beforeAll(async () => {
    db = await openStore(join(dir, 'pglite'));
    server = await start(TOKEN);
  }, 60_000);
  afterAll(async () => {
    await server?.app.close();
    await db?.close();
  });

  async function login(app = server.app, token = TOKEN) {
    const res = await app.inject({ method: 'POST', url: '/api/login', payload: { token } });
    expect(res.statusCode, res.body).toBe(204);
    return String(res.headers['set-cookie']).split(';')[0];
  }
  const status = async (cookie: string, app = server.app) =>
    (await app.inject({ url: '/api/sessions', headers: { cookie } })).statusCode;

  it('puts a random login id in the cookie, never the token, and logout ends it on the server', async () => {
    const cookie = await login();
    expect(cookie).not.toContain(TOKEN);
    expect(cookie).not.toContain(encodeURIComponent(TOKEN));
    expect(cookie).toMatch(/^flowlens_session=[A-Za-z0-9_-]{40,}$/);
    expect(await login()).not.toBe(cookie);
    expect(await status(cookie)).toBe(200);
    const out = await server.app.inject({ method: 'POST', url: '/api/logout', headers: { ...CSRF, cookie } });
    expect(out.statusCode).toBe(204);
    // A copy of the cookie kept from before the logout no longer logs in.
    expect(await status(cookie)).toBe(401);
    expect(await status(`flowlens_session=${TOKEN}`)).toBe(401);
    expect(await status(`flowlens_token=${TOKEN}`)).toBe(401);
  });

  it('ends every login when the token changes, and keeps them over a restart with the same token', async () => {
    const cookie = await login();
    await server.app.close();
    server = await start(TOKEN);
    expect(await status(cookie)).toBe(200);
    await server.app.close();
    server = await start('another-token-now');
    expect(await status(cookie)).toBe(401);
    await server.app.close();
    server = await start(TOKEN);
  }, 60_000);

  it('slows wrong tokens to a few guesses a second, and a right token after a typo still logs in', async () => {
    const started = Date.now();
    let wrong = 0;
    let refused = 0;
    // 20 guessers at once for about two seconds (about 4,100 guesses a second were answered before).
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        while (Date.now() - started < 2000) {
          const res = await server.app.inject({
            method: 'POST',
            url: '/api/login',
            payload: { token: `guess-${i}-${Date.now()}` },
          });
          if (res.statusCode === 401) wrong++;
          else if (res.statusCode === 429) {
            refused++;
            expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
          } else throw new Error(`unexpected ${res.statusCode}`);
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    expect(wrong / seconds, `${wrong} wrong tokens answered in ${seconds} s`).toBeLessThan(5);
    expect(refused).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 12_000)); // the guesses still waiting finish
    expect(await status(await login())).toBe(200);
  }, 60_000);
});
