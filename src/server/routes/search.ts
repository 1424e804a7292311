import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FilterError, MAX_EXPRESSION_LENGTH } from '../../search/index.js';
import { type SearchAnswer, SearchRequestError, searchFlows } from '../../storage/index.js';
import type { ServerContext } from '../context.js';
import { errorSchema, UUID_PATTERN } from '../schemas.js';

/** Session ids, comma-separated (UUID_PATTERN without its anchors, repeated). */
const ID = UUID_PATTERN.replace(/^\^/, '').replace(/\$$/, '');
const SESSIONS_PATTERN = `^${ID}(,${ID})*$`;
const MAX_SESSIONS = 100;
/** What one search request may cost the database (PostgreSQL), at most. */
const SEARCH_TIMEOUT_MS = 30_000;

const numberOrNull = { type: ['number', 'null'] };
const stringOrNull = { type: ['string', 'null'] };

/** A hit: the flow's fields as the JSON export writes them, with its session first. */
const hitSchema = {
  type: 'object',
  properties: {
    session_id: { type: 'string' },
    flow_id: { type: 'number' },
    window_id: { type: 'number' },
    src_ip: { type: 'string' },
    dst_ip: { type: 'string' },
    src_port: numberOrNull,
    dst_port: numberOrNull,
    protocol: { type: 'string' },
    packet_count: { type: 'number' },
    total_bytes: { type: 'number' },
    duration_seconds: { type: 'number' },
    start_timestamp: { type: 'number', description: 'capture time, epoch seconds' },
    end_timestamp: { type: 'number' },
    src_packets: { type: 'number' },
    dst_packets: { type: 'number' },
    src_bytes: { type: 'number' },
    dst_bytes: { type: 'number' },
    conn_state: { type: 'string' },
    retransmissions: { type: 'number' },
    dns_query: stringOrNull,
    dns_rcode: numberOrNull,
    tls_sni: stringOrNull,
    http_method: stringOrNull,
    http_host: stringOrNull,
    history: { ...stringOrNull, description: "Zeek's history letters, upper case from the initiator" },
    orig_bytes: { ...numberOrNull, description: 'payload bytes from the initiator, by sequence space (TCP)' },
    resp_bytes: { ...numberOrNull, description: 'payload bytes from the responder, by sequence space (TCP)' },
    community_id: { ...stringOrNull, description: 'the Community ID flow hash (1:…)' },
  },
} as const;

const answerSchema = {
  type: 'object',
  properties: {
    query: { type: 'string' },
    total: { type: 'number', description: 'hits, counted up to 100,000' },
    total_exact: { type: 'boolean', description: 'false when the count stopped at 100,000' },
    hits: { type: 'array', items: hitSchema },
    next_cursor: { type: ['string', 'null'], description: 'give it back as `cursor` for the next page' },
    group: {
      type: ['object', 'null'],
      properties: {
        field: { type: 'string' },
        by: { type: 'string', enum: ['flows', 'bytes', 'packets'] },
        rows: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              key: { type: ['string', 'number'] },
              flows: { type: 'number' },
              bytes: { type: 'number' },
              packets: { type: 'number' },
            },
          },
        },
      },
    },
  },
} as const;

/** Whether the database refused a regular expression (SQLSTATE 2201B) or stopped a statement. */
function databaseRefusal(e: unknown): string | null {
  const code = (e as { code?: unknown }).code;
  if (code === '2201B')
    return `the regular expression is not one the database accepts: ${(e as Error).message}`;
  if (code === '57014')
    return 'the search took too long and was stopped: narrow it (fewer sessions, a selective field)';
  return null;
}

type SearchReq = FastifyRequest<{
  Querystring: { q: string; sessions?: string; group_by?: string; limit: number; cursor?: string };
}>;

/** `GET /api/search`: flows of every session (or the chosen ones) that match an expression. */
export function searchRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get(
    '/api/search',
    {
      schema: {
        summary: 'Flows of every stored session (or the chosen ones) matching a filter expression, in pages',
        description:
          'The language is docs/FILTERS.md. Hits come newest first; `next_cursor` gives the next page. ' +
          'A malformed expression, an unknown field (with the nearest names), a bad cursor or group-by: 400 with one message.',
        querystring: {
          type: 'object',
          properties: {
            q: {
              type: 'string',
              maxLength: MAX_EXPRESSION_LENGTH,
              default: '',
              description:
                'the expression, e.g. `port == 53 and bytes > 10k | top src by bytes`; empty matches every flow',
            },
            sessions: {
              type: 'string',
              pattern: SESSIONS_PATTERN,
              maxLength: MAX_SESSIONS * 37,
              description: 'session ids, comma-separated; absent: every session',
            },
            group_by: {
              type: 'string',
              pattern: '^[A-Za-z_][A-Za-z0-9_.]*$',
              maxLength: 40,
              description: 'a field to group the hits by (as `| top FIELD by bytes`)',
            },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            cursor: { type: 'string', pattern: '^[A-Za-z0-9_-]+$', maxLength: 400 },
          },
          additionalProperties: false,
        },
        response: { 200: answerSchema, 400: errorSchema },
      },
    },
    async (req: SearchReq, reply: FastifyReply): Promise<SearchAnswer | undefined> => {
      const q = req.query;
      const sessions = q.sessions === undefined ? null : [...new Set(q.sessions.toLowerCase().split(','))];
      if (sessions !== null && sessions.length > MAX_SESSIONS)
        return reply.code(400).send({ error: `sessions: at most ${MAX_SESSIONS} session ids` });
      try {
        return await searchFlows(ctx.db, q.q, {
          sessions,
          groupBy: q.group_by ?? null,
          limit: q.limit,
          cursor: q.cursor ?? null,
          timeoutMs: SEARCH_TIMEOUT_MS,
        });
      } catch (e) {
        if (e instanceof FilterError || e instanceof SearchRequestError)
          return reply.code(400).send({ error: e.message });
        const refusal = databaseRefusal(e);
        if (refusal !== null) return reply.code(400).send({ error: refusal });
        throw e;
      }
    },
  );
}
