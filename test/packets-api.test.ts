import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTimestamp } from '../src/capture/index.js';
import { applyRetention } from '../src/packets/index.js';
import { type App, buildApp } from '../src/server/index.js';
import { createSession, type Db, openStore } from '../src/storage/index.js';
import { hasTshark, readBack, tsharkFrames } from './helpers/extract.js';
import { freshDatabase } from './helpers/fresh-db.js';
import { multipart } from './helpers/http.js';
import { hasSharedPcaps, SHARED_PCAPS } from './helpers/shared.js';

/**
 * GET /api/sessions/:id/packets on PGlite and, when TEST_DATABASE_URL is set, PostgreSQL: the
 * packets of a flow and of an alert against tshark's own filter on the uploaded capture, the file
 * name and headers, and every bad request a clear 4xx.
 */
const PG_URL = process.env.TEST_DATABASE_URL;
const dir = mkdtempSync(join(tmpdir(), 'flowlens-packets-api-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// On PostgreSQL a database of its own: the retention test frees every kept capture of the database,
// which would take them from test files running beside it in a shared one.
let pgOwn: { url: string; drop: () => Promise<void> } | null = null;
beforeAll(async () => {
  if (PG_URL) pgOwn = await freshDatabase(PG_URL, `flowlens_packets_api_${process.pid}`);
}, 60_000);
afterAll(async () => {
  await pgOwn?.drop();
});
const backends: [string, () => string][] = [['PGlite', () => join(dir, 'pglite')]];
if (PG_URL) backends.push(['PostgreSQL', () => pgOwn!.url]);

const OFFICE = 'eth-realistic-windows-host-1.6MB_tls-subjectaltname.pcap';
const NMAP = 'eth-arp-scan-tcp-syn-rst_nmap-vsn.pcap';
const CSRF = { 'x-flowlens-request': '1' };
const tshark = hasSharedPcaps && hasTshark();

interface Flow {
  flow_id: number;
  src_ip: string;
  dst_ip: string;
  src_port: number;
  dst_port: number;
  protocol: string;
  packet_count: number;
  total_bytes: number;
}

describe.skipIf(!hasSharedPcaps).each(backends)('packets from the API on %s', (name, target) => {
  let db: Db;
  let server: App;
  let app: FastifyInstance;
  let office: string;
  let nmap: string;
  const get = (url: string) => app.inject({ method: 'GET', url });

  async function ingest(file: string): Promise<string> {
    const body = multipart({}, { name: file, data: readFileSync(`${SHARED_PCAPS}/real/${file}`) });
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
    db = await openStore(target(), { pgliteThread: true });
    server = await buildApp({
      db,
      uploadsDir: join(dir, `uploads-${name}`),
      webDir: null,
      token: null,
      maxUploadBytes: 8_000_000,
      concurrency: 1,
      host: '127.0.0.1',
    });
    app = server.app;
    office = await ingest(OFFICE);
    nmap = await ingest(NMAP);
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('a flow comes as a pcap named for it, holding exactly its packets and bytes, as tshark picks them from the upload', async () => {
    const flows = (await get(`/api/sessions/${office}/flows?limit=3&sort=packet_count`)).json()
      .flows as Flow[];
    expect(flows.length).toBe(3);
    for (const f of flows) {
      const res = await get(`/api/sessions/${office}/packets?flow=${f.flow_id}`);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-type']).toBe('application/vnd.tcpdump.pcap');
      expect(res.headers['content-disposition']).toBe(
        `attachment; filename="eth-realistic-windows-host-1.6MB_tls-subjectaltname-flow-${f.flow_id}.pcap"`,
      );
      expect(Number(res.headers['x-flowlens-packets'])).toBe(f.packet_count);
      const { records } = await readBack(res.rawPayload);
      expect(records.length).toBe(f.packet_count);
      expect(records.reduce((n, r) => n + r.origLen, 0)).toBe(f.total_bytes);
      if (!tshark) continue;
      const file = join(dir, `${name}-flow-${f.flow_id}.pcap`);
      writeFileSync(file, res.rawPayload);
      const lo = records.reduce((a, r) => (r.sec < a.sec || (r.sec === a.sec && r.nsec < a.nsec) ? r : a));
      const hi = records.reduce((a, r) => (r.sec > a.sec || (r.sec === a.sec && r.nsec > a.nsec) ? r : a));
      const p = f.protocol.toLowerCase();
      const filter = `ip.addr == ${f.src_ip} && ip.addr == ${f.dst_ip} && ${p}.port == ${f.src_port} && ${p}.port == ${f.dst_port} && frame.time_epoch >= ${formatTimestamp(lo.sec, lo.nsec)} && frame.time_epoch <= ${formatTimestamp(hi.sec, hi.nsec)}`;
      expect(tsharkFrames(file)).toEqual(tsharkFrames(`${SHARED_PCAPS}/real/${OFFICE}`, filter));
    }
  });

  it("an alert's packets are those of its addresses, port and protocol within its span, as tshark picks them", async () => {
    const alerts = (await get(`/api/sessions/${nmap}/insights?type=alert`)).json().insights as {
      id: number;
      alert_type: string;
      details: {
        addresses: string[];
        port?: number | null;
        protocol?: string;
        first_ts: number;
        last_ts: number;
      };
    }[];
    const ip = alerts.filter((a) => a.details.addresses.length > 0 && a.details.protocol !== 'arp');
    expect(ip.length, JSON.stringify(alerts.map((a) => a.alert_type))).toBeGreaterThan(0);
    for (const alert of ip) {
      const res = await get(`/api/sessions/${nmap}/packets?alert=${alert.id}`);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-disposition']).toMatch(
        new RegExp(`-alert-${alert.id}-${alert.alert_type}\\.pcap"$`),
      );
      const { records } = await readBack(res.rawPayload);
      expect(records.length).toBeGreaterThan(0);
      expect(Number(res.headers['x-flowlens-packets'])).toBe(records.length);
      if (!tshark) continue;
      const d = alert.details;
      const ends =
        d.addresses.length === 1
          ? `ip.addr == ${d.addresses[0]}`
          : `ip.src in {${d.addresses.join(' ')}} && ip.dst in {${d.addresses.join(' ')}}`;
      const port = typeof d.port === 'number' ? ` && (tcp.port == ${d.port} || udp.port == ${d.port})` : '';
      const proto = d.protocol ? ` && ${d.protocol.toLowerCase()}` : '';
      // The alert's span is the analysis' doubles: a microsecond either side covers their rounding.
      const span = `frame.time_epoch >= ${(d.first_ts - 1e-6).toFixed(6)} && frame.time_epoch <= ${(d.last_ts + 1e-6).toFixed(6)}`;
      const file = join(dir, `${name}-alert-${alert.id}.pcap`);
      writeFileSync(file, res.rawPayload);
      expect(tsharkFrames(file), JSON.stringify(d)).toEqual(
        tsharkFrames(`${SHARED_PCAPS}/real/${NMAP}`, `${ends}${port}${proto} && ${span}`),
      );
    }
  });

  it('a window, a host, a host pair and a time range each come back as a valid capture', async () => {
    const s = (await get(`/api/sessions/${office}`)).json().session;
    for (const q of [
      'window=0',
      'host=10.0.0.1',
      'hosts=10.0.0.1,10.0.0.2',
      `from=${s.first_ts}&to=${s.first_ts}`,
      `from=${s.first_ts}&to=${s.last_ts}`,
      'protocol=udp',
      'ip=10.0.0.1&port=53',
    ]) {
      const res = await get(`/api/sessions/${office}/packets?${q}`);
      expect(res.statusCode, `${q}: ${res.body}`).toBe(200);
      const { records } = await readBack(res.rawPayload);
      if (res.rawPayload.length < 1 << 20)
        expect(records.length, q).toBe(Number(res.headers['x-flowlens-packets']));
      else {
        // Past the first MiB the answer streams: no count or length can be promised up front.
        expect(res.headers['x-flowlens-packets'], q).toBeUndefined();
        expect(res.headers['transfer-encoding'], q).toBe('chunked');
      }
      if (q === `from=${s.first_ts}&to=${s.last_ts}`) expect(records.length).toBe(s.packets);
    }
  });

  it('a selection that matches nothing is an empty but valid pcap saying 0 packets', async () => {
    const res = await get(`/api/sessions/${office}/packets?host=192.0.2.99`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-flowlens-packets']).toBe('0');
    expect(res.rawPayload.length).toBe(24);
    expect((await readBack(res.rawPayload)).records).toEqual([]);
    const none = await get(`/api/sessions/${office}/packets?ip=192.0.2.99`);
    expect(none.statusCode).toBe(200);
    expect(none.headers['x-flowlens-packets']).toBe('0');
  });

  it('bad requests get a one-line reason and a 4xx, never a 500 or a file', async () => {
    const cases: [string, number, RegExp][] = [
      [`${office}/packets?flow=99999999`, 404, /has no flow 99999999/],
      [`${office}/packets?alert=99999999`, 404, /has no alert 99999999/],
      [`${office}/packets?window=99999999`, 404, /has no window/],
      [`${office}/packets?flow=abc`, 400, /flow/],
      [`${office}/packets?flow=-1`, 400, /flow/],
      [`${office}/packets`, 400, /say which packets/],
      [`${office}/packets?flow=1&alert=1`, 400, /choose one selection/],
      [`${office}/packets?flow=1&from=1`, 400, /from and to go with/],
      [`${office}/packets?host=10.0.0.300`, 400, /not an IPv4 or IPv6 address/],
      [`${office}/packets?hosts=10.0.0.1`, 400, /hosts/],
      [`${office}/packets?from=yesterday&to=today`, 400, /seconds since 1970/],
      [`${office}/packets?from=2`, 400, /needs both from and to/],
      [`${office}/packets?from=5&to=4`, 400, /start is after the end/],
      [`${office}/packets?protocol=sctp`, 400, /protocol/],
      [`${office}/packets?flows=1`, 400, /must NOT have additional properties|flows/],
      ['00000000-0000-4000-8000-000000000000/packets?flow=1', 404, /no session/],
    ];
    for (const [url, status, message] of cases) {
      const res = await get(`/api/sessions/${url}`);
      expect(res.statusCode, `${url}: ${res.body}`).toBe(status);
      expect(res.headers['content-type'], url).toMatch(/application\/json/);
      expect(res.json().error, url).toMatch(message);
    }
  });

  it('a session still loading answers 409', async () => {
    const queued = await createSession(db, { name: 'waiting', fileName: 'w.pcap', fileSize: 1 });
    const res = await get(`/api/sessions/${queued}/packets?flow=1`);
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatch(/still loading/);
  });

  it('retention frees the kept uploads: the sessions say "packets no longer kept", the packets answer 410', async () => {
    const before = (await get('/api/sessions')).json();
    expect(before.kept_captures_bytes).toBeGreaterThan(1_000_000);
    const row = before.sessions.find((s: { session_id: string }) => s.session_id === nmap);
    expect(row).toMatchObject({ packets_available: true, packets_note: null, capture_kept: true });
    const freed = await applyRetention(db, { bytes: 0 });
    expect(freed.map((f) => f.session_id).sort()).toEqual([office, nmap].sort());
    const after = (await get('/api/sessions')).json();
    expect(after.kept_captures_bytes).toBe(0);
    const gone = after.sessions.find((s: { session_id: string }) => s.session_id === nmap);
    expect(gone.packets_available).toBe(false);
    expect(gone.packets_note).toMatch(/^packets no longer kept/);
    const res = await get(`/api/sessions/${nmap}/packets?flow=1`);
    expect(res.statusCode).toBe(410);
    expect(res.json().error).toMatch(/packets no longer kept/);
  });
});
