import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestCapture } from '../src/ingest/index.js';
import { type Db, deleteSession, openStore } from '../src/storage/index.js';
import { databaseBackends } from './helpers/backends.js';
import { hasSharedPcaps, SHARED_PCAPS } from './helpers/shared.js';

/**
 * A stored analysis with `--threads N` runs N - 1 flow shards, each sending its flows and its log
 * rows to the database on a channel (and in spool files) of its own. What a user reads back must
 * not depend on N: every stored row of every table (but when it was written), and the stored summary.
 */
const OFFICE = `${SHARED_PCAPS}/real/eth-realistic-windows-host-1.6MB_tls-subjectaltname.pcap`;
const TABLES = [
  'flows',
  'traffic_windows',
  'top_ips',
  'port_stats',
  'anomaly_results',
  'insights',
  'dns_log',
  'http_log',
  'tls_log',
  'host_geo',
];

describe.skipIf(!hasSharedPcaps).each(databaseBackends('stored threads'))(
  'the same stored rows with 1, 2 and 3 threads on %s',
  (_name, target) => {
    let db: Db;
    const sessions: string[] = [];
    beforeAll(async () => {
      db = await openStore(target(), { pgliteThread: true });
      for (const threads of [1, 2, 3])
        sessions.push((await ingestCapture(db, OFFICE, { threads })).sessionId);
    }, 180_000);
    afterAll(async () => {
      for (const id of sessions) await deleteSession(db, id).catch(() => undefined);
      await db?.close();
    });

    /** A table's rows of a session as sorted JSON texts, without what names the session or the row. */
    async function rows(table: string, session: string): Promise<string[]> {
      const got = await db.query<{ row: string }>(
        `SELECT (to_jsonb(t) - 'session_id' - 'id' - 'created_at')::text AS row FROM ${table} t WHERE t.session_id = $1`,
        [session],
      );
      return got.map((r) => r.row).sort();
    }

    it.each(TABLES)('%s', async (table) => {
      const one = await rows(table, sessions[0]);
      if (table === 'flows' || table === 'dns_log' || table === 'traffic_windows')
        expect(one.length).toBeGreaterThan(10);
      for (const other of sessions.slice(1)) expect(await rows(table, other)).toEqual(one);
    });

    it('the stored summary', async () => {
      const summaries = await db.query<{ s: string }>(
        `SELECT (summary_json::jsonb - 'session_id')::text AS s FROM pcap_sessions WHERE session_id = ANY($1::text[])
          ORDER BY array_position($1::text[], session_id)`,
        [sessions],
      );
      expect(summaries).toHaveLength(3);
      expect(summaries[1].s).toBe(summaries[0].s);
      expect(summaries[2].s).toBe(summaries[0].s);
    });
  },
);
