import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { formatBytes, formatCount, formatEndpoint, formatTime, plural } from '../../format/index.js';
import { FilterError } from '../../search/index.js';
import {
  formatFlows,
  getSession,
  openStore,
  SESSION_ID_PATTERN,
  type SearchAnswer,
  type SearchHit,
  SearchRequestError,
  searchAllHits,
  searchFlows,
  searchQuery,
  searchRegistry,
} from '../../storage/index.js';
import { DB_OPTION, dbTarget, UsageError } from '../args.js';
import { type CliIo, type ErrorLine, EXIT_OK, EXIT_REJECTED, EXIT_USAGE } from '../io.js';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 100_000;
/** Hits read a page at a time for `--limit all`: memory holds one page, whatever the result. */
const STREAM_PAGE = 5_000;

/** Writes, waiting when the reader is slower than the database (a pipe to `less`, `head`). */
async function write(out: NodeJS.WritableStream, text: string): Promise<void> {
  if (text !== '' && !out.write(text)) await once(out, 'drain');
}

/** The --sessions list: session ids, lower-cased (as stored). */
function sessionList(text: string | undefined): string[] | null {
  if (text === undefined) return null;
  const ids = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (ids.length === 0) throw new UsageError('--sessions needs one or more session IDs, separated by commas');
  const pattern = new RegExp(SESSION_ID_PATTERN, 'i');
  for (const id of ids)
    if (!pattern.test(id)) throw new UsageError(`--sessions: '${id}' is not a session ID`);
  return ids.map((id) => id.toLowerCase());
}

function limitArg(text: string): number | 'all' {
  if (text === 'all') return 'all';
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > MAX_LIMIT)
    throw new UsageError(`--limit must be a whole number from 1 to ${MAX_LIMIT} or 'all', not '${text}'`);
  return n;
}

/** What a person sees of a hit: its name from DNS, TLS or HTTP, when the flow has one. */
function hint(h: SearchHit): string {
  if (h.tls_sni) return `tls ${h.tls_sni}`;
  if (h.http_host) return `http ${h.http_method ?? ''} ${h.http_host}`.replace('  ', ' ');
  if (h.dns_query) return `dns ${h.dns_query}`;
  return '';
}

function textLine(h: SearchHit): string {
  return `${h.session_id.slice(0, 8)}  ${formatTime(h.start_timestamp)}  ${h.protocol.padEnd(6)} ${formatEndpoint(h.src_ip, h.src_port).padEnd(24)} → ${formatEndpoint(h.dst_ip, h.dst_port).padEnd(24)} ${formatBytes(h.total_bytes).padStart(9)} ${formatCount(h.packet_count).padStart(7)} pkts  ${h.conn_state.padEnd(6)} flow ${h.flow_id}${hint(h) ? `  ${hint(h)}` : ''}\n`;
}

/** `flowlens search EXPR`: the flows of every stored session (or the chosen ones) that match. */
export async function run(args: string[], io: CliIo, err: ErrorLine): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...DB_OPTION,
      sessions: { type: 'string' },
      'group-by': { type: 'string' },
      limit: { type: 'string', default: String(DEFAULT_LIMIT) },
      cursor: { type: 'string' },
      json: { type: 'boolean', default: false },
      csv: { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1)
    throw new UsageError(
      positionals.length === 0
        ? "search needs an expression, e.g. flowlens search 'port == 443 and bytes > 1M'"
        : "search takes one expression: quote it (flowlens search 'ip == 10.0.0.1 and port == 53')",
    );
  if (values.json && values.csv) throw new UsageError('--json and --csv cannot be given together');
  const text = positionals[0];
  const sessions = sessionList(values.sessions);
  const limit = limitArg(values.limit);
  if (limit === 'all' && values.cursor !== undefined)
    throw new UsageError('--cursor pages a --limit N search; --limit all already writes every hit');
  const groupBy = values['group-by'] ?? null;
  const now = Date.now() / 1000;

  const db = await openStore(dbTarget(values.db));
  try {
    for (const id of sessions ?? []) {
      const row = await getSession(db, id);
      if (row === null) {
        err(`no session ${id}`);
        return EXIT_REJECTED;
      }
    }
    let answer: SearchAnswer;
    try {
      // For `all`, the first call gives the exact count and the group-by; the hits follow in pages.
      answer = await searchFlows(db, text, {
        sessions,
        groupBy,
        now,
        limit: limit === 'all' ? 1 : limit,
        cursor: values.cursor ?? null,
        countCap: limit === 'all' ? null : undefined,
      });
    } catch (e) {
      if (e instanceof FilterError || e instanceof SearchRequestError) {
        err(e.message);
        return EXIT_USAGE;
      }
      throw e;
    }
    const registry = limit === 'all' ? await searchRegistry(db) : null;
    const pages: AsyncIterable<SearchHit[]> =
      registry !== null
        ? searchAllHits(db, searchQuery(text, registry, groupBy), registry, {
            sessions,
            now,
            pageSize: STREAM_PAGE,
          })
        : (async function* () {
            yield answer.hits;
          })();
    const nextCursor = limit === 'all' ? null : answer.next_cursor;
    const out = io.stdout;

    if (values.json) {
      // Written as it is read: the hits array streams, the rest is small.
      await write(
        out,
        `{"query":${JSON.stringify(text)},"total":${answer.total},"total_exact":${answer.total_exact}`,
      );
      if (answer.group) await write(out, `,"group":${JSON.stringify(answer.group)}`);
      await write(out, ',"hits":[');
      let first = true;
      for await (const page of pages) {
        let chunk = '';
        for (const h of page) {
          chunk += `${first ? '' : ','}\n${JSON.stringify(h)}`;
          first = false;
        }
        await write(out, chunk);
      }
      await write(out, `\n],"next_cursor":${JSON.stringify(nextCursor)}}\n`);
      return EXIT_OK;
    }

    if (answer.group) {
      // A group-by answers "who dominates": its table is the output (the hits stay in --json).
      const g = answer.group;
      if (values.csv) {
        await write(out, `${g.field},flows,bytes,packets\n`);
        for (const r of g.rows)
          await write(out, `${csvCell(String(r.key))},${r.flows},${r.bytes},${r.packets}\n`);
        return EXIT_OK;
      }
      await write(
        out,
        `${g.field.padEnd(40)} ${'flows'.padStart(10)} ${'bytes'.padStart(10)} ${'packets'.padStart(10)}\n`,
      );
      for (const r of g.rows)
        await write(
          out,
          `${String(r.key).padEnd(40)} ${formatCount(r.flows).padStart(10)} ${formatBytes(r.bytes).padStart(10)} ${formatCount(r.packets).padStart(10)}\n`,
        );
      await write(
        out,
        `top ${g.rows.length} by ${g.by} of ${plural(answer.total, 'hit')}${answer.total_exact ? '' : ' or more'}\n`,
      );
      return EXIT_OK;
    }

    if (values.csv) {
      // The export's CSV (its columns and its guard against spreadsheet formulas), session first.
      const csv = formatFlows('csv', '');
      await write(out, `session_id,${csv.header}`);
      for await (const page of pages) {
        let chunk = '';
        for (const h of page) chunk += `${h.session_id},${csv.page([h])}`;
        await write(out, chunk);
      }
      return EXIT_OK;
    }

    let shown = 0;
    for await (const page of pages) {
      shown += page.length;
      await write(out, page.map(textLine).join(''));
    }
    const total = `${formatCount(answer.total)}${answer.total_exact ? '' : ' or more'}`;
    await write(
      out,
      shown === 0
        ? 'no flows match\n'
        : `${plural(shown, 'hit')} shown of ${total}${nextCursor ? `; the next page: --cursor ${nextCursor}` : ''}\n`,
    );
    return EXIT_OK;
  } finally {
    await db.close();
  }
}

function csvCell(s: string): string {
  const v = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}
