import {
  compile,
  DEFAULT_COUNT_CAP,
  DEFAULT_TOP,
  decodeCursor,
  encodeCursor,
  FIELDS,
  type FieldRegistry,
  fieldRegistry,
  nearestNames,
  parse,
  type Query,
  type SearchCursor,
  type TopMetric,
} from '../../search/index.js';
import type { Db } from '../db/db.js';
import type { FlowRow } from './flows.js';

/** A flow that matched: its session and its fields as `flowlens export --format json` writes them. */
export type SearchHit = { session_id: string } & FlowRow;

/** One row of a group-by: the value, and the flows, bytes and packets of the hits that have it. */
export interface SearchGroup {
  key: string | number;
  flows: number;
  bytes: number;
  packets: number;
}

export interface SearchAnswer {
  query: string;
  /** Hits, counted up to the cap (`total_exact` false when the count stopped there). */
  total: number;
  total_exact: boolean;
  hits: SearchHit[];
  /** Give it back as `cursor` for the page after this one; null on the last page. */
  next_cursor: string | null;
  /** With `| top` or a group-by: the field, the metric and its rows, the largest first. */
  group: { field: string; by: TopMetric; rows: SearchGroup[] } | null;
}

export interface SearchOptions {
  /** Session ids to search; null or absent: every stored session. */
  sessions?: readonly string[] | null;
  /** Group by this field (as `| top FIELD by bytes` would); the expression's own `| top` wins. */
  groupBy?: string | null;
  limit?: number;
  /** The `next_cursor` of the page before. */
  cursor?: string | null;
  /** Count every hit (null), or stop counting at this many. */
  countCap?: number | null;
  /** Relative times count from here (epoch seconds); default the clock's. */
  now?: number;
  /**
   * On PostgreSQL, stop the search's statements after this long (SQLSTATE 57014): a bound on
   * what one request may cost, whatever its expression. PGlite has no timer to stop a statement.
   */
  timeoutMs?: number;
}

/**
 * A search the user got wrong in something other than the expression (a cursor, a group-by
 * field): one line, an API 400, CLI exit 2. Malformed expressions are FilterErrors.
 */
export class SearchRequestError extends Error {
  override name = 'SearchRequestError';
}

/**
 * work_mem of a group-by's statements: room to hash a few million distinct values (PGlite's
 * memory is the process's own, so less there). Over 4M flows on PGlite, | top src took 8.4 s
 * instead of 12.3 s.
 */
const GROUP_WORK_MEM = { postgres: '256MB', pglite: '128MB' } as const;

/** Where the flows' optional columns and the logs live: the tables `needs` may name. */
const OPTIONAL_TABLES = [...new Set(FIELDS.flatMap((f) => (f.needs ? [f.needs.table] : [])))];

/**
 * The fields this database can answer: every field whose table (and column) exists. A field of a
 * log that is not there yet is then an unknown field, with the nearest names, not a SQL error.
 */
export async function searchRegistry(db: Db): Promise<FieldRegistry> {
  const rows = await db.query<{ t: string; c: string }>(
    `SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = ANY($1::text[])`,
    [OPTIONAL_TABLES],
  );
  const have = new Set(rows.map((r) => `${r.t}.${r.c}`));
  const tables = new Set(rows.map((r) => r.t));
  return fieldRegistry(
    FIELDS.filter(
      (f) =>
        f.needs === undefined ||
        (f.needs.column === undefined
          ? tables.has(f.needs.table)
          : have.has(`${f.needs.table}.${f.needs.column}`)),
    ),
  );
}

/** The expression parsed against `registry`, with the group-by option folded in; throws FilterError. */
export function searchQuery(text: string, registry: FieldRegistry, groupBy: string | null = null): Query {
  const r = parse(text, registry);
  if (!r.ok) throw r.error;
  if (groupBy === null || r.query.top !== null) return r.query;
  const name = groupBy.trim().toLowerCase();
  const field = registry.get(name);
  if (field === undefined)
    throw new SearchRequestError(
      `group-by: unknown field \`${groupBy}\`: did you mean ${orList(nearestNames(name, groupable(registry)))}?`,
    );
  if (field.group === undefined)
    throw new SearchRequestError(
      `group-by: \`${name}\` cannot be grouped by; these can: ${groupable(registry).join(', ')}`,
    );
  return { ...r.query, top: { field: name, by: 'bytes', limit: DEFAULT_TOP, column: 0 } };
}

function groupable(registry: FieldRegistry): string[] {
  return [...registry.values()].filter((f) => f.group !== undefined).map((f) => f.name);
}

function orList(names: string[]): string {
  const q = names.map((n) => `\`${n}\``);
  return q.length < 2 ? (q[0] ?? '') : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}

/**
 * One page of a search over the stored flows of every session (or the chosen ones), newest first,
 * its count and its group-by: three statements of constant text with parameters. Throws
 * FilterError for a malformed expression, SearchRequestError for a bad cursor or group-by.
 */
export async function searchFlows(db: Db, text: string, options: SearchOptions = {}): Promise<SearchAnswer> {
  const registry = await searchRegistry(db);
  const query = searchQuery(text, registry, options.groupBy ?? null);
  const limit = options.limit ?? 100;
  let after = null;
  if (options.cursor) {
    after = decodeCursor(options.cursor);
    if (after === null)
      throw new SearchRequestError('cursor: not a cursor this search gave (start again without it)');
  }
  const cap = options.countCap === undefined ? DEFAULT_COUNT_CAP : options.countCap;
  const c = compile(query, {
    registry,
    sessions: options.sessions ?? null,
    now: options.now,
    limit,
    after,
    countCap: cap,
  });
  // One at a time: PGlite runs one statement at a time anyway, and a pool stays free for others.
  const run = async (q: Db) => {
    const hits = await q.query<SearchHit>(c.page.sql, c.page.params);
    const [{ n }] = await q.query<{ n: number }>(c.count.sql, c.count.params);
    const rows = c.group === null ? null : await q.query<SearchGroup>(c.group.sql, c.group.params);
    return { hits, n, rows };
  };
  // Settings for this search alone (SET LOCAL, in a transaction of its own): on PostgreSQL the
  // time bound, and for a group-by the memory that lets it hash every value instead of sorting
  // them all (over 20M flows, | top src took half the time; bench/search.ts).
  const settings: [string, string][] = [];
  // (PGlite has no timer to stop a statement: only the memory applies there.)
  if (options.timeoutMs !== undefined && db.kind === 'postgres')
    settings.push(['statement_timeout', String(options.timeoutMs)]);
  if (c.group !== null) settings.push(['work_mem', GROUP_WORK_MEM[db.kind]]);
  const { hits, n, rows } =
    settings.length > 0
      ? await db.transaction(async (tx) => {
          for (const [name, value] of settings)
            await tx.query('SELECT set_config($1, $2, true)', [name, value]);
          return run(tx);
        })
      : await run(db);
  return {
    query: text,
    total: n,
    total_exact: cap === null || n < cap,
    hits,
    next_cursor:
      hits.length === limit && hits.length > 0
        ? encodeCursor(hits[hits.length - 1] as unknown as Record<string, unknown>)
        : null,
    group: query.top === null || rows === null ? null : { field: query.top.field, by: query.top.by, rows },
  };
}

/**
 * Every hit of a search, a page at a time (keyset: each page starts after the last hit of the one
 * before), so a huge result never sits in memory. Throws as searchFlows does, before the first page.
 */
export async function* searchAllHits(
  db: Db,
  query: Query,
  registry: FieldRegistry,
  options: { sessions?: readonly string[] | null; now?: number; pageSize?: number } = {},
): AsyncGenerator<SearchHit[]> {
  const pageSize = options.pageSize ?? 10_000;
  const now = options.now ?? Date.now() / 1000;
  let after: SearchCursor | null = null;
  for (;;) {
    const c = compile(query, { registry, sessions: options.sessions ?? null, now, limit: pageSize, after });
    const hits = await db.query<SearchHit>(c.page.sql, c.page.params);
    if (hits.length > 0) yield hits;
    if (hits.length < pageSize) return;
    const last = hits[hits.length - 1];
    after = { value: last.start_timestamp, session_id: last.session_id, flow_id: last.flow_id };
  }
}
