import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestCapture } from '../src/ingest/index.js';
import {
  childRowCounts,
  createSession,
  type Db,
  deleteSession,
  type FlowRow,
  failAbandonedSessions,
  formatFlows,
  getSessionSummary,
  listSessions,
  openDb,
  openStore,
  PRESENCE_LOCK,
  sessionFlows,
} from '../src/storage/index.js';
import { hasSharedPcaps, SHARED_PCAPS } from './helpers/shared.js';

/**
 * The storage tests run on the embedded PGlite database always, and on a PostgreSQL server when
 * TEST_DATABASE_URL names one (CI starts one and requires it).
 */
const PG_URL = process.env.TEST_DATABASE_URL;
if (!PG_URL) {
  if (process.env.CI)
    throw new Error('CI needs TEST_DATABASE_URL: the PostgreSQL storage tests may not be skipped');
  console.warn('skipped: storage tests on PostgreSQL (TEST_DATABASE_URL not set)');
}

const dir = mkdtempSync(join(tmpdir(), 'flowlens-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const backends: [string, () => string][] = [['PGlite', () => join(dir, 'pglite')]];
if (PG_URL) backends.push(['PostgreSQL', () => PG_URL]);

describe.skipIf(!hasSharedPcaps).each(backends)('sessions stored in %s', (_name, target) => {
  let db: Db;
  beforeAll(async () => {
    db = await openStore(target());
  }, 60_000);
  afterAll(async () => {
    await db?.close();
  });

  const capture = `${SHARED_PCAPS}/real/eth-realistic-windows-host-1.6MB_tls-subjectaltname.pcap`;

  it('a stored capture has rows that equal its summary, and export gives one row per flow', async () => {
    const { sessionId, summary } = await ingestCapture(db, capture, { sessionName: 'office' });
    expect(summary.session_id).toBe(sessionId);
    const session = (await listSessions(db)).find((s) => s.session_id === sessionId);
    expect(session).toMatchObject({
      name: 'office',
      status: 'completed',
      packets: 3138,
      bytes: summary.file.bytes,
    });
    expect(await getSessionSummary(db, sessionId)).toEqual(JSON.parse(JSON.stringify(summary)));

    const counts = await childRowCounts(db, sessionId);
    expect(counts).toMatchObject({ traffic_windows: summary.windows.count, flows: summary.flows.count });
    const windows = await db.query<{ packets: number; bytes: number; retrans: number; first: number }>(
      `SELECT sum(packet_count)::float8 AS packets, sum(byte_count)::float8 AS bytes,
              sum(tcp_retransmissions)::float8 AS retrans, min(start_ts) AS first
         FROM traffic_windows WHERE session_id = $1`,
      [sessionId],
    );
    expect(windows[0]).toEqual({
      packets: 3138,
      bytes: summary.file.bytes,
      retrans: summary.tcp.retransmissions,
      first: summary.windows.start_ts,
    });
    const dist = await db.query<{ d: Record<string, number> | string }>(
      'SELECT packet_size_distribution AS d FROM traffic_windows WHERE session_id = $1 AND window_id = 0',
      [sessionId],
    );
    const d0 = typeof dist[0].d === 'string' ? JSON.parse(dist[0].d) : dist[0].d;
    expect(Object.keys(d0).sort()).toEqual(['1024', '128', '1518', '1519+', '256', '512', '64']);

    const flows = await db.query<{ n: number; bytes: number; maxw: number }>(
      `SELECT count(*)::int AS n, sum(total_bytes)::float8 AS bytes, max(window_id) AS maxw FROM flows WHERE session_id = $1`,
      [sessionId],
    );
    expect(flows[0].n).toBe(summary.flows.count);
    expect(flows[0].maxw).toBeLessThan(summary.windows.count);
    // Every flow of every session has an id of its own (ids are given by the load, not a sequence).
    const again = await ingestCapture(db, capture, { sessionName: 'office again' });
    const ids = await db.query<{ n: number; distinct: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT id)::int AS distinct FROM flows WHERE session_id IN ($1, $2)`,
      [sessionId, again.sessionId],
    );
    expect(ids[0]).toEqual({ n: 2 * summary.flows.count, distinct: 2 * summary.flows.count });
    expect(await deleteSession(db, again.sessionId)).toBe(true);
    const top = await db.query<{ ip: string; bytes: number }>(
      `SELECT ip, bytes::float8 AS bytes FROM top_ips WHERE session_id = $1 AND direction = 'both' ORDER BY rank LIMIT 1`,
      [sessionId],
    );
    expect(top[0]).toEqual({ ip: summary.top_talkers[0].ip, bytes: summary.top_talkers[0].bytes });
    const port = await db.query<{ port: number; service: string; flows: number }>(
      `SELECT port, service, flows::int AS flows FROM port_stats WHERE session_id = $1 ORDER BY packets DESC LIMIT 1`,
      [sessionId],
    );
    expect(port[0]).toEqual({
      port: summary.ports[0].port,
      service: summary.ports[0].service,
      flows: summary.ports[0].flows,
    });

    for (const format of ['csv', 'json', 'zeek'] as const) {
      const out = formatFlows(format, sessionId);
      let text = out.header;
      for await (const page of sessionFlows(db, sessionId, 50)) text += out.page(page);
      text += out.footer;
      const dataLines = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
      expect(dataLines.length - (format === 'csv' ? 1 : 0)).toBe(summary.flows.count);
    }

    expect(await deleteSession(db, sessionId)).toBe(true);
    expect(Object.values(await childRowCounts(db, sessionId)).every((n) => n === 0)).toBe(true);
    expect(await deleteSession(db, sessionId)).toBe(false);
  }, 60_000);

  it('a load that fails mid-way leaves the session failed with no child rows, and the next one works', async () => {
    const err = await ingestCapture(db, capture, {
      beforeCommit: () => {
        throw new Error('disk full (injected)');
      },
    }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toBe('disk full (injected)');
    const failed = (await listSessions(db)).find((s) => s.status === 'failed');
    expect(failed?.error).toBe('disk full (injected)');
    expect(Object.values(await childRowCounts(db, failed?.session_id ?? '')).every((n) => n === 0)).toBe(
      true,
    );
    const next = await ingestCapture(db, capture);
    expect((await childRowCounts(db, next.sessionId)).flows).toBe(next.summary.flows.count);
  }, 60_000);

  it('a file that is not a capture leaves a failed session with the reason', async () => {
    const bad = `${SHARED_PCAPS}/malformed/own_not-a-capture.png`;
    await expect(ingestCapture(db, bad)).rejects.toThrow(/not a pcap or pcapng capture/);
    const row = (await listSessions(db)).find((s) => s.file_name === 'own_not-a-capture.png');
    expect(row).toMatchObject({ status: 'failed' });
    expect(row?.error).toMatch(/PNG image/);
  }, 60_000);
});

describe('the embedded database', () => {
  it('refuses a second process-level opener of the same folder with a clear message', async () => {
    const path = join(dir, 'locked');
    const first = await openDb(path);
    try {
      await expect(openDb(path)).rejects.toThrow(
        /already open in this process|in use by another Flowlens process/,
      );
    } finally {
      await first.close();
    }
    const again = await openDb(path); // the lock is released on close
    await again.close();
  }, 60_000);

  it('a session left processing by a process that died is marked failed at the next start', async () => {
    const path = join(dir, 'abandoned');
    const db = await openStore(path);
    await db.query(
      `INSERT INTO pcap_sessions (session_id, name, file_name, status, owner_host, owner_pid)
       VALUES ('00000000-0000-0000-0000-000000000001', 'x', 'x.pcap', 'processing', 'elsewhere', 1)`,
    );
    await db.close();
    const reopened = await openStore(path);
    try {
      const [row] = await listSessions(reopened);
      expect(row).toMatchObject({ status: 'failed' });
      expect(row.error).toMatch(/interrupted/);
    } finally {
      await reopened.close();
    }
  }, 60_000);
});

describe.skipIf(!hasSharedPcaps || !PG_URL)('anomaly scores stored in PGlite and in PostgreSQL', () => {
  it('are identical, window by window, and so are the insights; a baseline model scores another session', async () => {
    const capture = `${SHARED_PCAPS}/real/eth-realistic-windows-host-1.6MB_tls-subjectaltname.pcap`;
    const other = `${SHARED_PCAPS}/real/eth-mixed-services_var-services-std-ports.pcap`;
    const stored: Record<string, unknown>[] = [];
    for (const target of [join(dir, 'pglite-scores'), PG_URL!]) {
      const db = await openStore(target);
      try {
        const { sessionId } = await ingestCapture(db, capture);
        const scores = await db.query(
          `SELECT window_id, anomaly_score, is_anomaly, threshold, contributing_features
             FROM anomaly_results WHERE session_id = $1 ORDER BY window_id`,
          [sessionId],
        );
        const insights = await db.query(
          `SELECT insight_type, alert_type, severity, summary, details, event_ts, window_start, window_end
             FROM insights WHERE session_id = $1 ORDER BY event_ts, alert_type, summary`,
          [sessionId],
        );
        const parse = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
        // A model fitted on this session scores the other capture: the summary says which.
        const scored = await ingestCapture(db, other, { baselineSessionId: sessionId });
        expect(scored.summary.anomaly_model.baseline_session_id).toBe(sessionId);
        expect(scored.summary.anomalies).toHaveLength(scored.summary.windows.count);
        stored.push({
          scores: scores.map((r) => ({ ...r, contributing_features: parse(r.contributing_features) })),
          insights: insights.map((r) => ({ ...r, details: parse(r.details) })),
          baselineScores: scored.summary.anomalies.map((a) => a.score),
        });
      } finally {
        await db.close();
      }
    }
    expect((stored[0].scores as unknown[]).length).toBeGreaterThan(50);
    expect(stored[1]).toEqual(stored[0]);
  }, 120_000);
});

describe.skipIf(!PG_URL)('sessions of another host on PostgreSQL', () => {
  it('a session whose process ended on another host is marked failed, one whose process runs is kept', async () => {
    const db = await openStore(PG_URL!);
    // Another Flowlens process, as if in a container with its own hostname.
    const other = await openDb(PG_URL!);
    try {
      const id = await createSession(other, { name: 'elsewhere', fileName: 'x.pcap', fileSize: 1 });
      await other.query(
        `UPDATE pcap_sessions SET status = 'processing', owner_host = 'another-host', owner_pid = 1,
           owner_token = $2 WHERE session_id = $1`,
        [id, other.owner],
      );
      const status = async () =>
        (
          await db.query<{ status: string; error: string | null }>(
            'SELECT status, error FROM pcap_sessions WHERE session_id = $1',
            [id],
          )
        )[0];
      // This host cannot see that pid, and must not guess: its owner still holds its presence lock.
      await failAbandonedSessions(db, hostname(), () => false);
      expect(await status()).toEqual({ status: 'processing', error: null });
      await other.close();
      await failAbandonedSessions(db, hostname(), () => true);
      expect(await status()).toEqual({
        status: 'failed',
        error: 'interrupted: the process analysing it ended',
      });
      await deleteSession(db, id);
    } finally {
      await other.close().catch(() => undefined);
      await db.close();
    }
  }, 60_000);
});

describe.skipIf(!PG_URL)('the presence lock on PostgreSQL', () => {
  it('a process whose connection to the server was cut takes its presence lock again, so its sessions are not taken for abandoned', async () => {
    const db = await openStore(PG_URL!);
    const other = await openDb(PG_URL!);
    try {
      const holder = async () =>
        (
          await db.query<{ pid: number }>(
            `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objid = $2 AND granted`,
            [PRESENCE_LOCK, other.owner],
          )
        )[0]?.pid ?? null;
      const first = await holder();
      expect(first).not.toBeNull();
      // What a server restart does to that connection.
      await db.query('SELECT pg_terminate_backend($1)', [first]);
      let again: number | null = null;
      for (let i = 0; i < 100 && (again === null || again === first); i++) {
        await new Promise((r) => setTimeout(r, 100));
        again = await holder();
      }
      expect(again).not.toBeNull();
      expect(again).not.toBe(first);
      const id = await createSession(other, { name: 'still here', fileName: 'x.pcap', fileSize: 1 });
      await other.query(
        `UPDATE pcap_sessions SET status = 'processing', owner_host = 'another-host', owner_pid = 1,
           owner_token = $2 WHERE session_id = $1`,
        [id, other.owner],
      );
      await failAbandonedSessions(db, hostname(), () => true);
      const [row] = await db.query<{ status: string }>(
        'SELECT status FROM pcap_sessions WHERE session_id = $1',
        [id],
      );
      expect(row.status).toBe('processing');
      await deleteSession(db, id);
    } finally {
      await other.close();
      await db.close();
    }
  }, 60_000);
});

describe('the CSV flow export', () => {
  const row: FlowRow = {
    flow_id: 7,
    window_id: 0,
    src_ip: '10.0.0.5',
    dst_ip: '10.0.0.1',
    src_port: 53000,
    dst_port: 53,
    protocol: 'UDP',
    packet_count: 1,
    total_bytes: 80,
    duration_seconds: 0,
    start_timestamp: 1_700_000_000,
    end_timestamp: 1_700_000_000,
    src_packets: 1,
    dst_packets: 0,
    src_bytes: 80,
    dst_bytes: 0,
    conn_state: 'S0',
    retransmissions: 0,
    dns_query: '=HYPERLINK("http://evil.example","x")',
    dns_rcode: -1,
    tls_sni: '@SUM(1+1)',
    http_method: null,
    http_host: 'plain.example',
    history: 'D',
    orig_bytes: null,
    resp_bytes: null,
    community_id: '1:d/FP5EW3wiY1vCndhwleRRKHowQ=',
  };

  it('defuses names from the capture that a spreadsheet would run as formulas, and only those', () => {
    const out = formatFlows('csv', '00000000-0000-0000-0000-000000000000');
    const [header, line] = `${out.header}${out.page([row])}`.trim().split('\n');
    const cells = Object.fromEntries(
      header
        .split(',')
        .map((name, i) => [name, line.match(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)![i].replace(/,$/, '')]),
    );
    expect(cells.dns_query).toBe(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
    expect(cells.tls_sni).toBe(`'@SUM(1+1)`);
    expect(cells.http_host).toBe('plain.example');
    // Numbers stay numbers, even a negative one.
    expect(cells.dns_rcode).toBe('-1');
  });
});
