import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, openStore } from '../src/storage/index.js';

/**
 * Exports read their pages with `queryRows`, which PGlite answers by COPY TO CSV (six times faster
 * than its row decoder). Every value must come back exactly as `query` returns it: names from
 * captures hold commas, quotes, line breaks and the texts CSV uses for NULL.
 */
const TEXTS = [
  'plain',
  'a,b',
  'say "hi"',
  '"',
  '""',
  ',',
  'line\nbreak',
  'cr\r\nlf',
  '',
  null,
  '\\N',
  'NULL',
  ' lead and trail ',
  'ünïcode ✓ 日本',
  '\u202eevil\u202c',
  'x'.repeat(60_000),
];
const FLOATS = [
  0,
  -0,
  0.1 + 0.2,
  1e-300,
  5e-324,
  1700000000.123456,
  -1.5,
  Number.NaN,
  Infinity,
  -Infinity,
  null,
];
const INT8S = ['0', '-1', '4294967296000', '9007199254740993', null];

const dir = mkdtempSync(join(tmpdir(), 'flowlens-query-rows-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each([
  ['PGlite', false],
  ['PGlite in its own thread', true],
])('an export page read on %s', (_name, pgliteThread) => {
  let db: Db;
  const table = pgliteThread ? 'qr_threaded' : 'qr_plain';

  beforeAll(async () => {
    db = await openStore(join(dir, pgliteThread ? 'threaded' : 'plain'), { pgliteThread });
    await db.exec(`CREATE TABLE ${table} (id integer PRIMARY KEY, label text, addr varchar(45), f float8,
      big bigint, small smallint, flag boolean, amount numeric, at timestamptz)`);
    let id = 0;
    for (const label of TEXTS)
      for (const f of FLOATS.slice(0, 4 + (id % 7)))
        await db.query(
          `INSERT INTO ${table} VALUES ($1, $2, $3, $4::float8, $5::bigint, $6, $7, $8::numeric, now())`,
          [
            id++,
            label,
            id % 3 === 0 ? null : '2001:db8::1',
            f === null ? null : Number.isNaN(f) ? 'NaN' : Object.is(f, -0) ? '-0' : String(f),
            INT8S[id % INT8S.length],
            id % 5 === 0 ? null : -32768 + id,
            id % 4 === 0 ? null : id % 2 === 0,
            id % 6 === 0 ? null : '1.50',
          ],
        );
  }, 60_000);

  afterAll(async () => {
    await db.close();
  });

  const pageSql = (t: string) =>
    `SELECT id, label, addr, f, big, small, flag, amount, big::float8 AS big_f FROM ${t}
      WHERE id > $1 AND (label IS DISTINCT FROM $2) ORDER BY id LIMIT $3`;

  it('gives every value as the row-by-row query gives it (texts CSV must quote, NULL, NaN, ±Infinity, -0, big integers)', async () => {
    const want = await db.query(pageSql(table), [-1, 'none', 100_000]);
    const got = await db.queryRows(pageSql(table), [-1, 'none', 100_000]);
    expect(want.length).toBeGreaterThan(100);
    expect(got).toEqual(want);
    // toEqual treats -0 and 0 alike: compare the floats by Object.is too.
    expect(got.map((r) => Object.is(r.f, -0))).toEqual(want.map((r) => Object.is(r.f, -0)));
    expect(got.some((r) => typeof r.big === 'bigint')).toBe(true);
  });

  it('gives each of many pages read at once its own rows (a server exports for several users)', async () => {
    const starts = Array.from({ length: 12 }, (_, i) => i * 7);
    const got = await Promise.all(starts.map((from) => db.queryRows(pageSql(table), [from, 'none', 5])));
    const want = await Promise.all(starts.map((from) => db.query(pageSql(table), [from, 'none', 5])));
    expect(got).toEqual(want);
    expect(got.map((rows) => rows[0]?.id)).toEqual(starts.map((from) => from + 1));
  });

  it('takes its parameters as values, never as SQL text', async () => {
    const hostile = "x'); DROP TABLE " + table + '; --';
    const rows = await db.queryRows(pageSql(table), [5, hostile, 3]);
    expect(rows.map((r) => r.id)).toEqual([6, 7, 8]);
    expect((await db.query(`SELECT count(*)::int AS n FROM ${table}`))[0]).toBeDefined();
    const none = await db.queryRows(pageSql(table), [1e9, 'x', 10]);
    expect(none).toEqual([]);
  });

  it('gives the same answer for a type it does not read (timestamps), and inside a transaction', async () => {
    const sql = `SELECT id, at FROM ${table} WHERE id < $1 ORDER BY id`;
    expect(await db.queryRows(sql, [5])).toEqual(await db.query(sql, [5]));
    await db.transaction(async (tx) => {
      expect(await tx.queryRows(pageSql(table), [0, 'y', 50])).toEqual(
        await tx.query(pageSql(table), [0, 'y', 50]),
      );
    });
  });
});
