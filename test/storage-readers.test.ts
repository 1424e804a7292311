import { describe, expect, it } from 'vitest';
import { ingestCapture } from '../src/ingest/index.js';
import { childRowCounts, getSession, openStore } from '../src/storage/index.js';
import { hasSharedPcaps, SHARED_PCAPS } from './helpers/shared.js';

const PG_URL = process.env.TEST_DATABASE_URL;

describe.skipIf(!hasSharedPcaps || !PG_URL)('readers beside an ingest on PostgreSQL', () => {
  it('a page read while a load is open sees none of its rows, and answers at once', async () => {
    const db = await openStore(PG_URL!);
    try {
      let seen: Record<string, number> | null = null;
      let status: string | undefined;
      let readMs = 0;
      const { sessionId } = await ingestCapture(
        db,
        `${SHARED_PCAPS}/real/eth-arp-scan-tcp-syn-rst_nmap-vsn.pcap`,
        {
          beforeCommit: async () => {
            // Every row is written but not committed: another connection must not see them.
            const t = performance.now();
            const id = (
              await db.query<{ session_id: string }>(
                `SELECT session_id FROM pcap_sessions WHERE status = 'processing' ORDER BY started_at DESC LIMIT 1`,
              )
            )[0].session_id;
            seen = await childRowCounts(db, id);
            status = (await getSession(db, id))?.status;
            readMs = performance.now() - t;
          },
        },
      );
      expect(status).toBe('processing');
      expect(Object.values(seen!).every((n) => n === 0)).toBe(true);
      expect(readMs).toBeLessThan(2000);
      const after = await childRowCounts(db, sessionId);
      expect(after.flows).toBeGreaterThan(0);
    } finally {
      await db.close();
    }
  }, 60_000);
});
