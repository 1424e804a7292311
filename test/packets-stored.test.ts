import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestCapture } from '../src/ingest/index.js';
import { planSessionPackets, writePlannedPackets } from '../src/packets/index.js';
import { type Db, getFlows, openStore } from '../src/storage/index.js';
import { Collect, hasTshark, readBack, spread, tsharkFilter, tsharkFrames } from './helpers/extract.js';
import { hasSharedPcaps, realCaptures, SHARED_PCAPS } from './helpers/shared.js';

/**
 * Every public capture stored as a session, then flows taken back to their packets the way the API
 * and the CLI do (the stored flow row, the packet index built in the ingest's one pass): each
 * holds exactly the flow's packets and bytes, and tshark reads from it the same frames its own
 * filter picks from the original.
 */
const FLOWS_PER_FILE = 3;
const dir = mkdtempSync(join(tmpdir(), 'flowlens-packets-stored-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const tshark = hasSharedPcaps && hasTshark();

describe.skipIf(!hasSharedPcaps)('packets of stored sessions of the real captures', () => {
  let db: Db;
  beforeAll(async () => {
    db = await openStore(join(dir, 'db'));
  }, 60_000);
  afterAll(async () => {
    await db?.close();
  });

  for (const file of realCaptures()) {
    it(`${file}: stored flows come back as exactly their packets, as tshark picks them`, async () => {
      const path = `${SHARED_PCAPS}/real/${file}`;
      const { sessionId } = await ingestCapture(db, path, { worker: false });
      const page = await getFlows(db, sessionId, {
        sort: 'start_timestamp',
        order: 'asc',
        ip: null,
        port: null,
        protocol: null,
        startFrom: null,
        startBefore: null,
        limit: 1000,
        offset: 0,
      });
      const wanted: string[] = [];
      const got: string[] = [];
      for (const f of spread(page.flows, FLOWS_PER_FILE)) {
        const plan = await planSessionPackets(db, sessionId, { flow: f.flow_id });
        const out = new Collect();
        const result = await writePlannedPackets(plan, out);
        const { records } = await readBack(out.bytes);
        const what = `flow ${f.flow_id} ${f.protocol} ${f.src_ip}:${f.src_port} → ${f.dst_ip}:${f.dst_port}`;
        expect(result.warnings, what).toEqual([]);
        expect({ packets: records.length, bytes: records.reduce((n, r) => n + r.origLen, 0) }, what).toEqual({
          packets: f.packet_count,
          bytes: f.total_bytes,
        });
        if (!tshark) continue;
        const extracted = join(dir, `${file}-${f.flow_id}`);
        writeFileSync(extracted, out.bytes);
        got.push(...tsharkFrames(extracted));
        const ref = {
          protocol: f.protocol,
          src_ip: f.src_ip,
          dst_ip: f.dst_ip,
          src_port: f.src_port,
          dst_port: f.dst_port,
          first_ts: f.start_timestamp,
          last_ts: f.end_timestamp,
        };
        wanted.push(...tsharkFrames(path, tsharkFilter(ref, records)));
      }
      if (tshark) expect(got.sort()).toEqual(wanted.sort());
      // One capture spans 90,000 one-second windows: its ingest alone takes a minute on a busy machine.
    }, 300_000);
  }
});
