import { DEFAULT_REGISTRY, type FieldRegistry, type FieldSpec } from './fields.js';
import type { Comparison, Expr, Query } from './parse.js';
import type { Value } from './values.js';

/** A statement and its parameters ($1, $2 …): no value of the expression is ever in the text. */
export interface SqlQuery {
  sql: string;
  params: unknown[];
}

/** Orders of the hits: the column and its SQL type (for the cursor's parameter). */
export const SEARCH_SORTS = {
  start: { column: 'f.start_timestamp', type: 'float8', hit: 'start_timestamp' },
  bytes: { column: 'f.total_bytes', type: 'int8', hit: 'total_bytes' },
  packets: { column: 'f.packet_count', type: 'int8', hit: 'packet_count' },
  duration: { column: 'f.duration_seconds', type: 'float8', hit: 'duration_seconds' },
} as const;
export type SearchSort = keyof typeof SEARCH_SORTS;

/** Where the next page starts: the last hit's sort value, session and flow. */
export interface SearchCursor {
  value: number;
  session_id: string;
  flow_id: number;
}

// Base64url by hand over UTF-8: btoa/atob and TextEncoder exist in browsers and Node alike (the
// dashboard may make and read cursors too).
function toBase64Url(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): string {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

/** The cursor of the page after `hit` (a row of the page statement), as text for a URL. */
export function encodeCursor(
  hit: Record<string, unknown>,
  sort: SearchSort = 'start',
  order: 'asc' | 'desc' = 'desc',
): string {
  return toBase64Url(JSON.stringify([sort, order, hit[SEARCH_SORTS[sort].hit], hit.session_id, hit.flow_id]));
}

/** The cursor `text` stands for, or null when it is not one made for this sort and order. */
export function decodeCursor(
  text: string,
  sort: SearchSort = 'start',
  order: 'asc' | 'desc' = 'desc',
): SearchCursor | null {
  let v: unknown;
  try {
    v = JSON.parse(fromBase64Url(text));
  } catch {
    return null;
  }
  if (!Array.isArray(v) || v.length !== 5 || v[0] !== sort || v[1] !== order) return null;
  const [, , value, session_id, flow_id] = v;
  if (typeof value !== 'number' || !Number.isFinite(value)) return null;
  if (typeof session_id !== 'string' || session_id.length > 100) return null;
  if (!Number.isSafeInteger(flow_id) || flow_id < 0) return null;
  return { value, session_id, flow_id };
}

export interface SearchContext {
  /** The sessions to search; null or absent: every stored session. */
  sessions?: readonly string[] | null;
  /** The moment relative times count from, in epoch seconds (default: the clock's). */
  now?: number;
  sort?: SearchSort;
  order?: 'asc' | 'desc';
  /** Hits per page (default 100). */
  limit?: number;
  /** The page after this hit (see encodeCursor/decodeCursor). */
  after?: SearchCursor | null;
  /** The count stops at this many (default 100,000; null counts every hit). */
  countCap?: number | null;
  registry?: FieldRegistry;
}

export interface CompiledSearch {
  /** The filter's condition alone over `flows f` (`TRUE` without one), with its parameters. */
  where: SqlQuery;
  /** One page of hits: `session_id` and the flow's columns as the export writes them. */
  page: SqlQuery;
  /** `n`: the number of hits, up to the cap. */
  count: SqlQuery;
  /** With `| top`: rows of `key`, `flows`, `bytes`, `packets`, the largest first; else null. */
  group: SqlQuery | null;
}

export const DEFAULT_PAGE = 100;
export const DEFAULT_COUNT_CAP = 100_000;

// The export's columns (FlowRow), qualified: joins may bring columns of the same names.
const HIT_COLUMNS = `f.session_id, f.flow_id::float8 AS flow_id, f.window_id, f.src_ip, f.dst_ip, f.src_port,
       f.dst_port, f.protocol, f.packet_count::float8 AS packet_count, f.total_bytes::float8 AS total_bytes,
       f.duration_seconds, f.start_timestamp, f.end_timestamp, f.src_packets::float8 AS src_packets,
       f.dst_packets::float8 AS dst_packets, f.src_bytes::float8 AS src_bytes, f.dst_bytes::float8 AS dst_bytes,
       f.conn_state, f.retransmissions, f.dns_query, f.dns_rcode, f.tls_sni, f.http_method, f.http_host,
       f.history, f.orig_bytes::float8 AS orig_bytes, f.resp_bytes::float8 AS resp_bytes, f.community_id`;

const PARAM_TYPES = { port: 'int4', number: 'int8', duration: 'float8', time: 'float8' } as const;
const ORDER_SQL = { '==': '=', '<': '<', '<=': '<=', '>': '>', '>=': '>=' } as const;
const METRIC_COLUMN = { flows: 2, bytes: 3, packets: 4 } as const;

/** Collects parameters; each call adds one and returns its typed placeholder. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown, type: string): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }
}

interface Condition {
  sql: string;
  /** Whether it can be NULL (a NULL column): `not` must then read NULL as false. */
  nullable: boolean;
}

/** A glob (`*` any run, `?` one character, `\` takes the next literally) as a LIKE pattern. */
export function globToLike(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    let c = glob[i];
    if (c === '*') out += '%';
    else if (c === '?') out += '_';
    else {
      if (c === '\\' && i + 1 < glob.length) c = glob[++i];
      out += c === '%' || c === '_' || c === '\\' ? `\\${c}` : c;
    }
  }
  return out;
}

/** The SQL in parentheses, unless it already is one parenthesized group. */
function parenthesized(sql: string): string {
  if (sql.startsWith('(')) {
    let depth = 0;
    for (let i = 0; i < sql.length; i++) {
      if (sql[i] === '(') depth++;
      else if (sql[i] === ')' && --depth === 0) {
        if (i === sql.length - 1) return sql;
        break;
      }
    }
  }
  return `(${sql})`;
}

class Compiler {
  constructor(
    private readonly registry: FieldRegistry,
    private readonly now: number,
    readonly params: Params,
  ) {}

  expr(e: Expr): Condition {
    switch (e.kind) {
      case 'and':
      case 'or': {
        const parts = e.terms.map((t) => this.expr(t));
        return {
          sql: `(${parts.map((p) => p.sql).join(e.kind === 'and' ? ' AND ' : ' OR ')})`,
          nullable: parts.some((p) => p.nullable),
        };
      }
      case 'not':
        return this.not(this.expr(e.term));
      case 'compare':
        return this.compare(e);
    }
  }

  /** `NOT`, reading NULL as false first (so `not` is the complement of what matched). */
  private not(c: Condition): Condition {
    return { sql: c.nullable ? `(${parenthesized(c.sql)} IS NOT TRUE)` : `(NOT ${c.sql})`, nullable: false };
  }

  private compare(c: Comparison): Condition {
    const field = this.registry.get(c.field);
    if (field === undefined) throw new Error(`the tree names a field the registry does not have: ${c.field}`);
    // `!=`, `not in` and `!~` are exactly the negations of `==`, `in` and `~`.
    if (c.op === '!=' || c.op === 'not in' || c.op === '!~') {
      const positive = c.op === '!=' ? '==' : c.op === 'not in' ? 'in' : '~';
      return this.not(this.compare({ ...c, op: positive }));
    }
    const sides = this.sides(field, c);
    const sql = sides.length === 1 ? sides[0] : `(${sides.join(' OR ')})`;
    if (field.table)
      return {
        sql: `EXISTS (SELECT 1 FROM ${field.table.from} WHERE ${field.table.on} AND ${sql})`,
        nullable: false,
      };
    return { sql, nullable: field.nullable };
  }

  /** The condition on each of the field's columns (any of them matching is a match). */
  private sides(field: FieldSpec, c: Comparison): string[] {
    const values = c.values;
    switch (field.type) {
      case 'address': {
        const plain = values.flatMap((v) => (v.kind === 'address' ? [v.address] : []));
        const nets = values.flatMap((v) => (v.kind === 'network' ? [v] : []));
        const one = c.op === '==' && plain.length === 1;
        const any =
          plain.length === 0
            ? null
            : one
              ? this.params.add(plain[0], 'text')
              : this.params.add(plain, 'text[]');
        // A network is a range of the inet form: an index on (column::inet) can serve it.
        const ranges = nets.map((n) => [this.params.add(n.first, 'inet'), this.params.add(n.last, 'inet')]);
        return field.columns.map((col) => {
          const parts = ranges.map(([lo, hi]) => `${col}::inet BETWEEN ${lo} AND ${hi}`);
          if (any !== null) parts.unshift(one ? `${col} = ${any}` : `${col} = ANY(${any})`);
          return parts.length === 1 ? parts[0] : `(${parts.join(' OR ')})`;
        });
      }
      case 'port':
      case 'number':
      case 'duration':
      case 'time': {
        const type = PARAM_TYPES[field.type];
        const numbers = values.map((v) => this.number(v));
        if (c.op === 'in') {
          const p = this.params.add(numbers, `${type}[]`);
          return field.columns.map((col) => `${col} = ANY(${p})`);
        }
        const p = this.params.add(numbers[0], type);
        const op = ORDER_SQL[c.op as keyof typeof ORDER_SQL];
        return field.columns.map((col) => `${col} ${op} ${p}`);
      }
      case 'enum': {
        const words = values.map((v) => (v.kind === 'text' ? v.text : ''));
        const p = c.op === 'in' ? this.params.add(words, 'text[]') : this.params.add(words[0], 'text');
        return field.columns.map((col) => (c.op === 'in' ? `${col} = ANY(${p})` : `${col} = ${p}`));
      }
      case 'service': {
        const tcp = values.flatMap((v) => (v.kind === 'service' ? v.tcp : []));
        const udp = values.flatMap((v) => (v.kind === 'service' ? v.udp : []));
        const t = this.params.add(tcp, 'int4[]');
        const u = this.params.add(udp, 'int4[]');
        // The service is the responder's port of that transport (the dashboard's port usage).
        return field.columns.map(
          (col) =>
            `((f.protocol = 'TCP' AND ${col} = ANY(${t})) OR (f.protocol = 'UDP' AND ${col} = ANY(${u})))`,
        );
      }
      case 'text':
        return this.text(field, c);
    }
  }

  private text(field: FieldSpec, c: Comparison): string[] {
    const fold = field.caseless === true;
    const v = c.values[0];
    if (c.op === '~' && v.kind === 'regex') {
      const p = this.params.add(v.regex, 'text');
      return field.columns.map((col) => `${col} ${fold ? '~*' : '~'} ${p}`);
    }
    if (c.op === '~' && v.kind === 'glob') {
      const p = this.params.add(globToLike(v.glob), 'text');
      return field.columns.map((col) => (fold ? `lower(${col}) LIKE lower(${p})` : `${col} LIKE ${p}`));
    }
    const texts = c.values.map((x) => (x.kind === 'text' ? x.text : ''));
    if (c.op === 'in') {
      const p = this.params.add(texts, 'text[]');
      // Folded in the database on both sides, so that its lower() decides what "same" means.
      return field.columns.map((col) =>
        fold ? `lower(${col}) = ANY(SELECT lower(v) FROM unnest(${p}) AS v)` : `${col} = ANY(${p})`,
      );
    }
    const p = this.params.add(texts[0], 'text');
    return field.columns.map((col) => (fold ? `lower(${col}) = lower(${p})` : `${col} = ${p}`));
  }

  private number(v: Value): number {
    if (v.kind === 'number') return v.value;
    if (v.kind === 'relative') return this.now + v.seconds;
    throw new Error(`a ${v.kind} value where a number belongs`);
  }
}

/** Whether the filter compares a field kept in a log or the geography (a table that may be large). */
function readsLogs(e: Expr, registry: FieldRegistry): boolean {
  switch (e.kind) {
    case 'and':
    case 'or':
      return e.terms.some((t) => readsLogs(t, registry));
    case 'not':
      return readsLogs(e.term, registry);
    case 'compare': {
      const field = registry.get(e.field);
      return field?.table !== undefined && field.needs !== undefined;
    }
  }
}

/**
 * Compiles a parsed search into the statements that answer it: a page of hits (sorted and paged by
 * the database, keyset on the sort value, session and flow), the number of hits, and the group-by.
 * The SQL's text depends only on the expression's shape (its fields, operators, connectives, and
 * how many networks an address list holds) and on the context; every value is a parameter.
 */
export function compile(query: Query, context: SearchContext = {}): CompiledSearch {
  const registry = context.registry ?? DEFAULT_REGISTRY;
  const now = context.now ?? Date.now() / 1000;
  const params = new Params();
  // The filter's parameters come first, so that `where` is the same text inside every statement.
  const filter = query.filter === null ? null : new Compiler(registry, now, params).expr(query.filter).sql;
  const filterParams = params.values.slice();
  const conditions: string[] = [];
  if (context.sessions != null)
    conditions.push(`f.session_id = ANY(${params.add(context.sessions, 'text[]')})`);
  if (filter !== null) conditions.push(filter);
  const base = params.values.length;
  const where = (extra: string[]) => {
    const all = [...conditions, ...extra];
    return all.length === 0 ? '' : ` WHERE ${all.join(' AND ')}`;
  };
  const shared = () => params.values.slice(0, base);

  const sort = SEARCH_SORTS[context.sort ?? 'start'];
  const dir = (context.order ?? 'desc') === 'desc' ? 'DESC' : 'ASC';
  const pageParams = shared();
  const pageExtra: string[] = [];
  const placeholder = (value: unknown, type: string) => {
    pageParams.push(value);
    return `$${pageParams.length}::${type}`;
  };
  if (context.after) {
    const a = context.after;
    const cmp = dir === 'DESC' ? '<' : '>';
    pageExtra.push(
      `(${sort.column}, f.session_id, f.flow_id) ${cmp} (${placeholder(a.value, sort.type)}, ${placeholder(a.session_id, 'text')}, ${placeholder(a.flow_id, 'int8')})`,
    );
  }
  const limit = placeholder(context.limit ?? DEFAULT_PAGE, 'int8');
  // With a field of a log or the geography, the hits are found first and then sorted: otherwise
  // the planner may walk every session's flows in time order, probing the log for each, in the
  // hope of finding a page early (over 20M flows, one SNI's first page took 35 s instead of
  // milliseconds; bench/search.ts). `OFFSET 0` keeps the sort and the limit out of the subquery.
  const page: SqlQuery =
    query.filter !== null && readsLogs(query.filter, registry)
      ? {
          sql: `SELECT h.* FROM (SELECT ${HIT_COLUMNS}\n  FROM flows f${where(pageExtra)} OFFSET 0) AS h\n ORDER BY h.${sort.hit} ${dir}, h.session_id ${dir}, h.flow_id ${dir}\n LIMIT ${limit}`,
          params: pageParams,
        }
      : {
          sql: `SELECT ${HIT_COLUMNS}\n  FROM flows f${where(pageExtra)}\n ORDER BY ${sort.column} ${dir}, f.session_id ${dir}, f.flow_id ${dir}\n LIMIT ${limit}`,
          params: pageParams,
        };

  const cap = context.countCap === undefined ? DEFAULT_COUNT_CAP : context.countCap;
  const count: SqlQuery =
    cap === null
      ? { sql: `SELECT count(*)::float8 AS n FROM flows f${where([])}`, params: shared() }
      : {
          sql: `SELECT count(*)::float8 AS n FROM (SELECT 1 FROM flows f${where([])} LIMIT $${base + 1}::int8) AS hits`,
          params: [...shared(), cap],
        };

  let group: SqlQuery | null = null;
  if (query.top !== null) {
    const field = registry.get(query.top.field);
    if (field?.group === undefined)
      throw new Error(`the tree groups by a field that cannot be grouped: ${query.top.field}`);
    const keys = field.group;
    // Either side: one row per distinct value of the flow's two sides (a flow from a port to the
    // same port counts once for it).
    const lateral =
      keys.length === 1
        ? ''
        : ` CROSS JOIN LATERAL (VALUES (${keys[0]}), (CASE WHEN ${keys[1]} IS DISTINCT FROM ${keys[0]} THEN ${keys[1]} END)) AS side(key)`;
    const key = keys.length === 1 ? keys[0] : 'side.key';
    group = {
      sql:
        `SELECT ${key} AS key, count(*)::float8 AS flows, sum(f.total_bytes)::float8 AS bytes, sum(f.packet_count)::float8 AS packets\n` +
        `  FROM flows f${lateral}${where([`${key} IS NOT NULL`])}\n` +
        ` GROUP BY ${key}\n ORDER BY ${METRIC_COLUMN[query.top.by]} DESC, 1\n LIMIT $${base + 1}::int8`,
      params: [...shared(), query.top.limit],
    };
  }

  return {
    where: { sql: filter ?? 'TRUE', params: filterParams },
    page,
    count,
    group,
  };
}
