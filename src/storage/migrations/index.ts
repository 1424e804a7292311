import type { Db } from '../db/db.js';
import { migration as m1 } from './001-initial-schema.js';
import { migration as m2 } from './002-summary-as-json.js';
import { migration as m3 } from './003-flows-partitioned.js';
import { migration as m4 } from './004-flows-attached.js';
import { migration as m5 } from './005-flow-id-blocks.js';
import { migration as m6 } from './006-owner-token.js';
import { migration as m7 } from './007-zeek-conn-fields.js';
import { migration as m8 } from './008-login-sessions.js';
import { migration as m9 } from './009-capture-reference.js';
import { migration as m10 } from './010-protocol-logs.js';
import { migration as m11 } from './011-host-geo.js';
import { migration as m12 } from './012-flow-address-ranges.js';
import { migration as m13 } from './013-worker-lease.js';
import type { Migration } from './migration.js';

/**
 * Versioned schema changes, one file each (`NNN-what.ts`), applied in order and recorded in
 * `schema_migrations`. Never edit a released migration: add the next file and its line here.
 */
export const MIGRATIONS: Migration[] = [m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13];

/** Any fixed number: the key of the advisory lock that serialises migrations on one server. */
const MIGRATION_LOCK = 7_461_203;

/**
 * Brings the schema up to date, all in one transaction. On PostgreSQL an advisory lock makes a
 * second process opening the same database wait instead of racing to create the same tables
 * (PGlite has one process by construction: its folder lock).
 */
export async function migrate(db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    if (tx.kind === 'postgres') await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await applyMigrations(tx);
  });
}

async function applyMigrations(db: Db): Promise<void> {
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const applied = new Set(
    (await db.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) =>
      Number(r.version),
    ),
  );
  for (const m of MIGRATIONS) {
    if (applied.has(m.version)) continue;
    await db.exec(m.sql);
    await db.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
  }
}
