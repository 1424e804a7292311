import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/server/index.js';
import { type Db, openStore } from '../src/storage/index.js';

/** Issue #22 item 2: stalled uploads, and more uploads or connections than the server takes. */
const dir = mkdtempSync(join(tmpdir(), 'flowlens-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const uploads = join(dir, 'uploads');
const BOUNDARY = '----flowlensstall';
/** A pcap global header: enough for the server to start writing the upload's .part file. */
const PCAP_HEADER = Buffer.from('d4c3b2a1020004000000000000000000ffff000001000000', 'hex');

describe('a server under slow and piled-up clients', () => {
  let db: Db;
  let app: FastifyInstance;
  let port: number;

  beforeAll(async () => {
    db = await openStore(join(dir, 'pglite'));
    ({ app } = await buildApp({
      db,
      uploadsDir: uploads,
      webDir: null,
      token: null,
      maxUploadBytes: 10_000_000,
      concurrency: 1,
      host: '127.0.0.1',
      limits: { bodyIdleTimeoutMs: 600, maxUploads: 1, maxConnections: 4 },
    }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as { port: number }).port;
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  /** Opens an upload that sends its headers and the capture's first bytes, then nothing. */
  async function stalledUpload(): Promise<{ socket: Socket; closed: Promise<void> }> {
    const socket = connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('error', () => undefined);
    const head = Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="slow.pcap"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    );
    socket.write(
      `POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Flowlens-Request: 1\r\nContent-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: 5000000\r\n\r\n`,
    );
    socket.write(Buffer.concat([head, PCAP_HEADER]));
    return { socket, closed };
  }

  const parts = () => readdirSync(uploads).filter((f) => f.endsWith('.part'));

  it('cuts off an upload whose body stops arriving and leaves nothing on disk', async () => {
    const { closed } = await stalledUpload();
    await new Promise((r) => setTimeout(r, 200));
    expect(parts()).toHaveLength(1); // it did start writing
    const start = Date.now();
    await Promise.race([closed, new Promise((r) => setTimeout(r, 10_000))]);
    expect(Date.now() - start, 'the idle upload was not cut off within 10 s').toBeLessThan(9_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(parts()).toEqual([]);
    expect(readdirSync(uploads)).toEqual([]);
  });

  it('answers an upload beyond the cap with 503 and Retry-After, then takes uploads again', async () => {
    const { socket, closed } = await stalledUpload();
    await new Promise((r) => setTimeout(r, 100));
    const res = await fetch(`http://127.0.0.1:${port}/api/sessions`, {
      method: 'POST',
      headers: { 'x-flowlens-request': '1', 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
      body: `--${BOUNDARY}--\r\n`,
    });
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await res.json()) as { error: string }).error).toMatch(/uploads at once/);
    socket.destroy();
    await closed;
    await new Promise((r) => setTimeout(r, 100));
    const again = await fetch(`http://127.0.0.1:${port}/api/sessions`, {
      method: 'POST',
      headers: { 'x-flowlens-request': '1', 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
      body: `--${BOUNDARY}--\r\n`,
    });
    expect(again.status).toBe(400); // no file: the upload slot was given back
    expect(parts()).toEqual([]);
  });

  it('answers requests beyond the connection cap with 503 and Retry-After', async () => {
    const held: Socket[] = [];
    for (let i = 0; i < 5; i++) {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      await new Promise((r) => s.once('connect', r));
      held.push(s);
    }
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/health`);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).not.toBeNull();
    } finally {
      for (const s of held) s.destroy();
    }
    await new Promise((r) => setTimeout(r, 100));
    expect((await fetch(`http://127.0.0.1:${port}/api/health`)).status).toBe(200);
  });
});
