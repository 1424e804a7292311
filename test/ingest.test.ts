import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSettings } from '../src/analysis/index.js';
import { type IngestProgress, ingestCapture } from '../src/ingest/index.js';
import { childRowCounts, type Db, listSessions, openStore } from '../src/storage/index.js';
import { dnsQuery, type Frame, TCP, tcpFrame, udpFrame, writeCapture } from './helpers/packets.js';

/**
 * The ingest stores flows while the capture is still read (binary COPY batches from the analysis'
 * workers into one open transaction): these tests check that the rows are those of the one-thread
 * path, that a failure at any point leaves nothing behind, and the progress it reports. They run on
 * PGlite, and on PostgreSQL when TEST_DATABASE_URL names a server.
 */
const PG_URL = process.env.TEST_DATABASE_URL;
const dir = mkdtempSync(join(tmpdir(), 'flowlens-ingest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const backends: [string, () => string][] = [['PGlite', () => join(dir, 'pglite')]];
if (PG_URL) backends.push(['PostgreSQL', () => PG_URL]);

const T = 1_700_000_000;

/** `flows` distinct UDP flows (and a few TCP connections with an HTTP request), one packet each way. */
function manyFlows(flows: number): Frame[] {
  const frames: Frame[] = [];
  for (let i = 0; i < flows; i++) {
    const client = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    const at = i * 2_000_000; // 2 ms apart: a capture of a few minutes, several windows
    const sec = T + Math.floor(at / 1e9);
    const nsec = at % 1e9;
    if (i % 1000 === 0) {
      const get = Buffer.from(`GET /${i} HTTP/1.1\r\nHost: host${i}.example\r\n\r\n`);
      frames.push({
        sec,
        nsec,
        data: tcpFrame(client, '93.184.216.34', { sport: 40000, dport: 80, seq: 1, flags: TCP.SYN }),
      });
      frames.push({
        sec,
        nsec: nsec + 1000,
        data: tcpFrame(client, '93.184.216.34', {
          sport: 40000,
          dport: 80,
          seq: 2,
          flags: TCP.ACK | TCP.PSH,
          payload: get,
        }),
      });
    }
    frames.push({
      sec,
      nsec: nsec + 2000,
      data: udpFrame(client, '10.0.0.1', 30000 + (i % 20000), 53, Buffer.alloc(30, i & 255)),
    });
    frames.push({
      sec,
      nsec: nsec + 3000,
      data: udpFrame('10.0.0.1', client, 53, 30000 + (i % 20000), Buffer.alloc(60, 1)),
    });
  }
  return frames;
}

/** Every stored flow of a session, in flow order, without the row id. */
async function storedFlows(db: Db, sessionId: string): Promise<unknown[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT flow_id::float8 AS flow_id, window_id, src_ip, dst_ip, src_port, dst_port, protocol,
            packet_count::float8 AS packets, total_bytes::float8 AS bytes, duration_seconds,
            start_timestamp, end_timestamp, src_packets::float8 AS sp, dst_packets::float8 AS dp,
            src_bytes::float8 AS sb, dst_bytes::float8 AS db, src_flags, dst_flags, conn_state,
            retransmissions, dns_query, dns_rcode, tls_sni, http_method, http_host
       FROM flows WHERE session_id = $1 ORDER BY flow_id`,
    [sessionId],
  );
  return rows;
}

let big: string;
beforeAll(() => {
  // 60,000 flows: more than two batches of flow rows.
  big = writeCapture(manyFlows(60_000), 'many-flows.pcap');
});

describe.each(backends)('ingest into %s', (_name, target) => {
  let db: Db;
  beforeAll(async () => {
    db = await openStore(target());
  }, 60_000);
  afterAll(async () => {
    await db?.close();
  });

  it('stores the flows while reading, row for row as the one-thread path does, with phased progress', async () => {
    const progress: IngestProgress[] = [];
    const overlapped = await ingestCapture(db, big, { onProgress: (p) => progress.push(p) });
    const oneThread = await ingestCapture(db, big, { worker: false });
    expect(overlapped.summary.flows.count).toBe(60_060);
    const a = await storedFlows(db, overlapped.sessionId);
    const b = await storedFlows(db, oneThread.sessionId);
    expect(a.length).toBe(60_060);
    expect(a).toEqual(b);
    const counts = await childRowCounts(db, overlapped.sessionId);
    expect(counts).toEqual(await childRowCounts(db, oneThread.sessionId));
    expect(counts.traffic_windows).toBe(overlapped.summary.windows.count);
    // The phases in order, rows stored growing to every row of the session.
    const phases = progress.map((p) => p.phase).filter((p, i, all) => p !== all[i - 1]);
    expect(phases).toEqual(['reading', 'detecting', 'storing', 'done']);
    const rows = progress.map((p) => p.rows ?? 0);
    expect(rows).toEqual([...rows].sort((x, y) => x - y));
    const total = Object.values(counts).reduce((x, y) => x + y, 0);
    expect(rows[rows.length - 1]).toBe(total);
    const sessions = await listSessions(db);
    expect(sessions.find((s) => s.session_id === overlapped.sessionId)?.status).toBe('completed');
  }, 120_000);

  it('a gzip capture (windows known only at the end) stores the same rows as the plain one', async () => {
    const gz = join(dir, 'many-flows.pcap.gz');
    writeFileSync(gz, gzipSync(readFileSync(big)));
    const plain = await ingestCapture(db, big);
    const packed = await ingestCapture(db, gz);
    expect(await storedFlows(db, packed.sessionId)).toEqual(await storedFlows(db, plain.sessionId));
  }, 120_000);

  it('a failure while flows are being stored leaves the session failed with no child rows, and the next ingest works', async () => {
    let batches = 0;
    const err = await ingestCapture(db, big, {
      afterFlowBatch: () => {
        batches++;
        if (batches === 1) throw new Error('disk full after the first batch (injected)');
      },
    }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toBe('disk full after the first batch (injected)');
    expect(batches).toBe(1);
    const failed = (await listSessions(db)).find(
      (s) => s.error === 'disk full after the first batch (injected)',
    );
    expect(failed?.status).toBe('failed');
    expect(Object.values(await childRowCounts(db, failed!.session_id)).every((n) => n === 0)).toBe(true);
    const next = await ingestCapture(db, big);
    expect((await childRowCounts(db, next.sessionId)).flows).toBe(60_060);
  }, 120_000);

  it('a capture whose analysis fails mid-way (its times outgrow the windows) leaves no child rows', async () => {
    // Flows for a minute, then one packet a week later: with 1-second windows that is too many.
    const frames = manyFlows(30_000);
    frames.push({
      sec: T + 7 * 86400,
      nsec: 0,
      data: udpFrame('10.9.9.9', '10.0.0.1', 1, 2, Buffer.alloc(4)),
    });
    const path = writeCapture(frames, 'outgrows-windows.pcap');
    await expect(ingestCapture(db, path, { settings: resolveSettings({ window: '1' }) })).rejects.toThrow(
      /more than 100,000/,
    );
    const failed = (await listSessions(db)).find((s) => s.file_name === 'outgrows-windows.pcap');
    expect(failed?.status).toBe('failed');
    expect(Object.values(await childRowCounts(db, failed!.session_id)).every((n) => n === 0)).toBe(true);
    const next = await ingestCapture(db, path);
    expect(next.summary.windows.length_s).toBe(900);
  }, 120_000);

  it('a DNS name with a NUL byte is stored (as U+FFFD: PostgreSQL text has no NUL)', async () => {
    const q = dnsQuery(7, 'a\u0000b.example');
    const path = writeCapture(
      [
        { sec: T, nsec: 0, data: udpFrame('10.0.0.5', '10.0.0.1', 5353, 53, q) },
        {
          sec: T,
          nsec: 1000,
          data: udpFrame('10.0.0.1', '10.0.0.5', 53, 5353, dnsQuery(7, 'a\u0000b.example', true)),
        },
      ],
      'nul-in-dns.pcap',
    );
    for (const worker of [true, false]) {
      const stored = await ingestCapture(db, path, { worker });
      const rows = await db.query<{ q: string }>('SELECT dns_query AS q FROM flows WHERE session_id = $1', [
        stored.sessionId,
      ]);
      expect(rows).toEqual([{ q: 'a\uFFFDb.example' }]);
    }
  }, 60_000);

  it('a capture cut short and followed by garbage is stored with what was read, and says so', async () => {
    const whole = readFileSync(big);
    const cut = Buffer.concat([whole.subarray(0, Math.floor(whole.length / 2)), Buffer.alloc(5000, 0xee)]);
    const path = join(dir, 'cut-then-garbage.pcap');
    writeFileSync(path, cut);
    const stored = await ingestCapture(db, path);
    expect(stored.summary.file.truncated).toBe(true);
    expect(stored.warnings.some((w) => /truncated|damaged/.test(w))).toBe(true);
    expect((await childRowCounts(db, stored.sessionId)).flows).toBe(stored.summary.flows.count);
    expect(stored.summary.flows.count).toBeGreaterThan(20_000);
  }, 120_000);
});

describe.skipIf(!PG_URL)('two processes opening one PostgreSQL database at once', () => {
  it('migrate it once: the advisory lock makes the second wait', async () => {
    // A schema of its own, empty, so both processes find no tables and race to create them.
    const schema = `migrate_race_${process.pid}`;
    const admin = await openStore(PG_URL!);
    try {
      await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
      const url = new URL(PG_URL!);
      url.searchParams.set('options', `-c search_path=${schema}`);
      const storage = fileURLToPath(new URL('../dist/src/storage/index.js', import.meta.url));
      // Each process connects, then all start migrating at the same moment.
      const at = Date.now() + 2500;
      const script = `import(${JSON.stringify(storage)}).then(async (s) => { const db = await s.openDb(${JSON.stringify(url.href)}); await new Promise((r) => setTimeout(r, ${at} - Date.now())); await s.migrate(db); await db.close(); console.log('ok'); }).catch((e) => { console.error(e.message); process.exit(1); });`;
      const run = promisify(execFile);
      const results = await Promise.all(
        [0, 1, 2, 3].map(() => run(process.execPath, ['-e', script], { timeout: 60_000 })),
      );
      for (const r of results) expect(r.stdout.trim()).toBe('ok');
      const versions = await admin.query<{ version: number; n: number }>(
        `SELECT version, count(*)::int AS n FROM ${schema}.schema_migrations GROUP BY version ORDER BY version`,
      );
      expect(versions.length).toBeGreaterThan(0);
      expect(versions.every((v) => v.n === 1)).toBe(true);
      const tables = await admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'flows'`,
        [schema],
      );
      expect(tables[0].n).toBe(1);
    } finally {
      await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.close();
    }
  }, 120_000);
});
