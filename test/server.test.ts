import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../src/server/index.js';
import { childRowCounts, createSession, type Db, failSession, openStore } from '../src/storage/index.js';
import { multipart, parseSse } from './helpers/http.js';
import { independentCounts, topOf } from './helpers/independent.js';
import { expectedFor, hasSharedPcaps, SHARED_PCAPS } from './helpers/shared.js';

/**
 * The HTTP API of docs/API.md, through Fastify's request injection (and one real socket for the
 * event stream), on PGlite and, when TEST_DATABASE_URL is set, on PostgreSQL.
 */
const PG_URL = process.env.TEST_DATABASE_URL;
if (!PG_URL) {
  if (process.env.CI)
    throw new Error('CI needs TEST_DATABASE_URL: the API tests on PostgreSQL may not be skipped');
  console.warn('skipped: API tests on PostgreSQL (TEST_DATABASE_URL not set)');
}

const dir = mkdtempSync(join(tmpdir(), 'flowlens-api-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const backends: [string, () => string][] = [['PGlite', () => join(dir, 'pglite')]];
if (PG_URL) backends.push(['PostgreSQL', () => PG_URL]);

const OFFICE = 'eth-realistic-windows-host-1.6MB_tls-subjectaltname.pcap';
const NMAP = 'eth-arp-scan-tcp-syn-rst_nmap-vsn.pcap';
const real = (f: string) => readFileSync(`${SHARED_PCAPS}/real/${f}`);
const CSRF = { 'x-flowlens-request': '1' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe.skipIf(!hasSharedPcaps).each(backends)('the HTTP API on %s', (name, target) => {
  let db: Db;
  let server: App;
  let app: FastifyInstance;
  const uploads = join(dir, `uploads-${name}`);

  async function upload(file: string, data: Buffer, fields: Record<string, string> = {}) {
    const body = multipart(fields, { name: file, data });
    return app.inject({
      method: 'POST',
      url: '/api/sessions',
      headers: { ...body.headers, ...CSRF },
      payload: body.payload,
    });
  }

  /** Uploads, waits for the ingest, and returns the session id. */
  async function ingest(file: string, fields: Record<string, string> = {}) {
    const res = await upload(file, real(file), fields);
    expect(res.statusCode, res.body).toBe(202);
    await server.queue.idle();
    return res.json().session_id as string;
  }

  const get = (url: string) => app.inject({ method: 'GET', url });

  beforeAll(async () => {
    // The server keeps PGlite in a thread of its own, as `flowlens serve` does.
    db = await openStore(target(), { pgliteThread: true });
    server = await buildApp({
      db,
      uploadsDir: uploads,
      webDir: null,
      token: null,
      maxUploadBytes: 4_000_000,
      concurrency: 1,
      host: '127.0.0.1',
    });
    app = server.app;
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  let office: string;
  let nmap: string;

  it('an uploaded capture is analysed in the background and its session completes', async () => {
    const res = await upload(OFFICE, real(OFFICE), { name: 'Office morning', window: 'auto' });
    expect(res.statusCode).toBe(202);
    office = res.json().session_id;
    expect(office).toMatch(UUID);
    const early = (await get(`/api/sessions/${office}`)).json();
    expect(['queued', 'processing', 'completed']).toContain(early.session.status);
    await server.queue.idle();
    const { session, summary } = (await get(`/api/sessions/${office}`)).json();
    const want = expectedFor(OFFICE);
    expect(session).toMatchObject({
      session_id: office,
      name: 'Office morning',
      file_name: OFFICE,
      file_size: want.file_size,
      status: 'completed',
      phase: 'done',
      progress: 1,
      packets: want.packets,
      bytes: want.bytes,
      first_ts: want.min_ts,
      last_ts: want.max_ts,
    });
    expect(session.duration_s).toBeCloseTo(Number(want.max_ts) - Number(want.min_ts), 5);
    expect(summary.file.packets).toBe(want.packets);
    // The summary names the file as it was sent: the server's own folders stay private.
    expect(summary.file.path).toBe(OFFICE);
    expect(summary.session_id).toBe(office);
    // The upload is kept under a generated name, never the user's.
    expect(readdirSync(uploads)).toContain(`${office}.capture`);
    const listed = (await get('/api/sessions')).json().sessions;
    expect(listed.find((s: { session_id: string }) => s.session_id === office)).toMatchObject({
      status: 'completed',
    });
  });

  it('windows carry every packet once, with the bucket keys of the summary in order', async () => {
    const { session, summary } = (await get(`/api/sessions/${office}`)).json();
    const res = (await get(`/api/sessions/${office}/windows`)).json();
    expect(res.length_s).toBe(summary.windows.length_s);
    expect(res.windows).toHaveLength(session.window_count);
    expect(res.windows.reduce((n: number, w: { packet_count: number }) => n + w.packet_count, 0)).toBe(3138);
    expect(Object.keys(res.windows[0].packet_size_distribution)).toEqual([
      '64',
      '128',
      '256',
      '512',
      '1024',
      '1518',
      '1519+',
    ]);
    // Keys like "1" and "300" are integer-like, which JavaScript objects always list first:
    // clients order buckets by the documented list, not by the object.
    expect(Object.keys(res.windows[0].flow_duration_distribution).sort()).toEqual(
      ['0.01', '0.1', '1', '10', '30', '300', '300+', '5', '60'].sort(),
    );
    const part = (await get(`/api/sessions/${office}/windows?from=2&to=4`)).json().windows;
    expect(part.map((w: { window_id: number }) => w.window_id)).toEqual([2, 3, 4]);
  });

  it('flows page, sort and filter like the full export says they should', async () => {
    const { summary } = (await get(`/api/sessions/${office}`)).json();
    const all: {
      flow_id: number;
      src_ip: string;
      dst_ip: string;
      src_port: number;
      dst_port: number;
      protocol: string;
      total_bytes: number;
      packet_count: number;
    }[] = [];
    for (let offset = 0; ; offset += 1000) {
      const page = (await get(`/api/sessions/${office}/flows?limit=1000&offset=${offset}`)).json();
      expect(page.total).toBe(summary.flows.count);
      all.push(...page.flows);
      if (page.flows.length < 1000) break;
    }
    expect(all).toHaveLength(summary.flows.count);
    expect(new Set(all.map((f) => f.flow_id)).size).toBe(all.length);
    for (let i = 1; i < all.length; i++)
      expect(all[i - 1].total_bytes).toBeGreaterThanOrEqual(all[i].total_bytes);
    expect(all[0]).toMatchObject({
      src_ip: summary.top_flows[0].src_ip,
      total_bytes: summary.top_flows[0].bytes,
    });

    const asc = (await get(`/api/sessions/${office}/flows?sort=packet_count&order=asc&limit=20`)).json()
      .flows;
    const byPackets = [...all].sort((a, b) => a.packet_count - b.packet_count);
    expect(asc.map((f: { packet_count: number }) => f.packet_count)).toEqual(
      byPackets.slice(0, 20).map((f) => f.packet_count),
    );

    const ip = summary.top_talkers[0].ip;
    const withIp = (await get(`/api/sessions/${office}/flows?ip=${ip}&limit=1000`)).json();
    expect(withIp.total).toBe(all.filter((f) => f.src_ip === ip || f.dst_ip === ip).length);
    const dns = (await get(`/api/sessions/${office}/flows?port=53&protocol=udp&limit=1000`)).json();
    expect(dns.total).toBe(
      all.filter((f) => f.protocol === 'UDP' && (f.src_port === 53 || f.dst_port === 53)).length,
    );
    expect(dns.total).toBeGreaterThan(0);
    const icmp6 = (await get(`/api/sessions/${office}/flows?protocol=icmpv6`)).json();
    expect(icmp6.flows.every((f: { protocol: string }) => f.protocol === 'ICMPv6')).toBe(true);
    expect(icmp6.total).toBe(summary.flows.icmp - all.filter((f) => f.protocol === 'ICMP').length);
  });

  it('top talker and top port agree with an independent reading of the capture', async () => {
    const counts = independentCounts(`${SHARED_PCAPS}/real/${OFFICE}`);
    const [ip, bytes] = topOf(counts.bytesByAddress);
    const talkers = (await get(`/api/sessions/${office}/talkers?limit=5`)).json();
    expect(talkers.direction).toBe('both');
    expect(talkers.talkers).toHaveLength(5);
    expect(talkers.talkers[0]).toMatchObject({ rank: 1, ip, bytes });
    expect(talkers.talkers[0].share).toBeCloseTo((bytes / 1550828) * 100, 3);
    const sent = (await get(`/api/sessions/${office}/talkers?direction=sent&limit=1`)).json();
    expect(sent.talkers).toHaveLength(1);

    const ports = (await get(`/api/sessions/${office}/ports?limit=3`)).json().ports;
    const [port] = topOf(counts.packetsByPort);
    expect(`${ports[0].protocol}/${ports[0].port}`).toBe(port);
    expect(ports[0].label).toBe('443 (HTTPS)');
  });

  it('TCP health, distributions and direction match tshark and add up', async () => {
    const want = expectedFor(OFFICE);
    const tcp = (await get(`/api/sessions/${office}/tcp-health`)).json();
    expect(tcp).toMatchObject({
      syn: want.tcp_syn_only,
      synack: want.tcp_synack,
      rst: want.tcp_rst,
      fin: want.tcp_fin,
      tcp_packets: want.first_l4.tcp,
    });
    expect(tcp.syn_ack_ratio).toBeCloseTo(want.tcp_syn_only / want.tcp_synack, 5);
    expect(tcp.rst_rate).toBeCloseTo(want.tcp_rst / want.first_l4.tcp, 5);
    const d = (await get(`/api/sessions/${office}/distributions`)).json();
    expect(Object.keys(d.packet_size)).toEqual(['64', '128', '256', '512', '1024', '1518', '1519+']);
    expect(Object.values(d.packet_size as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(
      want.packets,
    );
    const { summary } = (await get(`/api/sessions/${office}`)).json();
    expect(Object.values(d.flow_duration as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(
      summary.flows.count,
    );
    const dir = (await get(`/api/sessions/${office}/direction`)).json();
    expect(dir.local_networks).toContain('192.168.0.0/16');
    const ipPackets = want.ip_frames.ipv4_outer + want.ip_frames.ipv6_outer;
    expect(
      dir.inbound_packets + dir.outbound_packets + dir.internal_packets + dir.external_packets,
    ).toBeLessThanOrEqual(ipPackets);
    expect(dir.inbound_bytes + dir.outbound_bytes).toBeGreaterThan(0);
  });

  it('every window has an anomaly score with explained contributions', async () => {
    const { session } = (await get(`/api/sessions/${office}`)).json();
    const a = (await get(`/api/sessions/${office}/anomalies`)).json();
    expect(a.threshold).toBeGreaterThan(0);
    expect(a.features.length).toBeGreaterThan(10);
    expect(a.anomalies).toHaveLength(session.window_count);
    for (const x of a.anomalies) {
      expect(x.score).toBeGreaterThanOrEqual(0);
      expect(x.score).toBeLessThanOrEqual(1);
      expect(x.is_anomaly).toBe(x.score >= a.threshold && x.is_anomaly);
      if (x.contributing_features.length > 0) {
        const sum = x.contributing_features.reduce((s: number, c: { share: number }) => s + c.share, 0);
        expect(sum).toBeCloseTo(1, 2);
      }
    }
  });

  it("the nmap capture's insights name the scanner, in capture time", async () => {
    nmap = await ingest(NMAP);
    const want = expectedFor(NMAP);
    const alerts = (await get(`/api/sessions/${nmap}/insights?type=alert`)).json().insights;
    const sweep = alerts.find((i: { alert_type: string }) => i.alert_type === 'host_sweep');
    expect(sweep).toBeDefined();
    expect(sweep.summary).toContain('192.168.1.71');
    expect(sweep.event_ts).toBeGreaterThanOrEqual(Number(want.min_ts));
    expect(sweep.event_ts).toBeLessThanOrEqual(Number(want.max_ts));
    const high = (await get(`/api/sessions/${nmap}/insights?severity=high,critical`)).json().insights;
    expect(high.length).toBeGreaterThan(0);
    expect(high.every((i: { severity: string }) => i.severity === 'high' || i.severity === 'critical')).toBe(
      true,
    );
    const all = (await get(`/api/sessions/${nmap}/insights`)).json().insights;
    expect(all.some((i: { insight_type: string }) => i.insight_type === 'summary')).toBe(true);
    const ts = all.map((i: { event_ts: number }) => i.event_ts);
    expect(ts).toEqual([...ts].sort((x: number, y: number) => x - y));
  });

  it('the flow export downloads one row per flow in each format', async () => {
    const { summary } = (await get(`/api/sessions/${nmap}`)).json();
    for (const [format, type, headerLines] of [
      ['csv', 'text/csv', 1],
      ['json', 'application/x-ndjson', 0],
      ['zeek', 'text/plain', 0],
    ] as const) {
      const res = await get(`/api/sessions/${nmap}/export?format=${format}`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain(type);
      expect(res.headers['content-disposition']).toContain(`flowlens-${nmap}`);
      const lines = res.body.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
      expect(lines.length - headerLines).toBe(summary.flows.count);
    }
  });

  it('progress streams as Server-Sent Events until the session ends', async () => {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address() as { port: number };
    const res = await upload(NMAP, real(NMAP), { name: 'watched' });
    const id = res.json().session_id;
    const stream = await fetch(`http://127.0.0.1:${addr.port}/api/sessions/${id}/events`);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const events = parseSse(await stream.text());
    const end = events[events.length - 1];
    expect(end.event).toBe('end');
    expect(end.data).toMatchObject({ session_id: id, status: 'completed', phase: 'done', packets: 547 });
    for (const e of events.slice(0, -1)) {
      expect(e.event).toBe('progress');
      expect(e.data).toHaveProperty('phase');
      expect((e.data as { progress: number }).progress).toBeLessThanOrEqual(1);
    }
    // A finished session answers with its end at once.
    const again = parseSse(
      await (await fetch(`http://127.0.0.1:${addr.port}/api/sessions/${id}/events`)).text(),
    );
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({ event: 'end', data: { status: 'completed' } });
  });

  it('a session deleted while its progress is watched ends its stream with status deleted', async () => {
    const addr = app.server.address() as { port: number };
    // A larger capture first, so that the watched one waits in the queue behind it.
    const busy = 'eth-ipv6-ah-icmpv6-flood-3.6MB_denial6-5.pcap';
    expect((await upload(busy, real(busy))).statusCode).toBe(202);
    const id = (await upload(NMAP, real(NMAP), { name: 'deleted while watched' })).json().session_id;
    const stream = await fetch(`http://127.0.0.1:${addr.port}/api/sessions/${id}/events`);
    const del = await app.inject({ method: 'DELETE', url: `/api/sessions/${id}`, headers: CSRF });
    expect(del.statusCode).toBe(204);
    const events = parseSse(await stream.text());
    expect(events[events.length - 1]).toEqual({ event: 'end', data: { session_id: id, status: 'deleted' } });
    await server.queue.idle();
  });

  it('malformed multipart bodies get 400 and a declared oversize body 413 before it is read', async () => {
    const post = (payload: Buffer | string, headers: Record<string, string>) =>
      app.inject({ method: 'POST', url: '/api/sessions', headers: { ...CSRF, ...headers }, payload });
    const noBoundary = await post('--x\r\n', { 'content-type': 'multipart/form-data' });
    expect(noBoundary.statusCode).toBe(400);
    expect(noBoundary.json().error).toMatch(/multipart body is malformed/);
    const whole = multipart({}, { name: NMAP, data: real(NMAP) });
    const cut = await post(whole.payload.subarray(0, whole.payload.length - 60), whole.headers);
    expect(cut.statusCode).toBe(400);
    const boundary = whole.headers['content-type'].split('boundary=')[1];
    const part = (n: number) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${n}.pcap"\r\nContent-Type: application/octet-stream\r\n\r\n`;
    const two = Buffer.concat([
      Buffer.from(part(1)),
      real(NMAP),
      Buffer.from(`\r\n${part(2)}`),
      real(NMAP),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const twoFiles = await post(two, whole.headers);
    expect(twoFiles.statusCode).toBe(400);
    expect(twoFiles.json().error).toMatch(/one capture per upload/);
    const lying = await post(whole.payload, { ...whole.headers, 'content-length': '10000000000' });
    expect(lying.statusCode).toBe(413);
    expect(
      (await get('/api/sessions')).json().sessions.some((x: { name: string }) => /^\d\.pcap$/.test(x.name)),
    ).toBe(false);
  });

  it('SQL metacharacters in every filter and field are refused or taken literally', async () => {
    const evil = ["'; DROP TABLE flows; --", '1 OR 1=1', '$1', '\\x00', '%27%20OR%20%271%27=%271'];
    const params = ['ip', 'port', 'protocol', 'sort', 'order', 'limit', 'offset', 'window_from', 'window_to'];
    for (const v of evil) {
      for (const p of params) {
        const res = await get(`/api/sessions/${office}/flows?${p}=${encodeURIComponent(v)}`);
        expect(res.statusCode, `${p}=${v}`).toBe(400);
      }
      for (const url of [
        `/api/sessions/${office}/talkers?direction=${encodeURIComponent(v)}`,
        `/api/sessions/${office}/insights?type=${encodeURIComponent(v)}`,
        `/api/sessions/${office}/insights?severity=${encodeURIComponent(v)}`,
        `/api/sessions/${office}/windows?fields=${encodeURIComponent(v)}`,
        `/api/sessions/${encodeURIComponent(v)}`,
      ]) {
        expect((await get(url)).statusCode, url).toBe(400);
      }
    }
    // A name is data, stored and shown as typed.
    const id = await ingest(NMAP, { name: "Robert'); DROP TABLE pcap_sessions;--" });
    expect((await get(`/api/sessions/${id}`)).json().session.name).toBe(
      "Robert'); DROP TABLE pcap_sessions;--",
    );
    expect((await get(`/api/sessions/${office}`)).statusCode).toBe(200);
  });

  it('bad parameters get 400 with a message naming the parameter', async () => {
    const cases: [string, RegExp][] = [
      [`/api/sessions/${office}/flows?limit=0`, /limit/],
      [`/api/sessions/${office}/flows?limit=5000`, /limit must be <= 1000/],
      [`/api/sessions/${office}/flows?sort=src_ip`, /sort must be one of total_bytes/],
      [`/api/sessions/${office}/flows?order=up`, /order/],
      [`/api/sessions/${office}/flows?port=70000`, /port/],
      [`/api/sessions/${office}/flows?port=http`, /port/],
      [`/api/sessions/${office}/flows?protocol=sctp`, /protocol/],
      [`/api/sessions/${office}/flows?ip=10.0.0.300`, /ip/],
      [`/api/sessions/${office}/flows?ip=${encodeURIComponent("1.1.1.1' OR '1'='1")}`, /ip/],
      [`/api/sessions/${office}/flows?prot=tcp`, /unknown parameter 'prot'/],
      [`/api/sessions/${office}/windows?from=5&to=2`, /from \(5\) must not be after to \(2\)/],
      [`/api/sessions/${office}/windows?from=-1`, /from/],
      [`/api/sessions/${office}/windows?from=100000`, /from \(100000\) must not be after the last window/],
      [
        `/api/sessions/${office}/flows?window_from=5&window_to=2`,
        /window_from \(5\) must not be after window_to \(2\)/,
      ],
      [`/api/sessions/${office}/talkers?direction=up`, /direction/],
      [`/api/sessions/${office}/insights?severity=urgent`, /severity/],
      [`/api/sessions/${office}/export?format=xml`, /format/],
      ['/api/sessions/not-a-session-id', /id/],
      // Routes that take no query refuse one too: a misspelt parameter is not silently ignored.
      [`/api/sessions/${office}/tcp-health?foo=1`, /unknown parameter 'foo'/],
      [`/api/sessions/${office}/distributions?x=1`, /unknown parameter 'x'/],
      [`/api/sessions/${office}/direction?limit=5`, /unknown parameter 'limit'/],
      [`/api/sessions/${office}/events?x=1`, /unknown parameter 'x'/],
      ['/api/sessions?foo=1', /unknown parameter 'foo'/],
      ['/api/health?foo=1', /unknown parameter 'foo'/],
    ];
    for (const [url, message] of cases) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error, url).toMatch(message);
    }
  });

  it('an IPv6 filter matches however the address is written', async () => {
    const v6 = (await get(`/api/sessions/${office}/flows?protocol=icmpv6`)).json().flows[0];
    // The same address written out in full, upper case: fe80::1 → FE80:0000:…:0001.
    const [head, tail = ''] = v6.src_ip.split('::');
    const groups = (t: string) => (t === '' ? [] : t.split(':'));
    const missing = 8 - groups(head).length - groups(tail).length;
    const spelled = [...groups(head), ...Array(missing).fill('0'), ...groups(tail)]
      .map((g: string) => g.padStart(4, '0').toUpperCase())
      .join(':');
    expect(spelled).not.toBe(v6.src_ip);
    const res = (await get(`/api/sessions/${office}/flows?ip=${encodeURIComponent(spelled)}`)).json();
    expect(res.flows.some((f: { flow_id: number }) => f.flow_id === v6.flow_id)).toBe(true);
  });

  it('unknown sessions and routes get 404', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const path of [
      '',
      '/events',
      '/windows',
      '/flows',
      '/talkers',
      '/ports',
      '/tcp-health',
      '/distributions',
      '/direction',
      '/anomalies',
      '/insights',
      '/export',
    ]) {
      const res = await get(`/api/sessions/${missing}${path}`);
      expect(res.statusCode, path).toBe(404);
      expect(res.json().error).toContain(missing);
    }
    const del = await app.inject({ method: 'DELETE', url: `/api/sessions/${missing}`, headers: CSRF });
    expect(del.statusCode).toBe(404);
    expect((await get('/api/nothing-here')).statusCode).toBe(404);
  });

  it('uploads that are not captures, too large, empty or incomplete are refused and leave nothing behind', async () => {
    const before = readdirSync(uploads).length;
    const png = await upload('picture.png', readFileSync(`${SHARED_PCAPS}/malformed/own_not-a-capture.png`));
    expect(png.statusCode).toBe(415);
    expect(png.json().error).toMatch(/not a capture: expected pcap or pcapng/);
    const text = await upload(
      'notes.pcap',
      readFileSync(`${SHARED_PCAPS}/malformed/own_not-a-capture-text.pcap`),
    );
    expect(text.statusCode).toBe(415);
    const gzText = await upload(
      'notes.pcap.gz',
      gzipSync(Buffer.from('hello, this is text and not a capture')),
    );
    expect(gzText.statusCode).toBe(415);
    const empty = await upload('empty.pcap', Buffer.alloc(0));
    expect(empty.statusCode).toBe(415);
    const big = await upload('big.pcap', Buffer.concat([real(OFFICE), real(OFFICE), real(OFFICE)]));
    expect(big.statusCode).toBe(413);
    expect(big.json().error).toMatch(/larger than the upload limit of 4 MB/);
    const noFile = multipart({ name: 'x' });
    const missing = await app.inject({
      method: 'POST',
      url: '/api/sessions',
      headers: { ...noFile.headers, ...CSRF },
      payload: noFile.payload,
    });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toMatch(/field 'file'/);
    const notMultipart = await app.inject({
      method: 'POST',
      url: '/api/sessions',
      headers: { ...CSRF, 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(notMultipart.statusCode).toBe(400);
    for (const [fields, message] of [
      [{ window: 'fast' }, /window must be 'auto' or a number of seconds/],
      [{ window: '0' }, /window/],
      [{ local_nets: '10.0.0.0/33' }, /local_nets/],
      [{ local_nets: 'intranet' }, /local_nets/],
      [{ baseline: 'yesterday' }, /baseline must be a session id/],
      [{ baseline: '00000000-0000-4000-8000-000000000000' }, /baseline session .* not found/],
      [{ colour: 'blue' }, /unknown field 'colour'/],
      [{ name: 'n'.repeat(5000) }, /too long/],
    ] as [Record<string, string>, RegExp][]) {
      const res = await upload(NMAP, real(NMAP), fields);
      expect(res.statusCode, JSON.stringify(fields).slice(0, 50)).toBe(400);
      expect(res.json().error).toMatch(message);
    }
    expect(readdirSync(uploads)).toHaveLength(before);
  });

  it('an upload name with a path in it is stored as a plain name, and local networks and window apply', async () => {
    const id = await ingest(NMAP, { local_nets: '192.168.1.0/25', window: '2' });
    // The file name from the form is never used as a path.
    const body = multipart({}, { name: '../../../../etc/passwd', data: real(NMAP) });
    const res = await app.inject({
      method: 'POST',
      url: '/api/sessions',
      headers: { ...body.headers, ...CSRF },
      payload: body.payload,
    });
    expect(res.statusCode).toBe(202);
    await server.queue.idle();
    const traversal = (await get(`/api/sessions/${res.json().session_id}`)).json().session;
    expect(traversal.file_name).toBe('passwd');
    expect(existsSync(join(uploads, '..', 'etc'))).toBe(false);
    const { summary } = (await get(`/api/sessions/${id}`)).json();
    expect(summary.windows.length_s).toBe(2);
    expect(summary.direction.local_networks).toEqual(['192.168.1.0/25']);
  });

  it('a session asked for just as its ingest ends is shown finished afterwards, not running for ever', async () => {
    // The row says `failed` a moment before the job lets go of the session; an answer made in
    // that moment shows it running and must not be kept as the session's final answer.
    const id = await createSession(db, { name: 'ending', fileName: 'ending.pcap', fileSize: 1 });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let marked!: () => void;
    const failedInDb = new Promise<void>((r) => {
      marked = r;
    });
    server.local!.add({
      sessionId: id,
      run: async () => {
        await failSession(db, id, 'the disk is full');
        marked();
        await gate;
      },
    });
    await failedInDb;
    const during = (await get(`/api/sessions/${id}`)).json().session;
    expect(during.status).toBe('processing');
    release();
    await server.queue.idle();
    const after = (await get(`/api/sessions/${id}`)).json().session;
    expect(after).toMatchObject({ status: 'failed', phase: 'failed', error: 'the disk is full' });
  });

  it('a damaged capture that passes the magic check fails cleanly and its data answers 409', async () => {
    const res = await upload(
      'cut.pcap',
      readFileSync(`${SHARED_PCAPS}/malformed/libpcap_pcap-invalid-version-1.pcap`),
    );
    expect(res.statusCode).toBe(202);
    const id = res.json().session_id;
    await server.queue.idle();
    const { session, summary } = (await get(`/api/sessions/${id}`)).json();
    expect(session.status).toBe('failed');
    expect(session.phase).toBe('failed');
    expect(session.error).toMatch(/version/);
    expect(summary).toBeNull();
    const data = await get(`/api/sessions/${id}/flows`);
    expect(data.statusCode).toBe(409);
    expect(data.json().error).toMatch(/is failed .*: it has no data$/);
    expect(Object.values(await childRowCounts(db, id)).every((n) => n === 0)).toBe(true);
    // The same session asked for in capitals.
    expect((await get(`/api/sessions/${id.toUpperCase()}`)).json().session.session_id).toBe(id);
  });

  it('delete removes the session, its rows and its stored file', async () => {
    const id = await ingest(NMAP);
    expect(readdirSync(uploads)).toContain(`${id}.capture`);
    const noHeader = await app.inject({ method: 'DELETE', url: `/api/sessions/${id}` });
    expect(noHeader.statusCode).toBe(403);
    // Answers about a finished session are kept and sent again as they were …
    const first = await get(`/api/sessions/${id}/windows`);
    const again = await get(`/api/sessions/${id}/windows`);
    expect(again.body).toBe(first.body);
    // The same session spelt with a percent-encoded first character, and the same query in
    // another order: one answer, one cache entry.
    const spelt = `/api/sessions/%${id.charCodeAt(0).toString(16)}${id.slice(1)}`;
    expect((await get(`${spelt}/windows`)).body).toBe(first.body);
    const flows = await get(`${spelt}/flows?limit=5&offset=0`);
    expect(flows.statusCode).toBe(200);
    expect((await get(`/api/sessions/${id}/flows?offset=0&limit=5`)).body).toBe(flows.body);
    const res = await app.inject({ method: 'DELETE', url: `/api/sessions/${id}`, headers: CSRF });
    expect(res.statusCode).toBe(204);
    // … until the session is deleted, however it is spelt.
    expect((await get(`/api/sessions/${id}/windows`)).statusCode).toBe(404);
    expect((await get(`${spelt}/windows`)).statusCode).toBe(404);
    expect((await get(`${spelt}/flows?limit=5&offset=0`)).statusCode).toBe(404);
    expect((await get(spelt)).statusCode).toBe(404);
    expect(Object.values(await childRowCounts(db, id)).every((n) => n === 0)).toBe(true);
    expect(readdirSync(uploads)).not.toContain(`${id}.capture`);
    expect((await get(`/api/sessions/${id}`)).statusCode).toBe(404);
  });

  it('health, the OpenAPI document and a foreign Host header', async () => {
    const health = (await get('/api/health')).json();
    expect(health).toMatchObject({
      status: 'ok',
      database: name === 'PGlite' ? 'pglite' : 'postgres',
      queue: { running: 0, queued: 0 },
    });
    const doc = (await get('/api/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    for (const p of [
      '/api/sessions',
      '/api/sessions/{id}',
      '/api/sessions/{id}/events',
      '/api/sessions/{id}/flows',
      '/api/sessions/{id}/windows',
      '/api/sessions/{id}/talkers',
      '/api/sessions/{id}/ports',
      '/api/sessions/{id}/tcp-health',
      '/api/sessions/{id}/distributions',
      '/api/sessions/{id}/direction',
      '/api/sessions/{id}/anomalies',
      '/api/sessions/{id}/insights',
      '/api/sessions/{id}/export',
      '/api/health',
    ]) {
      expect(doc.paths, p).toHaveProperty([p]);
    }
    const flowParams = doc.paths['/api/sessions/{id}/flows'].get.parameters.map(
      (x: { name: string }) => x.name,
    );
    expect(flowParams).toEqual(
      expect.arrayContaining(['id', 'sort', 'order', 'ip', 'port', 'protocol', 'limit', 'offset']),
    );
    // Routes that answer 204 document that code, with no body, and no 200 they never send.
    for (const [path, method] of [
      ['/api/sessions/{id}', 'delete'],
      ['/api/login', 'post'],
      ['/api/logout', 'post'],
    ]) {
      const responses = doc.paths[path][method].responses;
      expect(
        Object.keys(responses).filter((c) => c.startsWith('2')),
        `${method} ${path}`,
      ).toEqual(['204']);
      expect(responses['204'].content, `${method} ${path}`).toBeUndefined();
    }
    for (const host of [
      'attacker.example:8080',
      '127.attacker.example',
      '127.0.0.1.nip.io:8080',
      '127.0.0.256',
    ]) {
      const rebind = await app.inject({ method: 'GET', url: '/api/sessions', headers: { host } });
      expect(rebind.statusCode, host).toBe(403);
    }
    for (const host of ['127.0.0.1:8080', 'localhost:8080', '127.0.0.2', '[::1]:8080']) {
      const own = await app.inject({ method: 'GET', url: '/api/sessions', headers: { host } });
      expect(own.statusCode, host).toBe(200);
    }
  });
});

describe.skipIf(!hasSharedPcaps)('the HTTP API with a token', () => {
  let db: Db;
  let app: FastifyInstance;
  const TOKEN = 's3cret-token-for-tests';
  beforeAll(async () => {
    db = await openStore(join(dir, 'pglite-token'));
    app = (
      await buildApp({
        db,
        uploadsDir: join(dir, 'uploads-token'),
        webDir: null,
        token: TOKEN,
        maxUploadBytes: 4_000_000,
        concurrency: 1,
        host: '127.0.0.1',
      })
    ).app;
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('every API call needs the token, by bearer header or login cookie; health stays open', async () => {
    expect((await app.inject({ url: '/api/health' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/api/auth' })).json()).toEqual({ required: true, authenticated: false });
    const anonymous = await app.inject({ url: '/api/sessions' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().error).toMatch(/token is required/);
    expect(
      (await app.inject({ url: '/api/sessions', headers: { authorization: 'Bearer wrong' } })).statusCode,
    ).toBe(401);
    expect(
      (await app.inject({ url: '/api/sessions', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode,
    ).toBe(200);

    const wrong = await app.inject({ method: 'POST', url: '/api/login', payload: { token: 'nope' } });
    expect(wrong.statusCode).toBe(401);
    const login = await app.inject({ method: 'POST', url: '/api/login', payload: { token: TOKEN } });
    expect(login.statusCode).toBe(204);
    const cookie = String(login.headers['set-cookie']).split(';')[0];
    expect(String(login.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
    expect((await app.inject({ url: '/api/auth', headers: { cookie } })).json()).toEqual({
      required: true,
      authenticated: true,
    });
    expect((await app.inject({ url: '/api/sessions', headers: { cookie } })).statusCode).toBe(200);

    // A cookie alone cannot change anything: a cross-site form would carry it too.
    const body = multipart({}, { name: NMAP, data: real(NMAP) });
    const forged = await app.inject({
      method: 'POST',
      url: '/api/sessions',
      headers: { ...body.headers, cookie },
      payload: body.payload,
    });
    expect(forged.statusCode).toBe(403);
    const crossSite = await app.inject({
      method: 'POST',
      url: '/api/sessions',
      headers: { ...body.headers, cookie, ...CSRF, 'sec-fetch-site': 'cross-site' },
      payload: body.payload,
    });
    expect(crossSite.statusCode).toBe(403);
    const ok = await app.inject({
      method: 'POST',
      url: '/api/sessions',
      headers: { ...body.headers, cookie, ...CSRF },
      payload: body.payload,
    });
    expect(ok.statusCode).toBe(202);
    const bearer = await app.inject({
      method: 'POST',
      url: '/api/sessions',
      headers: { ...body.headers, authorization: `Bearer ${TOKEN}` },
      payload: body.payload,
    });
    expect(bearer.statusCode).toBe(202);

    const bad = await app.inject({
      method: 'POST',
      url: '/api/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"token": ',
    });
    expect(bad.statusCode).toBe(400);
    const logout = await app.inject({ method: 'POST', url: '/api/logout', headers: CSRF });
    expect(String(logout.headers['set-cookie'])).toMatch(/Max-Age=0/);
  });

  it('a percent-encoded spelling of an API path meets the same token and cross-site checks', async () => {
    const sid = (
      await app.inject({ url: '/api/sessions', headers: { authorization: `Bearer ${TOKEN}` } })
    ).json().sessions[0].session_id as string;
    for (const url of [
      '/%61pi/sessions',
      '/%61%70%69/sessions',
      `/api/sessions/${sid}`,
      `/%61pi/sessions/${sid}/flows`,
    ]) {
      expect((await app.inject({ url })).statusCode, url).toBe(401);
      expect((await app.inject({ method: 'DELETE', url: url.replace('/flows', '') })).statusCode, url).toBe(
        401,
      );
    }
    const login = await app.inject({ method: 'POST', url: '/api/login', payload: { token: TOKEN } });
    const cookie = String(login.headers['set-cookie']).split(';')[0];
    const body = multipart({}, { name: NMAP, data: real(NMAP) });
    const forged = await app.inject({
      method: 'POST',
      url: '/%61pi/sessions',
      headers: { ...body.headers, cookie },
      payload: body.payload,
    });
    expect(forged.statusCode).toBe(403);
    const del = await app.inject({ method: 'DELETE', url: `/%61pi/sessions/${sid}`, headers: { cookie } });
    expect(del.statusCode).toBe(403);
    expect(
      (await app.inject({ url: `/api/sessions/${sid}`, headers: { authorization: `Bearer ${TOKEN}` } }))
        .statusCode,
    ).toBe(200);
    expect((await app.inject({ url: '/%E0%A4%A/sessions' })).statusCode).toBe(400);
  });
});
