import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteSession, getFlows, MIGRATIONS, migrate, openDb, sessionFlows } from '../src/storage/index.js';

const dir = mkdtempSync(join(tmpdir(), 'flowlens-migrate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const PG_URL = process.env.TEST_DATABASE_URL;

const SESSION = '11111111-2222-4333-8444-555555555555';
const baseQuery = {
  sort: 'total_bytes' as const,
  order: 'desc' as const,
  ip: null,
  port: null,
  protocol: null,
  startFrom: null,
  startBefore: null,
  limit: 10,
  offset: 0,
};

describe('schema migrations', () => {
  it('a database made by an earlier version keeps its sessions and flows after upgrading', async () => {
    const db = await openDb(join(dir, 'old'));
    try {
      // The schema as version 2 left it, with one stored session.
      await db.exec(
        'CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      for (const m of MIGRATIONS.slice(0, 2)) {
        await db.exec(m.sql);
        await db.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      }
      await db.query(
        `INSERT INTO pcap_sessions (session_id, name, file_name, status, summary_json, window_length, first_ts_text)
         VALUES ($1, 'old', 'old.pcap', 'completed', '{"flows":{"count":3}}', 1, '100.000000000')`,
        [SESSION],
      );
      for (const [flow, bytes, proto] of [
        [0, 500, 'TCP'],
        [1, 900, 'UDP'],
        [2, 100, 'IP-47'],
      ] as const) {
        await db.query(
          `INSERT INTO flows (session_id, flow_id, window_id, src_ip, dst_ip, src_port, dst_port, protocol, packet_count,
             total_bytes, duration_seconds, start_timestamp, end_timestamp, src_packets, dst_packets, src_bytes, dst_bytes,
             src_flags, dst_flags, conn_state, retransmissions)
           VALUES ($1, $2, 0, '10.0.0.1', '10.0.0.2', 1000, 80, $3, 2, $4, 0.5, 100, 100.5, 1, 1, 250, 250, 2, 18, 'SF', 0)`,
          [SESSION, flow, proto, bytes],
        );
      }

      await migrate(db);

      const place = await db.query<{ t: string }>('SELECT DISTINCT tableoid::regclass::text AS t FROM flows');
      expect(place).toEqual([{ t: `flows_${SESSION.replaceAll('-', '')}` }]);
      const page = await getFlows(db, SESSION, baseQuery);
      expect(page.total).toBe(3);
      expect(page.flows.map((f) => f.total_bytes)).toEqual([900, 500, 100]);
      const other = await getFlows(db, SESSION, { ...baseQuery, protocol: 'other' });
      expect(other.flows.map((f) => f.protocol)).toEqual(['IP-47']);
      // Exporting indexes the session's flows first.
      const exported: number[] = [];
      for await (const rows of sessionFlows(db, SESSION, 2)) exported.push(...rows.map((f) => f.flow_id));
      expect(exported).toEqual([0, 1, 2]);
      const indexes = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = $1`,
        [`flows_${SESSION.replaceAll('-', '')}`],
      );
      expect(indexes[0].n).toBeGreaterThanOrEqual(10);
      expect(await deleteSession(db, SESSION)).toBe(true);
      const gone = await db.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [
        `flows_${SESSION.replaceAll('-', '')}`,
      ]);
      expect(gone[0].t).toBeNull();
    } finally {
      await db.close();
    }
  }, 60_000);

  it.skipIf(!PG_URL)(
    'two processes opening one fresh PostgreSQL database at once both get the schema',
    async () => {
      const schema = `flowlens_migrate_${process.pid}`;
      const admin = await openDb(PG_URL!);
      await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
      const url = `${PG_URL}${PG_URL!.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
      try {
        const [a, b] = await Promise.all([openDb(url), openDb(url)]);
        await Promise.all([migrate(a), migrate(b)]);
        const versions = await a.query<{ v: number }>(
          'SELECT version AS v FROM schema_migrations ORDER BY version',
        );
        expect(versions.map((r) => Number(r.v))).toEqual(MIGRATIONS.map((m) => m.version));
        await Promise.all([a.close(), b.close()]);
      } finally {
        await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await admin.close();
      }
    },
    60_000,
  );
});
