import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { allowedHostNames, buildApp, startServer } from '../src/server/index.js';
import { openStore } from '../src/storage/index.js';

/** Issue #22 item 1: a server open to the network without a token, and DNS rebinding. */
const dir = mkdtempSync(join(tmpdir(), 'flowlens-serve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (out += d));
  return { io: { stdout, stderr }, text: () => out };
}

describe('serving beyond loopback', () => {
  it('refuses `serve --host 0.0.0.0` without a token, in one line naming the way out', async () => {
    const c = capture();
    const code = await main(['serve', '--host', '0.0.0.0', '--port', '0', '--db', join(dir, 'db1')], c.io);
    expect(code).not.toBe(0);
    expect(c.text()).toMatch(/refusing to listen on 0\.0\.0\.0 without a token/);
    expect(c.text()).toContain('--insecure-no-token');
  });

  it('starts with --insecure-no-token and warns on every start', async () => {
    for (let i = 0; i < 2; i++) {
      const lines: string[] = [];
      const server = await startServer({
        host: '0.0.0.0',
        port: 0,
        dbTarget: join(dir, 'db2'),
        uploadsDir: join(dir, 'up2'),
        token: null,
        maxUploadBytes: 1e6,
        concurrency: 1,
        insecureNoToken: true,
        log: (l) => lines.push(l),
      });
      await server.close();
      expect(lines.join('\n')).toMatch(/warning: listening on 0\.0\.0\.0 without a token/);
    }
  }, 60_000);

  it('starts on a non-loopback address with a token, silently', async () => {
    const lines: string[] = [];
    const server = await startServer({
      host: '0.0.0.0',
      port: 0,
      dbTarget: join(dir, 'db3'),
      uploadsDir: join(dir, 'up3'),
      token: 'a-long-token',
      maxUploadBytes: 1e6,
      concurrency: 1,
      log: (l) => lines.push(l),
    });
    await server.close();
    expect(lines).toEqual([]);
  }, 60_000);

  it('answers only Host names of this machine or configured ones, on a wildcard address too (DNS rebinding)', async () => {
    const db = await openStore(join(dir, 'db4'));
    const { app } = await buildApp({
      db,
      uploadsDir: join(dir, 'up4'),
      webDir: null,
      token: 'a-long-token',
      maxUploadBytes: 1e6,
      concurrency: 1,
      host: '0.0.0.0',
      hostNames: ['flowlens.lan'],
    });
    try {
      const status = async (host: string) =>
        (await app.inject({ method: 'GET', url: '/api/health', headers: { host } })).statusCode;
      expect(await status('attacker.example:8080')).toBe(403);
      expect(await status('localhost:8080')).toBe(200);
      expect(await status('127.0.0.1')).toBe(200);
      expect(await status('FLOWLENS.lan:8080')).toBe(200);
    } finally {
      await app.close();
      await db.close();
    }
  }, 60_000);

  it('takes the listen address, every address of the machine on a wildcard, and never a foreign name', () => {
    const machine = { addresses: ['192.168.1.5', 'fe80::1'], hostname: 'box' };
    const wild = allowedHostNames('0.0.0.0', [], machine);
    expect([...wild]).toEqual(expect.arrayContaining(['192.168.1.5', '[fe80::1]', 'box', 'localhost']));
    const one = allowedHostNames('10.0.0.2', ['nas.local'], machine);
    expect(one.has('10.0.0.2')).toBe(true);
    expect(one.has('nas.local')).toBe(true);
    expect(one.has('192.168.1.5')).toBe(false);
  });
});
