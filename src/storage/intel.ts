import type { IntelEntry } from '../detect/index.js';
import type { Db } from './db/db.js';

export interface IntelListRow {
  list_id: number;
  name: string;
  entry_count: number;
  created_at: string;
}

/** The stored intel lists, without their entries, by name. */
export async function listIntelLists(db: Db): Promise<IntelListRow[]> {
  const rows = await db.query<IntelListRow>(
    `SELECT list_id, name, entry_count, created_at::text AS created_at FROM intel_lists ORDER BY name`,
  );
  return rows.map((r) => ({ ...r, list_id: Number(r.list_id), entry_count: Number(r.entry_count) }));
}

/** Stores a list under a new name (null when the name is taken). */
export async function saveIntelList(
  db: Db,
  name: string,
  entries: IntelEntry[],
): Promise<IntelListRow | null> {
  const rows = await db.query<IntelListRow>(
    `INSERT INTO intel_lists (name, entries, entry_count) VALUES ($1, $2::jsonb, $3)
     ON CONFLICT (name) DO NOTHING
     RETURNING list_id, name, entry_count, created_at::text AS created_at`,
    [name, JSON.stringify(entries), entries.length],
  );
  const r = rows[0];
  return r ? { ...r, list_id: Number(r.list_id), entry_count: Number(r.entry_count) } : null;
}

export async function deleteIntelList(db: Db, listId: number): Promise<boolean> {
  const rows = await db.query('DELETE FROM intel_lists WHERE list_id = $1 RETURNING list_id', [listId]);
  return rows.length === 1;
}

/** Every stored list's entries, for an analysis to match. */
export async function storedIntelEntries(db: Db): Promise<IntelEntry[]> {
  const rows = await db.query<{ entries: IntelEntry[] | string }>(
    'SELECT entries FROM intel_lists ORDER BY name',
  );
  return rows.flatMap((r) =>
    typeof r.entries === 'string' ? (JSON.parse(r.entries) as IntelEntry[]) : r.entries,
  );
}
