import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookupGeo } from '../src/enrich/index.js';
import { ingestCapture } from '../src/ingest/index.js';
import { type App, buildApp } from '../src/server/index.js';
import { type Db, deleteSession, openStore } from '../src/storage/index.js';
import { type Frame, TCP, tcpFrame, udpFrame, writeCapture } from './helpers/packets.js';

/**
 * Country and AS come from the shipped packages. The expected values were read from the same
 * files by a second path: the country with libmaxminddb's `mmdblookup` (Debian's mmdb-bin) on
 * geo-whois-asn-country.mmdb, the AS with awk over asn-ipv4-num.csv / grep over asn-ipv6.csv; they
 * agree with the operators' own registrations (Google AS15169, Cloudflare AS13335, RIPE NCC AS3333).
 * When the data package is updated and a range moves, these rows say which.
 */
const KNOWN: [string, string | null, number | null, string | null][] = [
  ['8.8.8.8', 'US', 15169, 'Google LLC'],
  ['1.1.1.1', 'AU', 13335, 'Cloudflare, Inc.'],
  ['193.0.6.139', 'NL', 3333, 'Reseaux IP Europeens Network Coordination Centre (RIPE NCC)'],
  ['2001:4860:4860::8888', 'US', 15169, 'Google LLC'],
  ['2a00:1450:4001:81c::200e', 'IE', 15169, 'Google LLC'],
  // A range the country data has and the AS data lacks: the lookup says so rather than guess.
  ['91.198.174.192', 'NL', null, null],
  // Private, multicast, broadcast, link-local IPv6: nothing in either.
  ['10.1.2.3', null, null, null],
  ['224.0.0.251', null, null, null],
  ['255.255.255.255', null, null, null],
  ['fe80::1', null, null, null],
];

describe('the country and network of an address', () => {
  it.each(KNOWN)('%s is in country %s, AS %s (%s)', (address, country, asn, asName) => {
    expect(lookupGeo(address)).toEqual({ country, asn, asName });
  });

  it('text that is not an address has no answer', () => {
    expect(lookupGeo('example.com')).toBeNull();
    expect(lookupGeo('1.2.3')).toBeNull();
  });

  const mmdb = join(
    dirname(
      createRequire(import.meta.url).resolve('@ip-location-db/geo-whois-asn-country-mmdb/package.json'),
    ),
    'geo-whois-asn-country.mmdb',
  );
  let hasMmdblookup = true;
  try {
    execFileSync('mmdblookup', ['--version'], { stdio: 'ignore' });
  } catch {
    hasMmdblookup = false;
    console.warn('skipped: the countries against mmdblookup (install mmdb-bin)');
  }
  // A spread of addresses over the whole space, v4 and v6, read by libmaxminddb as well.
  const SAMPLE = [
    ...Array.from({ length: 40 }, (_, i) => `${(i * 37 + 1) % 224}.${(i * 91) % 256}.${(i * 13) % 256}.${i}`),
    '2001:200::1',
    '2400:cb00::1',
    '2600:1f18::1',
    '2a01:4f8::1',
    '2c0f:f248::1',
  ];
  it.skipIf(!hasMmdblookup)('every country equals what libmaxminddb reads from the same file', () => {
    for (const ip of SAMPLE) {
      let theirs: string | null = null;
      try {
        const out = execFileSync('mmdblookup', ['--file', mmdb, '--ip', ip, 'country_code'], {
          encoding: 'utf8',
        });
        theirs = /"([A-Z]{2})"/.exec(out)?.[1] ?? null;
      } catch {
        theirs = null; // mmdblookup exits non-zero when the address has no record
      }
      expect(lookupGeo(ip)?.country ?? null, ip).toBe(theirs);
    }
  });
});

describe('the AS data read into ranges', () => {
  const dir = dirname(createRequire(import.meta.url).resolve('@ip-location-db/asn/package.json'));
  const rows = (file: string, every: number) =>
    readFileSync(join(dir, file), 'utf8')
      .trim()
      .split('\n')
      .filter((_, i) => i % every === 0)
      .map((line) => {
        const m = /^([^,]+),([^,]+),(\d+),(.*)$/.exec(line)!;
        const name = m[4].startsWith('"') ? m[4].slice(1, -1).replaceAll('""', '"') : m[4];
        return { start: m[1], end: m[2], asn: Number(m[3]), name };
      });
  // The lookup reads IPv4 from the numeric file; the dotted file is a second reading of the same
  // ranges. IPv6 is read byte by byte; here by a regular expression split.
  it.each([
    ['asn-ipv4.csv', 211],
    ['asn-ipv6.csv', 97],
  ] as const)(
    'the first and last address of every %s row sampled answer with its AS and name',
    (file, every) => {
      for (const r of rows(file, every))
        for (const a of [r.start, r.end])
          expect(lookupGeo(a), a).toMatchObject({ asn: r.asn, asName: r.name });
    },
  );
});

describe('a stored session', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-enrich-'));
  const backends: [string, () => string][] = [['PGlite', () => join(dir, 'pglite')]];
  if (process.env.TEST_DATABASE_URL)
    backends.push(['PostgreSQL', () => process.env.TEST_DATABASE_URL as string]);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const T = 1_700_000_000;
  // A local client talking to three public servers (Google and Cloudflare DNS, RIPE's web site),
  // a local DNS server and an mDNS group.
  const frames: Frame[] = [
    { sec: T, nsec: 0, data: udpFrame('192.168.1.10', '8.8.8.8', 40000, 53, Buffer.alloc(40, 1)) },
    { sec: T, nsec: 1000, data: udpFrame('8.8.8.8', '192.168.1.10', 53, 40000, Buffer.alloc(60, 1)) },
    { sec: T + 1, nsec: 0, data: udpFrame('192.168.1.10', '1.1.1.1', 40001, 53, Buffer.alloc(40, 1)) },
    {
      sec: T + 2,
      nsec: 0,
      data: tcpFrame('192.168.1.10', '193.0.6.139', { sport: 50000, dport: 443, seq: 1, flags: TCP.SYN }),
    },
    {
      sec: T + 2,
      nsec: 5000,
      data: tcpFrame('193.0.6.139', '192.168.1.10', {
        sport: 443,
        dport: 50000,
        seq: 9,
        ack: 2,
        flags: TCP.SYN | TCP.ACK,
      }),
    },
    { sec: T + 3, nsec: 0, data: udpFrame('192.168.1.10', '192.168.1.1', 40002, 53, Buffer.alloc(40, 1)) },
    { sec: T + 4, nsec: 0, data: udpFrame('192.168.1.10', '198.18.0.1', 5353, 5353, Buffer.alloc(40, 1)) },
    // Between two remote hosts of one country and network: counted once for it, not twice.
    { sec: T + 5, nsec: 0, data: udpFrame('8.8.4.4', '8.8.8.8', 40003, 53, Buffer.alloc(40, 1)) },
    // A local host's mDNS: multicast stays on its sender's side, so it is not a remote address.
    { sec: T + 6, nsec: 0, data: udpFrame('192.168.1.10', '224.0.0.251', 5353, 5353, Buffer.alloc(40, 1)) },
  ];

  describe.each(backends)('on %s', (_name, target) => {
    let db: Db;
    let server: App;
    let sessionId: string;
    beforeAll(async () => {
      db = await openStore(target());
      sessionId = (await ingestCapture(db, writeCapture(frames))).sessionId;
      server = await buildApp({
        db,
        uploadsDir: join(dir, `uploads-${_name}`),
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

    it('keeps one row per non-local address, with its country and AS, and none for local ones', async () => {
      const rows = await db.query<{
        address: string;
        country: string | null;
        asn: number | null;
        as_name: string | null;
      }>('SELECT address, country, asn, as_name FROM host_geo WHERE session_id = $1 ORDER BY address', [
        sessionId,
      ]);
      expect(rows.map((r) => ({ ...r, asn: r.asn === null ? null : Number(r.asn) }))).toEqual([
        { address: '1.1.1.1', country: 'AU', asn: 13335, as_name: 'Cloudflare, Inc.' },
        {
          address: '193.0.6.139',
          country: 'NL',
          asn: 3333,
          as_name: 'Reseaux IP Europeens Network Coordination Centre (RIPE NCC)',
        },
        { address: '198.18.0.1', country: null, asn: null, as_name: null },
        { address: '8.8.4.4', country: 'US', asn: 15169, as_name: 'Google LLC' },
        { address: '8.8.8.8', country: 'US', asn: 15169, as_name: 'Google LLC' },
      ]);
    });

    it('the talkers and the flows name the country and network of each remote end', async () => {
      const talkers = (await server.app.inject(`/api/sessions/${sessionId}/talkers`)).json().talkers;
      const google = talkers.find((t: { ip: string }) => t.ip === '8.8.8.8');
      expect(google).toMatchObject({ country: 'US', asn: 15169, as_name: 'Google LLC' });
      const local = talkers.find((t: { ip: string }) => t.ip === '192.168.1.10');
      expect(local).toMatchObject({ country: null, asn: null, as_name: null });

      const flows = (await server.app.inject(`/api/sessions/${sessionId}/flows?ip=193.0.6.139`)).json().flows;
      expect(flows).toHaveLength(1);
      expect(flows[0]).toMatchObject({
        src_ip: '192.168.1.10',
        src_country: null,
        src_asn: null,
        dst_ip: '193.0.6.139',
        dst_country: 'NL',
        dst_asn: 3333,
      });
    });

    it('the remote card counts addresses, flows and bytes by country and by network', async () => {
      const res = await server.app.inject(`/api/sessions/${sessionId}/remote`);
      expect(res.statusCode).toBe(200);
      const r = res.json();
      expect(r).toMatchObject({ addresses: 5, with_country: 4, with_asn: 4 });
      // Bytes on the wire: Ethernet 14 + IPv4 20 + UDP 8 + payload, or + TCP 20.
      const us = r.countries.find((c: { key: string }) => c.key === 'US');
      expect(us).toEqual({ key: 'US', name: null, addresses: 2, flows: 2, bytes: 82 + 102 + 82 });
      const google = r.networks.find((c: { key: string }) => c.key === '15169');
      expect(google).toEqual({
        key: '15169',
        name: 'Google LLC',
        addresses: 2,
        flows: 2,
        bytes: 82 + 102 + 82,
      });
      const ripe = r.networks.find((c: { key: string }) => c.key === '3333');
      expect(ripe).toMatchObject({ addresses: 1, flows: 1, bytes: 54 + 54 });
      const none = r.countries.find((c: { key: string | null }) => c.key === null);
      expect(none).toMatchObject({ addresses: 1, flows: 1 });
    });

    it('a bad limit on the remote card is a 400, an unknown session a 404', async () => {
      expect((await server.app.inject(`/api/sessions/${sessionId}/remote?limit=0`)).statusCode).toBe(400);
      expect(
        (await server.app.inject('/api/sessions/00000000-0000-4000-8000-000000000000/remote')).statusCode,
      ).toBe(404);
    });

    it('deleting the session deletes its rows', async () => {
      const other = (await ingestCapture(db, writeCapture(frames))).sessionId;
      expect(await deleteSession(db, other)).toBe(true);
      const left = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM host_geo WHERE session_id = $1',
        [other],
      );
      expect(Number(left[0].n)).toBe(0);
    });
  });
});
