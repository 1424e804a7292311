import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  compile,
  decodeCursor,
  type Expr,
  encodeCursor,
  FIELDS,
  fieldRegistry,
  MAX_DEPTH,
  MAX_EXPRESSION_LENGTH,
  parse,
  type Query,
  type Value,
} from '../src/search/index.js';
import { ERROR_ROWS, HOSTILE, NOW, quote, SQL_ROWS, TREE_ROWS } from './helpers/search-fixtures.js';

function printValue(v: Value): string {
  switch (v.kind) {
    case 'address':
      return v.address;
    case 'network':
      return v.cidr;
    case 'number':
      return String(v.value);
    case 'relative':
      return `now${v.seconds < 0 ? '' : '+'}${v.seconds}s`;
    case 'text':
      return JSON.stringify(v.text);
    case 'glob':
      return `glob:${JSON.stringify(v.glob)}`;
    case 'regex':
      return `re:/${v.regex}/`;
    case 'service':
      return `${v.name}[tcp ${v.tcp.join(',')}; udp ${v.udp.join(',')}]`;
  }
}

function printExpr(e: Expr): string {
  if (e.kind === 'and' || e.kind === 'or') return `(${e.kind} ${e.terms.map(printExpr).join(' ')})`;
  if (e.kind === 'not') return `(not ${printExpr(e.term)})`;
  return `(${e.op} ${e.field} ${e.values.map(printValue).join(' ')})`;
}

function printQuery(q: Query): string {
  const filter = q.filter === null ? '*' : printExpr(q.filter);
  return q.top === null ? filter : `${filter} | top ${q.top.limit} ${q.top.field} by ${q.top.by}`;
}

function parsed(text: string): Query {
  const r = parse(text);
  if (!r.ok) throw new Error(`${text}: ${r.error.message}`);
  return r.query;
}

describe('the fixture rows', () => {
  it('has at least 150 rows across trees, SQL and errors', () => {
    expect(TREE_ROWS.length + SQL_ROWS.length + ERROR_ROWS.length).toBeGreaterThanOrEqual(150);
  });

  it.each(TREE_ROWS)('%s parses into %s', (input, tree) => {
    expect(printQuery(parsed(input))).toBe(tree);
  });

  it.each(SQL_ROWS)('%s compiles to %s', (input, sql, params) => {
    const { where } = compile(parsed(input), { now: NOW });
    expect(where).toEqual({ sql, params });
  });

  it.each(ERROR_ROWS)('%s is refused with: %s', (input, message) => {
    const r = parse(input);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.message).toBe(message);
      expect(message).toContain(`column ${r.error.column}`);
    }
  });
});

describe('the statements', () => {
  it('a page is sorted and paged by the database, newest first, after the cursor', () => {
    const c = compile(parsed('port == 53'), {
      sessions: ['a', 'b'],
      limit: 50,
      after: { value: 1300475167.5, session_id: 'b', flow_id: 7 },
    });
    expect(c.page.sql).toMatch(
      /FROM flows f WHERE f\.session_id = ANY\(\$2::text\[\]\) AND \(f\.src_port = \$1::int4 OR f\.dst_port = \$1::int4\) AND \(f\.start_timestamp, f\.session_id, f\.flow_id\) < \(\$3::float8, \$4::text, \$5::int8\)\n ORDER BY f\.start_timestamp DESC, f\.session_id DESC, f\.flow_id DESC\n LIMIT \$6::int8$/,
    );
    expect(c.page.params).toEqual([53, ['a', 'b'], 1300475167.5, 'b', 7, 50]);
    expect(c.page.sql).toMatch(/^SELECT f\.session_id, f\.flow_id::float8 AS flow_id,/);
  });

  it('a page sorted by bytes ascending keys its cursor on the bytes', () => {
    const c = compile(parsed(''), {
      sort: 'bytes',
      order: 'asc',
      after: { value: 10, session_id: 's', flow_id: 1 },
    });
    expect(c.page.sql).toContain(
      'WHERE (f.total_bytes, f.session_id, f.flow_id) > ($1::int8, $2::text, $3::int8)',
    );
    expect(c.page.sql).toContain('ORDER BY f.total_bytes ASC, f.session_id ASC, f.flow_id ASC');
  });

  it('the count stops at its cap, or counts everything when asked', () => {
    const capped = compile(parsed('bytes > 1k'), { countCap: 500 }).count;
    expect(capped).toEqual({
      sql: 'SELECT count(*)::float8 AS n FROM (SELECT 1 FROM flows f WHERE f.total_bytes > $1::int8 LIMIT $2::int8) AS hits',
      params: [1000, 500],
    });
    const exact = compile(parsed('bytes > 1k'), { countCap: null }).count;
    expect(exact).toEqual({
      sql: 'SELECT count(*)::float8 AS n FROM flows f WHERE f.total_bytes > $1::int8',
      params: [1000],
    });
  });

  it('`| top src by bytes` groups by the initiator, largest first', () => {
    const g = compile(parsed('proto == tcp | top 5 src by bytes'), { sessions: ['s'] }).group;
    expect(g).toEqual({
      sql:
        'SELECT f.src_ip AS key, count(*)::float8 AS flows, sum(f.total_bytes)::float8 AS bytes, sum(f.packet_count)::float8 AS packets\n' +
        '  FROM flows f WHERE f.session_id = ANY($2::text[]) AND f.protocol = $1::text AND f.src_ip IS NOT NULL\n' +
        ' GROUP BY f.src_ip\n ORDER BY 3 DESC, 1\n LIMIT $3::int8',
      params: ['TCP', ['s'], 5],
    });
  });

  it('`| top ip` counts a flow once for each of its distinct addresses', () => {
    const g = compile(parsed('| top ip by packets'))!.group!;
    expect(g.sql).toContain(
      'FROM flows f CROSS JOIN LATERAL (VALUES (f.src_ip), (CASE WHEN f.dst_ip IS DISTINCT FROM f.src_ip THEN f.dst_ip END)) AS side(key) WHERE side.key IS NOT NULL',
    );
    expect(g.sql).toContain('ORDER BY 4 DESC, 1');
    expect(g.params).toEqual([10]);
  });

  it('without `| top` there is no group statement', () => {
    expect(compile(parsed('port == 1')).group).toBeNull();
  });

  it('relative times count from the context`s now', () => {
    expect(compile(parsed('start > -1h'), { now: 10_000 }).where.params).toEqual([6400]);
  });
});

describe('a log field is one row in the registry', () => {
  const registry = fieldRegistry(FIELDS);

  it('a comparison on it becomes an EXISTS over its table, so a flow matches once', () => {
    const r = parse('dns.query ~ "*.example.com" and not dns.query == a.example.com', registry);
    if (!r.ok) throw r.error;
    expect(compile(r.query, { registry }).where).toEqual({
      sql:
        '(EXISTS (SELECT 1 FROM dns_log t WHERE t.session_id = f.session_id AND t.flow_id = f.flow_id AND lower(t.query) LIKE lower($1::text))' +
        ' AND (NOT EXISTS (SELECT 1 FROM dns_log t WHERE t.session_id = f.session_id AND t.flow_id = f.flow_id AND lower(t.query) = lower($2::text))))',
      params: ['%.example.com', 'a.example.com'],
    });
  });

  it('in a database without the log, the same expression is an unknown field', () => {
    // What searchRegistry (src/storage) builds where the schema lacks dns_log.
    const r = parse(
      'dns.query ~ "*.example.com"',
      fieldRegistry(FIELDS.filter((f) => f.needs?.table !== 'dns_log')),
    );
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/^unknown field `dns\.query` at column 1: did you mean /);
  });
});

/** The texts and globs a filter compares with. */
function texts(e: Expr): string[] {
  if (e.kind === 'and' || e.kind === 'or') return e.terms.flatMap(texts);
  if (e.kind === 'not') return texts(e.term);
  return e.values.flatMap((v) => (v.kind === 'text' ? [v.text] : v.kind === 'glob' ? [v.glob] : []));
}

describe('an injection corpus never changes the SQL', () => {
  const shapes = [
    (v: string) => `session == ${v}`,
    (v: string) => `session ~ ${v}`,
    (v: string) => `history in (${v}, "x") and port == 1`,
    (v: string) => `not community_id == ${v} or session != ${v}`,
    // The log and geography fields: their values go inside EXISTS subqueries, still as parameters.
    (v: string) => `tls.sni == ${v} and dns.query ~ ${v}`,
    (v: string) => `http.uri in (${v}, "x") or not ja4 == ${v} or http.host ~ ${v}`,
    (v: string) => `country == ${v} and asn == 1 and dns.rcode != ${v}`,
  ];

  it.each(HOSTILE.map((h) => [h.length > 40 ? `${h.slice(0, 10)}… (${h.length} chars)` : h, h]))(
    '%s stays a parameter in every position',
    (_label, hostile) => {
      for (const shape of shapes) {
        const benign = compile(parsed(shape('"x"')), { now: NOW });
        const query = parsed(shape(quote(hostile)));
        const evil = compile(query, { now: NOW });
        expect(evil.where.sql).toBe(benign.where.sql);
        expect(evil.page.sql).toBe(benign.page.sql);
        expect(evil.where.params).toHaveLength(benign.where.params.length);
        // The value reaches the compiler whole, as the text it is.
        expect(texts(query.filter!)).toContain(hostile);
      }
    },
  );

  it('unicode escapes arrive as the characters they name, as parameters', () => {
    const c = compile(parsed('session == "\\u0027; DROP TABLE flows; --\\u{1F600}"'));
    expect(c.where.params).toEqual(["'; DROP TABLE flows; --😀"]);
    expect(c.where.sql).not.toContain('DROP');
  });

  it('a bare word with statement characters is one value', () => {
    const c = compile(parsed('session == a;DROP/**/TABLE--x'));
    expect(c.where.params).toEqual(['a;DROP/**/TABLE--x']);
  });

  it.each([
    ['bytes > 1e400', 'a whole number up to 9007199254740991'],
    ['bytes > 9007199254740993', 'a whole number up to 9007199254740991'],
    ['flow == 123456789012345678901234567890', 'a whole number up to 9007199254740991'],
    ['duration > 1e309', 'a duration'],
    ['port == 99999999999', 'a port (0 to 65535)'],
    ['start > 1e20', 'a time'],
    ['proto == 1000000', 'one of tcp'],
  ])('a huge number (%s) is refused before any SQL', (input, expected) => {
    const r = parse(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.expected.startsWith(expected)).toBe(true);
  });

  it('a NUL character is refused (PostgreSQL text cannot hold one)', () => {
    const r = parse('session == "a\u0000b"');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toBe('expected no NUL character after `session == "a` at column 14');
  });
});

describe('deep nesting is bounded', () => {
  it.each([
    ['parentheses', `${'('.repeat(3000)}port == 1${')'.repeat(3000)}`],
    ['not', `${'not '.repeat(2000)}port == 1`],
    ['!', `${'!'.repeat(5000)}port == 1`],
    ['mixed', `${'not ('.repeat(1500)}port == 1${')'.repeat(1500)}`],
  ])('%s nested thousands deep give a message, not a stack overflow', (_what, input) => {
    const r = parse(input);
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.error.message).toMatch(new RegExp(`^expected at most ${MAX_DEPTH} levels of parentheses`));
  });

  it(`${MAX_DEPTH} levels are still read`, () => {
    const input = `${'('.repeat(MAX_DEPTH)}port == 1${')'.repeat(MAX_DEPTH)}`;
    expect(printQuery(parsed(input))).toBe('(== port 1)');
  });

  it('an expression over the length limit is refused at the limit', () => {
    const r = parse(`port == 1 or ${'('.repeat(200_000)}`);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.column).toBe(MAX_EXPRESSION_LENGTH + 1);
      expect(r.error.expected).toBe(`an expression of at most ${MAX_EXPRESSION_LENGTH} characters`);
    }
  });

  it('a long flat chain of terms is read without recursion', () => {
    const input = Array.from({ length: 600 }, (_, i) => `port == ${i}`).join(' or ');
    expect(input.length).toBeLessThan(MAX_EXPRESSION_LENGTH);
    const q = parsed(input);
    expect(q.filter?.kind === 'or' && q.filter.terms.length).toBe(600);
    expect(compile(q).where.params).toHaveLength(600);
  });
});

describe('regular expressions', () => {
  it.each([
    '^www\\d+\\.',
    '(a|b)*c',
    '[^a-z0-9_\\-]+$',
    '(?:ab){2,5}x+?',
    '\\u00e9t\\u00e9',
    '\\/path\\/to',
    '^(a{10}){100}$',
  ])('%s is accepted and reads as a JavaScript expression too', (re) => {
    const r = parse(`history ~ /${re}/`);
    expect(r.ok).toBe(true);
    const value = r.ok && r.query.filter?.kind === 'compare' ? r.query.filter.values[0] : null;
    expect(value?.kind).toBe('regex');
    if (value?.kind === 'regex') expect(() => new RegExp(value.regex)).not.toThrow();
  });

  it('a regular expression longer than 256 characters is refused', () => {
    const r = parse(`history ~ /${'a'.repeat(257)}/`);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.expected).toBe('a regular expression of at most 256 characters');
  });
});

describe('cursors', () => {
  const hit = { session_id: 'b3', flow_id: 12, start_timestamp: 1300475167.096535, total_bytes: 900 };

  it('a cursor made from a hit gives back its sort value, session and flow', () => {
    expect(decodeCursor(encodeCursor(hit))).toEqual({
      value: 1300475167.096535,
      session_id: 'b3',
      flow_id: 12,
    });
    expect(decodeCursor(encodeCursor(hit, 'bytes', 'asc'), 'bytes', 'asc')).toEqual({
      value: 900,
      session_id: 'b3',
      flow_id: 12,
    });
  });

  it.each([
    ['made for another sort', encodeCursor(hit, 'bytes')],
    ['not base64 JSON', '%%%'],
    ['the wrong shape', Buffer.from('{"a":1}').toString('base64url')],
    ['a flow id that is not a whole number', Buffer.from('["start","desc",1,"s",1.5]').toString('base64url')],
  ])('a cursor %s is refused', (_what, text) => {
    expect(decodeCursor(text)).toBeNull();
  });
});

describe('the documentation', () => {
  const doc = readFileSync(new URL('../docs/FILTERS.md', import.meta.url), 'utf8');

  it.each(FIELDS.map((f) => [f.name]))('docs/FILTERS.md describes the field %s', (name) => {
    expect(doc).toMatch(new RegExp(`^\\| \`${name.replace('.', '\\.')}\` \\|`, 'm'));
  });

  it('every example in docs/FILTERS.md parses', () => {
    const examples = [...doc.matchAll(/^ {4}(\S.*)$/gm)].map((m) => m[1]);
    expect(examples.length).toBeGreaterThan(15);
    for (const example of examples) expect(parse(example), example).toMatchObject({ ok: true });
  });
});
