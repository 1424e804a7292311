import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ingestCapture } from '../src/ingest/index.js';
import { compile, parse } from '../src/search/index.js';
import {
  type Db,
  indexSessionFlows,
  listSessions,
  openStore,
  searchFlows,
  searchRegistry,
  sessionsToIndex,
} from '../src/storage/index.js';
import { ensureBenchCapture } from './make-capture.js';

// The search over many sessions, by measurement (not a timed test): the bench capture (about 2M
// flows) stored once, then copied into more sessions by SQL (the same flows under other session
// ids: what ten loads of it would store, in a fraction of the time), and EXPLAIN (ANALYZE) of the
// statements the search runs for a selective query (one address, one port, one SNI) and for a
// group-by over everything, with the wall time of the whole search (page, count, group) beside.
//
//   npm run build && BENCH_DATABASE_URL=postgres://… node dist/bench/search.js   (10 sessions)
//   npm run build && node dist/bench/search.js                                     (PGlite, 2)
// BENCH_SESSIONS overrides the number of sessions; sessions are kept for the next run.
// BENCH_NO_REINDEX=1 leaves sessions that a newer migration marked for indexing as they are.

const ROOT = fileURLToPath(new URL('../../', import.meta.url)); // dist/bench → project root
const CORPUS = fileURLToPath(new URL('../shared/pcaps/real', `file://${ROOT}`));
const PREFIX = 'bench-search ';

const say = (line: string) => process.stdout.write(`${line}\n`);
const seconds = (t: number) => `${((performance.now() - t) / 1000).toFixed(1)} s`;

/** Another session holding a copy of `source`'s flows (and its row), indexed as a load would be. */
async function copySession(db: Db, source: string, name: string, ordinal: number): Promise<string> {
  const id = randomUUID();
  // All or nothing: an interrupted copy leaves no empty session behind for the next run.
  await db.transaction((tx) => copyRows(tx, source, id, name, ordinal));
  await indexSessionFlows(db, id);
  return id;
}

async function copyRows(db: Db, source: string, id: string, name: string, ordinal: number): Promise<void> {
  await db.query(
    `INSERT INTO pcap_sessions
     SELECT (jsonb_populate_record(NULL::pcap_sessions,
               to_jsonb(s) || jsonb_build_object('session_id', $2::text, 'name', $3::text))).*
       FROM pcap_sessions s WHERE session_id = $1`,
    [source, id, name],
  );
  // Attached while empty (no rows to check), then filled through the parent.
  await db.query('SELECT flowlens_create_flows($1)', [id]);
  await db.query('SELECT flowlens_attach_flows($1)', [id]);
  // The column list comes from the catalogue (a benchmark's own copy; the application never
  // builds SQL from names): every column of flows, with this session's id and ids of its own.
  const columns = (
    await db.query<{ c: string }>(
      `SELECT column_name::text AS c FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = 'flows' ORDER BY ordinal_position`,
    )
  ).map((r) => r.c);
  const select = columns.map((c) => (c === 'session_id' ? '$2::text' : c === 'id' ? `id + $3::bigint` : c));
  await db.query(
    `INSERT INTO flows (${columns.join(', ')}) SELECT ${select.join(', ')} FROM flows WHERE session_id = $1`,
    [source, id, ordinal * 2 ** 44],
  );
}

async function ensureSessions(db: Db, wanted: number, path: string): Promise<string[]> {
  const ids = (await listSessions(db))
    .filter((s) => s.name.startsWith(PREFIX) && s.status === 'completed')
    .map((s) => s.session_id);
  if (ids.length === 0) {
    say(`loading ${path} into ${db.location} …`);
    const t = performance.now();
    const { sessionId } = await ingestCapture(db, path, { sessionName: `${PREFIX}1` });
    say(`  loaded in ${seconds(t)}`);
    const ti = performance.now();
    await indexSessionFlows(db, sessionId);
    say(`  indexed in ${seconds(ti)}`);
    ids.push(sessionId);
  }
  // Sessions a newer migration marked for indexing (new kinds of index) get them now.
  // BENCH_NO_REINDEX=1 measures them as they are (the figures before a new index).
  const stale = new Set(process.env.BENCH_NO_REINDEX ? [] : await sessionsToIndex(db));
  for (const id of ids.filter((x) => stale.has(x))) {
    const t = performance.now();
    await indexSessionFlows(db, id);
    say(`  session ${id} indexed again in ${seconds(t)}`);
  }
  while (ids.length < wanted) {
    const t = performance.now();
    ids.push(await copySession(db, ids[0], `${PREFIX}${ids.length + 1}`, ids.length));
    say(`  session ${ids.length} copied and indexed in ${seconds(t)}`);
  }
  return ids.slice(0, wanted);
}

/**
 * Where the logs branch's tls_log is absent, one made from the flows' own SNI (the rows the TLS
 * log would hold), with the index a lookup by name needs: the `tls.sni` field reads tls_log.
 */
async function ensureTlsLog(db: Db): Promise<void> {
  const have = await db.query(
    "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'tls_log'",
  );
  if (have.length > 0) return;
  const t = performance.now();
  await db.exec(`CREATE TABLE tls_log (session_id text NOT NULL, flow_id bigint NOT NULL, ts float8,
    version text, cipher text, server_name text, ja3 text, ja3s text, ja4 text)`);
  await db.exec(`INSERT INTO tls_log (session_id, flow_id, ts, server_name)
    SELECT session_id, flow_id, start_timestamp, tls_sni FROM flows WHERE tls_sni IS NOT NULL`);
  await db.exec('CREATE INDEX tls_log_flow ON tls_log (session_id, flow_id)');
  await db.exec('CREATE INDEX tls_log_name ON tls_log (lower(server_name))');
  await db.exec('ANALYZE tls_log');
  say(`  tls_log made from the flows' SNI in ${seconds(t)}`);
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** The plan's node types, outermost first, with the indexes it uses (deduplicated). */
function planShape(node: PlanNode): string {
  const types: string[] = [];
  const indexes = new Set<string>();
  const walk = (n: PlanNode, depth: number) => {
    if (depth < 4 && !types.includes(n['Node Type'])) types.push(n['Node Type']);
    if (n['Index Name']) indexes.add(n['Index Name'].replace(/^flows_[0-9a-f]{32}_/, 'flows_*_'));
    for (const c of n.Plans ?? []) walk(c, depth + 1);
  };
  walk(node, 0);
  return `${types.join(' > ')}${indexes.size ? ` [${[...indexes].join(', ')}]` : ''}`;
}

async function explain(db: Db, sql: string, params: unknown[]): Promise<{ ms: number; shape: string }> {
  const rows = await db.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, params);
  const raw = rows[0]['QUERY PLAN'];
  const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as {
    Plan: PlanNode;
    'Execution Time': number;
    'Planning Time': number;
  }[];
  return { ms: plan[0]['Execution Time'] + plan[0]['Planning Time'], shape: planShape(plan[0].Plan) };
}

async function measure(db: Db, label: string, expression: string, sessions: string[] | null): Promise<void> {
  const only = process.env.BENCH_ONLY;
  if (only && !label.includes(only)) return;
  const registry = await searchRegistry(db);
  const r = parse(expression, registry);
  if (!r.ok) throw r.error;
  const c = compile(r.query, { registry, sessions, limit: 100 });
  say(`\n${label}: ${expression}`);
  const page = await explain(db, c.page.sql, c.page.params);
  say(`  first page   ${page.ms.toFixed(1).padStart(9)} ms  ${page.shape}`);
  const count = await explain(db, c.count.sql, c.count.params);
  say(`  count (cap)  ${count.ms.toFixed(1).padStart(9)} ms  ${count.shape}`);
  if (c.group) {
    const group = await explain(db, c.group.sql, c.group.params);
    say(`  group-by     ${group.ms.toFixed(1).padStart(9)} ms  ${group.shape}`);
  }
  const walls: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const answer = await searchFlows(db, expression, { sessions, limit: 100 });
    walls.push(performance.now() - t);
    if (i === 0) say(`  ${answer.total}${answer.total_exact ? '' : '+'} hits`);
  }
  walls.sort((a, b) => a - b);
  say(`  whole search (page + count${c.group ? ' + group' : ''}), median of 3: ${walls[1].toFixed(1)} ms`);
}

async function main(): Promise<void> {
  const capture = await ensureBenchCapture(join(ROOT, '.bench'), CORPUS);
  const target =
    process.env.BENCH_DATABASE_URL ??
    process.env.BENCH_DB ??
    mkdtempSync(join(tmpdir(), 'flowlens-bench-search-'));
  const db = await openStore(target);
  try {
    const wanted = Number(process.env.BENCH_SESSIONS ?? (db.kind === 'postgres' ? 10 : 2));
    const ids = await ensureSessions(db, wanted, capture.path);
    await ensureTlsLog(db);
    const [{ n }] = await db.query<{ n: number }>(
      'SELECT count(*)::float8 AS n FROM flows WHERE session_id = ANY($1::text[])',
      [ids],
    );
    say(`\n${db.kind}: ${ids.length} sessions, ${n.toLocaleString('en-US')} flows`);
    // Values picked from the data: an address of a few flows, a port of a few, a common port, a name.
    const first = ids[0];
    const [{ ip }] = await db.query<{ ip: string }>(
      'SELECT src_ip AS ip FROM flows WHERE session_id = $1 ORDER BY flow_id OFFSET 777777 LIMIT 1',
      [first],
    );
    const [{ port }] = await db.query<{ port: number }>(
      `SELECT dst_port AS port FROM flows WHERE session_id = $1 AND dst_port IS NOT NULL
        GROUP BY dst_port ORDER BY count(*), dst_port LIMIT 1`,
      [first],
    );
    const [{ sni }] = await db.query<{ sni: string }>(
      "SELECT tls_sni AS sni FROM flows WHERE session_id = $1 AND tls_sni IS NOT NULL AND tls_sni ~ '^[a-z0-9.-]+$' LIMIT 1",
      [first],
    );
    await measure(db, 'one address', `ip == ${ip}`, null);
    await measure(db, 'one port (rare)', `port == ${port}`, null);
    await measure(db, 'one port (common)', 'port == 443', null);
    await measure(db, 'one SNI', `tls.sni == "${sni}"`, null);
    // The /24 around the address (IPv4) or its /64 (IPv6): a network of a few thousand flows.
    const net = ip.includes(':')
      ? `${ip.split(':').slice(0, 4).join(':')}::/64`
      : `${ip.split('.').slice(0, 3).join('.')}.0/24`;
    await measure(db, 'a network', `ip in ${net}`, null);
    await measure(db, 'group-by over everything', '| top src by bytes', null);
    await measure(db, 'group-by, one session', '| top dst_port by flows', [first]);
  } finally {
    await db.close();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
