import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntelError, IntelMatcher, parseIntelList } from '../src/detect/index.js';
import { type App, buildApp } from '../src/server/index.js';
import { type Db, openStore } from '../src/storage/index.js';
import { at, detectFrames, officeTraffic } from './helpers/detect-captures.js';
import { multipart } from './helpers/http.js';
import { logTransactions } from './helpers/log-transactions.js';
import { dnsQuery, TCP, tcpFrame, tlsClientHello, udpFrame } from './helpers/packets.js';

const dir = mkdtempSync(join(tmpdir(), 'flowlens-intel-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('an intel list', () => {
  it('takes IPs, networks, domains, JA3 and JA4 hashes, one a line or CSV with a description', () => {
    const text = [
      'indicator,description',
      '# a comment line',
      '203.0.113.9',
      '2001:DB8:0:0::1 , "lab, v6 host"',
      '198.51.100.0/24,scanner net',
      'Evil.Example.  # trailing comment',
      '"e7d705a3286e19ea42f587b344ee6865",old client',
      't13d1516h2_8daaf6152771_02713d6af862',
      '',
    ].join('\r\n');
    expect(parseIntelList(text, 'watch.csv')).toEqual([
      { kind: 'ip', value: '203.0.113.9', description: null, list: 'watch.csv' },
      { kind: 'ip', value: '2001:db8::1', description: 'lab, v6 host', list: 'watch.csv' },
      { kind: 'cidr', value: '198.51.100.0/24', description: 'scanner net', list: 'watch.csv' },
      { kind: 'domain', value: 'evil.example', description: null, list: 'watch.csv' },
      {
        kind: 'ja3',
        value: 'e7d705a3286e19ea42f587b344ee6865',
        description: 'old client',
        list: 'watch.csv',
      },
      { kind: 'ja4', value: 't13d1516h2_8daaf6152771_02713d6af862', description: null, list: 'watch.csv' },
    ]);
  });

  it.each([
    ['10.0.0.300', 2],
    ['10.0.0.0/33', 2],
    ['<script>alert(1)</script>', 2],
    ['not a domain!', 2],
  ])('refuses %s, naming the list and the line', (bad, line) => {
    expect(() => parseIntelList(`1.2.3.4\n${bad}\n`, 'bad.txt')).toThrow(IntelError);
    expect(() => parseIntelList(`1.2.3.4\n${bad}\n`, 'bad.txt')).toThrow(`bad.txt line ${line}: '${bad}'`);
  });

  it('matches an address exactly or by network, v4 and v6, and a domain with its subdomains only', () => {
    const m = new IntelMatcher(
      parseIntelList('203.0.113.9\n2001:db8::/32\n10.1.0.0/16\nevil.example\n', 'l'),
    );
    const v6 = [0x20010db8, 0x00010000, 0, 5];
    expect(m.address('2001:db8:1::5', 6, v6)?.value).toBe('2001:db8::/32');
    expect(m.address('2001:db9::5', 6, [0x20010db9, 0, 0, 5])).toBeNull();
    expect(m.address('10.1.200.3', 4, [(10 << 24) | (1 << 16) | (200 << 8) | 3, 0, 0, 0])?.value).toBe(
      '10.1.0.0/16',
    );
    expect(m.address('10.2.0.1', 4, [(10 << 24) | (2 << 16) | 1, 0, 0, 0])).toBeNull();
    expect(m.address('203.0.113.9', 4, [0xcb007109, 0, 0, 0])?.value).toBe('203.0.113.9');
    expect(m.domain('evil.example')?.value).toBe('evil.example');
    expect(m.domain('A.B.Evil.Example.')?.value).toBe('evil.example');
    expect(m.domain('notevil.example')).toBeNull();
    expect(m.domain('evil.example.org')).toBeNull();
  });
});

describe('intel matches in a capture', () => {
  // JA3 of helpers/packets.ts' ClientHello, written out from its bytes: TLS 1.2 (771), one cipher
  // 0x1301 (4865), extensions ec_point_formats (11) then server_name (0), no groups, format 0.
  const JA3 = createHash('md5').update('771,4865,11-0,,0').digest('hex');
  const frames = [
    ...officeTraffic(60),
    at(10, udpFrame('10.0.1.30', '10.0.0.53', 41000, 53, dnsQuery(7, 'cdn.evil.example'))),
    at(10.01, udpFrame('10.0.0.53', '10.0.1.30', 53, 41000, dnsQuery(7, 'cdn.evil.example', true))),
    at(20, udpFrame('10.0.1.30', '10.0.0.53', 41001, 53, dnsQuery(8, 'cdn.evil.example'))),
    at(30, udpFrame('10.0.1.31', '10.0.0.53', 41002, 53, dnsQuery(9, 'notevil.example'))),
    at(40, tcpFrame('10.0.1.30', '93.184.216.34', { sport: 50000, dport: 443, flags: TCP.SYN })),
    at(
      40.02,
      tcpFrame('10.0.1.30', '93.184.216.34', {
        sport: 50000,
        dport: 443,
        flags: TCP.ACK | TCP.PSH,
        seq: 1,
        payload: tlsClientHello('login.evil.example'),
      }),
    ),
  ];
  const intel = parseIntelList(`evil.example,phishing kit\n${JA3},test client\n`, 'feed.csv');

  it('a DNS query, a TLS server name and a JA3 from the logs each raise an alert naming the entry', async () => {
    const logs = logTransactions(frames);
    expect(logs.dns.filter((d) => d.query.includes('evil')).map((d) => [d.query, d.rcode])).toEqual([
      ['cdn.evil.example', 0],
      ['cdn.evil.example', null],
      ['notevil.example', null],
    ]);
    const { detection } = await detectFrames(frames, 'intel.pcap', { intel, logs });
    const alerts = detection.insights.filter((i) => i.alert_type === 'intel_match');
    expect(alerts.map((a) => [a.severity, a.details.seen_in, a.details.entry, a.details.count])).toEqual([
      ['high', 'dns', 'evil.example', 2],
      ['high', 'tls', 'evil.example', 1],
      ['high', 'tls', JA3, 1],
    ]);
    expect(alerts[0].summary).toBe(
      'DNS query for cdn.evil.example by 10.0.1.30 (2 times) matches intel list entry evil.example (phishing kit) from feed.csv.',
    );
    expect(alerts[0].event_ts).toBeCloseTo(1_750_000_010, 3);
    expect(alerts[0].details).toMatchObject({
      client: '10.0.1.30',
      server: '10.0.0.53',
      last_ts: 1_750_000_020,
    });
  });

  it('without the logs only the addresses are matched, and without lists nothing', async () => {
    const { detection } = await detectFrames(frames, 'intel.pcap', { intel });
    expect(detection.insights.filter((i) => i.alert_type === 'intel_match')).toEqual([]);
    const none = await detectFrames(frames, 'intel.pcap', { logs: logTransactions(frames) });
    expect(none.detection.insights.filter((i) => i.alert_type === 'intel_match')).toEqual([]);
  });
});

describe('flowlens analyze --intel', () => {
  const ROOT = fileURLToPath(new URL('..', import.meta.url));
  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, [`${ROOT}bin/flowlens.js`, ...args], { encoding: 'utf8' });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const capture = join(dir, 'c.pcap');
  writeFileSync(join(dir, 'ips.txt'), '192.0.2.0/24,C2 range\n');
  writeFileSync(join(dir, 'more.txt'), '198.51.100.7\n');
  writeFileSync(join(dir, 'bad.txt'), '192.0.2.1\n300.1.1.1\n');

  it('raises an alert per listed address, from every list given', async () => {
    const { path } = await detectFrames(
      [
        at(1, tcpFrame('10.0.1.30', '192.0.2.77', { sport: 50000, dport: 443, flags: TCP.SYN })),
        at(2, udpFrame('10.0.1.30', '198.51.100.7', 40000, 123, Buffer.alloc(48))),
      ],
      'c.pcap',
    );
    writeFileSync(capture, readFileSync(path));
    const r = run(
      'analyze',
      '--no-store',
      '--json',
      '--intel',
      join(dir, 'ips.txt'),
      '--intel',
      join(dir, 'more.txt'),
      capture,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const alerts = JSON.parse(r.stdout).insights.filter(
      (i: { alert_type: string }) => i.alert_type === 'intel_match',
    );
    expect(
      alerts.map((a: { details: { address: string; list: string } }) => [a.details.address, a.details.list]),
    ).toEqual([
      ['192.0.2.77', 'ips.txt'],
      ['198.51.100.7', 'more.txt'],
    ]);
  }, 60_000);

  it('a missing list or a bad line is one line and exit 2', () => {
    const missing = run('analyze', '--no-store', '--intel', join(dir, 'nope.txt'), capture);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')[0]).toMatch(/--intel .*nope\.txt: no such file/);
    const bad = run('analyze', '--no-store', '--intel', join(dir, 'bad.txt'), capture);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.txt line 2: '300\.1\.1\.1' is not an IP address/);
  });
});

describe('intel lists kept by the server', () => {
  const CSRF = { 'x-flowlens-request': '1' };
  let db: Db;
  let server: App;
  beforeAll(async () => {
    db = await openStore(join(dir, 'pglite'));
    server = await buildApp({
      db,
      uploadsDir: join(dir, 'uploads'),
      webDir: null,
      token: null,
      maxUploadBytes: 1_000_000,
      concurrency: 1,
      host: '127.0.0.1',
    });
  }, 60_000);
  afterAll(async () => {
    await server?.app.close();
    await db?.close();
  });
  const post = (payload: unknown) =>
    server.app.inject({ method: 'POST', url: '/api/intel-lists', headers: CSRF, payload: payload as object });

  it('stores a list, refuses a bad line, a blank name or a taken one, lists and deletes it', async () => {
    const bad = await post({ name: 'feed', text: '192.0.2.1\nnot a thing!\n' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatch(/^feed line 2: 'not a thing!' is not/);
    expect((await post({ name: '  ', text: '192.0.2.1' })).statusCode).toBe(400);
    const ok = await post({ name: 'c2', text: '192.0.2.0/24,C2 range\n' });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ name: 'c2', entry_count: 1 });
    expect((await post({ name: 'c2', text: '192.0.2.9' })).statusCode).toBe(409);
    const lists = (await server.app.inject('/api/intel-lists')).json().lists;
    expect(lists).toEqual([expect.objectContaining({ name: 'c2', entry_count: 1 })]);
    const tmp = await post({ name: 'tmp', text: '203.0.113.1' });
    const id = tmp.json().list_id;
    const del = () => server.app.inject({ method: 'DELETE', url: `/api/intel-lists/${id}`, headers: CSRF });
    expect((await del()).statusCode).toBe(204);
    expect((await del()).statusCode).toBe(404);
    expect(
      (await server.app.inject({ method: 'DELETE', url: '/api/intel-lists/x', headers: CSRF })).statusCode,
    ).toBe(400);
    const doc = (await server.app.inject('/api/openapi.json')).json();
    expect(Object.keys(doc.paths['/api/intel-lists'])).toEqual(expect.arrayContaining(['get', 'post']));
    expect(Object.keys(doc.paths['/api/intel-lists/{listId}'].delete.responses)).toContain('204');
  });

  it("an upload is matched against the stored lists and its own 'intel' field", async () => {
    const { path } = await detectFrames(
      [
        at(1, tcpFrame('10.0.1.30', '192.0.2.77', { sport: 50000, dport: 443, flags: TCP.SYN })),
        at(2, udpFrame('10.0.1.30', '198.51.100.7', 40000, 123, Buffer.alloc(48))),
      ],
      'up.pcap',
    );
    const body = multipart(
      {},
      { name: 'up.pcap', data: readFileSync(path) },
      { name: 'list.txt', field: 'intel', data: Buffer.from('198.51.100.7,time server we do not use\n') },
    );
    const res = await server.app.inject({
      method: 'POST',
      url: '/api/sessions',
      headers: { ...body.headers, ...CSRF },
      payload: body.payload,
    });
    expect(res.statusCode, res.body).toBe(202);
    await server.queue.idle();
    const insights = (await server.app.inject(`/api/sessions/${res.json().session_id}/insights`)).json()
      .insights;
    const matches = insights.filter((i: { alert_type: string }) => i.alert_type === 'intel_match');
    expect(
      matches.map((i: { details: { address: string; list: string } }) => [i.details.address, i.details.list]),
    ).toEqual([
      ['192.0.2.77', 'c2'],
      ['198.51.100.7', 'upload'],
    ]);
    const badBody = multipart(
      {},
      { name: 'up.pcap', data: readFileSync(path) },
      { name: 'bad.txt', field: 'intel', data: Buffer.from('300.1.1.1\n') },
    );
    const refused = await server.app.inject({
      method: 'POST',
      url: '/api/sessions',
      headers: { ...badBody.headers, ...CSRF },
      payload: badBody.payload,
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error).toMatch(/^intel: upload line 1: '300\.1\.1\.1'/);
  }, 60_000);
});
