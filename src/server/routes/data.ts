import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { canonicalIp, serviceLabel } from '../../analysis/index.js';
import { compile, MAX_EXPRESSION_LENGTH, parse } from '../../search/index.js';
import {
  FLOW_PROTOCOLS,
  FLOW_SORTS,
  type FlowProtocol,
  type FlowSort,
  formatFlows,
  getAnomalies,
  getFlows,
  getHostGeo,
  getInsights,
  getLogs,
  getPorts,
  getRemoteSummary,
  getSession,
  getSummaryPart,
  getTopTalkers,
  getWindows,
  LOG_KINDS,
  LOG_SORTS,
  type LogKind,
  type SessionRow,
  type StoredSummary,
  searchRegistry,
  sessionFlows,
  sessionLocalNets,
  type TalkerDirection,
  WINDOW_FIELDS,
} from '../../storage/index.js';
import { keepAnswer } from '../answer-cache.js';
import type { ServerContext } from '../context.js';
import { errorSchema, sessionParams } from '../schemas.js';
import { notFound } from './sessions.js';

type Req<Q = Record<string, never>> = FastifyRequest<{ Params: { id: string }; Querystring: Q }>;

const IP_PATTERN = '^([0-9]{1,3}(\\.[0-9]{1,3}){3}|[0-9A-Fa-f:.]{2,45})$';

function query(properties: Record<string, unknown>) {
  return { type: 'object', properties, additionalProperties: false } as const;
}

const limit = (max: number, dflt: number) => ({ type: 'integer', minimum: 1, maximum: max, default: dflt });

/** A flow side's country and AS (null for a local address or one the data does not cover). */
function sideGeo(
  side: 'src' | 'dst',
  g: { country: string | null; asn: number | null; as_name: string | null } | undefined,
) {
  return {
    [`${side}_country`]: g?.country ?? null,
    [`${side}_asn`]: g?.asn ?? null,
    [`${side}_as_name`]: g?.as_name ?? null,
  };
}

/**
 * Per-session data for the pages. Each route validates its parameters (schemas), finds the
 * session (404), insists it is completed (409), then calls one query.
 */
export function dataRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { db } = ctx;

  /** The completed session, or an error answer already sent (null). */
  async function completed(req: Req<unknown>, reply: FastifyReply): Promise<SessionRow | null> {
    const row = await getSession(db, req.params.id);
    if (row === null) {
      notFound(reply, req.params.id);
      return null;
    }
    if (row.status !== 'completed') {
      // A failed session never gets data: say so rather than "once it is completed".
      const after = row.status === 'failed' ? 'it has no data' : 'its data is there once it is completed';
      reply.code(409).send({
        error: `session ${row.session_id} is ${row.status}${row.error ? ` (${row.error})` : ''}: ${after}`,
      });
      return null;
    }
    keepAnswer(req);
    return row;
  }

  /** Parts of a completed session's summary, or an error answer already sent (null). */
  async function summaryParts<K extends keyof StoredSummary>(
    req: Req<unknown>,
    reply: FastifyReply,
    ...parts: K[]
  ): Promise<Pick<StoredSummary, K> | null> {
    if ((await completed(req, reply)) === null) return null;
    const values = await Promise.all(parts.map((p) => getSummaryPart(db, req.params.id, p)));
    if (values.some((v) => v === null)) {
      notFound(reply, req.params.id);
      return null;
    }
    return Object.fromEntries(parts.map((p, i) => [p, values[i]])) as Pick<StoredSummary, K>;
  }

  const errors = { 400: errorSchema, 404: errorSchema, 409: errorSchema };

  app.get(
    '/api/sessions/:id/windows',
    {
      schema: {
        summary: 'Time windows with every per-window figure (window ids from..to, inclusive)',
        params: sessionParams,
        querystring: query({
          from: { type: 'integer', minimum: 0 },
          to: { type: 'integer', minimum: 0 },
          features: { type: 'boolean', default: false, description: "include each window's features_json" },
          fields: {
            type: 'string',
            pattern: '^[a-z_]+(,[a-z_]+)*$',
            maxLength: 1000,
            description: 'only these columns (comma-separated; window_id and start_ts always)',
          },
        }),
        response: errors,
      },
    },
    async (req: Req<{ from?: number; to?: number; features: boolean; fields?: string }>, reply) => {
      const row = await completed(req, reply);
      if (row === null) return;
      const from = req.query.from ?? 0;
      const to = req.query.to ?? Math.max((row.window_count ?? 0) - 1, 0);
      if (from > to) {
        // Name what the client sent: a `to` it left out is the session's last window.
        const last = req.query.to === undefined ? `the last window (${to})` : `to (${to})`;
        return reply.code(400).send({ error: `from (${from}) must not be after ${last}` });
      }
      const fields = req.query.fields?.split(',');
      const unknown = fields?.find((f) => !WINDOW_FIELDS.has(f));
      if (unknown)
        return reply.code(400).send({ error: `querystring/fields: no window column '${unknown}'` });
      const windows = await getWindows(db, row.session_id, from, to, {
        features: req.query.features,
        fields,
      });
      return { length_s: row.window_length, windows };
    },
  );

  app.get(
    '/api/sessions/:id/flows',
    {
      schema: {
        summary: 'Flows, sorted, filtered by address, port, protocol and window, in pages',
        params: sessionParams,
        querystring: query({
          sort: { type: 'string', enum: [...FLOW_SORTS], default: 'total_bytes' },
          order: { type: 'string', enum: ['asc', 'desc'], default: 'desc' },
          ip: { type: 'string', pattern: IP_PATTERN, maxLength: 45 },
          port: { type: 'integer', minimum: 0, maximum: 65535 },
          protocol: { type: 'string', enum: [...FLOW_PROTOCOLS] },
          window_from: { type: 'integer', minimum: 0 },
          window_to: { type: 'integer', minimum: 0 },
          q: {
            type: 'string',
            maxLength: MAX_EXPRESSION_LENGTH,
            description: 'a filter expression (docs/FILTERS.md), with the other filters',
          },
          limit: limit(1000, 50),
          offset: { type: 'integer', minimum: 0, maximum: 100_000_000, default: 0 },
          after: {
            type: 'string',
            pattern: CURSOR_PATTERN,
            maxLength: 64,
            description:
              "keyset cursor: the previous page's next_cursor (its last row's sort value and flow id); replaces offset, and answers as fast however deep",
          },
        }),
        response: errors,
      },
    },
    async (
      req: Req<{
        sort: FlowSort;
        order: 'asc' | 'desc';
        ip?: string;
        port?: number;
        protocol?: FlowProtocol;
        window_from?: number;
        window_to?: number;
        q?: string;
        limit: number;
        offset: number;
        after?: string;
      }>,
      reply,
    ) => {
      const q = req.query;
      let filter = null;
      if (q.q !== undefined && q.q.trim() !== '') {
        const parsed = parse(q.q, await searchRegistry(db));
        if (!parsed.ok) return reply.code(400).send({ error: parsed.error.message });
        if (parsed.query.top !== null)
          return reply
            .code(400)
            .send({ error: 'the flows table takes a filter; `| top` belongs to the search page' });
        filter = compile(parsed.query).where;
      }
      const ip = q.ip === undefined ? null : canonicalIp(q.ip);
      if (q.ip !== undefined && ip === null)
        return reply.code(400).send({ error: `querystring/ip '${q.ip}' is not an IPv4 or IPv6 address` });
      if (q.window_from !== undefined && q.window_to !== undefined && q.window_from > q.window_to)
        return reply.code(400).send({
          error: `window_from (${q.window_from}) must not be after window_to (${q.window_to})`,
        });
      const after = q.after === undefined ? null : parseCursor(q.after);
      if (q.after !== undefined && after === null)
        return reply
          .code(400)
          .send({ error: `querystring/after '${q.after}' is not a cursor from next_cursor` });
      if (after !== null && q.offset !== 0)
        return reply.code(400).send({ error: 'querystring/after and offset cannot be used together' });
      const row = await completed(req, reply);
      if (row === null) return;
      const page = await getFlows(db, row.session_id, {
        sort: q.sort,
        order: q.order,
        ip,
        port: q.port ?? null,
        protocol: q.protocol ?? null,
        // A flow belongs to the window it started in: a window range is a range of start times.
        startFrom: q.window_from === undefined ? null : windowStart(row, q.window_from),
        startBefore: q.window_to === undefined ? null : windowStart(row, q.window_to + 1),
        limit: q.limit,
        offset: q.offset,
        filter,
        after,
      });
      const last = page.flows[page.flows.length - 1];
      const geo = await getHostGeo(
        db,
        row.session_id,
        page.flows.flatMap((f) => [f.src_ip, f.dst_ip]),
      );
      return {
        total: page.total,
        total_exact: page.totalExact,
        limit: q.limit,
        offset: q.offset,
        // The next page's `after`, or null after the last page.
        next_cursor: last && page.flows.length === q.limit ? `${last[q.sort]}:${last.flow_id}` : null,
        // The service port's label ("443 (HTTPS)") for TCP and UDP, as port usage shows it.
        flows: page.flows.map((f) => ({
          ...f,
          ...sideGeo('src', geo.get(f.src_ip)),
          ...sideGeo('dst', geo.get(f.dst_ip)),
          service:
            f.protocol === 'TCP' || f.protocol === 'UDP'
              ? serviceLabel(f.protocol === 'TCP' ? 'tcp' : 'udp', f.dst_port)
              : null,
        })),
      };
    },
  );

  // The protocol logs: one route per log, each with its own sort columns.
  for (const kind of LOG_KINDS) {
    const name = { dns: 'DNS queries', http: 'HTTP requests', tls: 'TLS handshakes' }[kind];
    app.get(
      `/api/sessions/:id/logs/${kind}`,
      {
        schema: {
          summary: `${name} (the ${kind} log), sorted, searched, in pages; ?flow=N gives one flow's`,
          params: sessionParams,
          querystring: query({
            sort: { type: 'string', enum: [...LOG_SORTS[kind]], default: 'ts' },
            order: { type: 'string', enum: ['asc', 'desc'], default: 'asc' },
            flow: {
              type: 'integer',
              minimum: 1,
              maximum: 4294967295,
              description: "one flow's transactions",
            },
            q: {
              type: 'string',
              minLength: 1,
              maxLength: 200,
              // Control characters (NUL above all: the database's text cannot hold it) are refused.
              pattern: '^[^\\u0000-\\u001f\\u007f]+$',
              description: 'text the main columns contain, any case',
            },
            limit: limit(1000, 50),
            offset: { type: 'integer', minimum: 0, maximum: 100_000_000, default: 0 },
          }),
          response: errors,
        },
      },
      async (
        req: Req<{
          sort: string;
          order: 'asc' | 'desc';
          flow?: number;
          q?: string;
          limit: number;
          offset: number;
        }>,
        reply,
      ) => {
        const q = req.query;
        const row = await completed(req, reply);
        if (row === null) return;
        const page = await getLogs(db, row.session_id, kind as LogKind, {
          sort: q.sort,
          order: q.order,
          flow: q.flow ?? null,
          search: q.q ?? null,
          limit: q.limit,
          offset: q.offset,
        });
        return {
          total: page.total,
          total_exact: page.totalExact,
          limit: q.limit,
          offset: q.offset,
          rows: page.rows,
        };
      },
    );
  }

  app.get(
    '/api/sessions/:id/talkers',
    {
      schema: {
        summary: 'Top talkers by bytes: sent, received or both, with share of all bytes (percent)',
        params: sessionParams,
        querystring: query({
          direction: { type: 'string', enum: ['both', 'sent', 'received'], default: 'both' },
          limit: limit(100, 20),
        }),
        response: errors,
      },
    },
    async (req: Req<{ direction: TalkerDirection; limit: number }>, reply) => {
      const row = await completed(req, reply);
      if (row === null) return;
      const talkers = await getTopTalkers(db, row.session_id, req.query.direction, req.query.limit);
      const geo = await getHostGeo(
        db,
        row.session_id,
        talkers.map((t) => t.ip),
      );
      return {
        direction: req.query.direction,
        talkers: talkers.map((t) => {
          const g = geo.get(t.ip);
          return { ...t, country: g?.country ?? null, asn: g?.asn ?? null, as_name: g?.as_name ?? null };
        }),
      };
    },
  );

  app.get(
    '/api/sessions/:id/remote',
    {
      schema: {
        summary:
          'Remote (non-local) addresses by country and by network (AS): addresses, flows and bytes, most bytes first',
        params: sessionParams,
        querystring: query({ limit: limit(200, 10) }),
        response: errors,
      },
    },
    async (req: Req<{ limit: number }>, reply) => {
      const row = await completed(req, reply);
      if (row === null) return;
      return getRemoteSummary(db, row.session_id, req.query.limit);
    },
  );

  app.get(
    '/api/sessions/:id/ports',
    {
      schema: {
        summary: 'Service ports (the responder side) by packets, with IANA service names',
        params: sessionParams,
        querystring: query({ limit: limit(1000, 50) }),
        response: errors,
      },
    },
    async (req: Req<{ limit: number }>, reply) => {
      const row = await completed(req, reply);
      if (row === null) return;
      const ports = await getPorts(db, row.session_id, req.query.limit);
      return {
        ports: ports.map((p) => ({
          ...p,
          label: serviceLabel(p.protocol as 'tcp' | 'udp', p.port),
        })),
      };
    },
  );

  app.get(
    '/api/sessions/:id/tcp-health',
    {
      schema: { summary: 'TCP flag counts and health ratios', params: sessionParams, response: errors },
    },
    async (req: Req, reply) => {
      const s = await summaryParts(req, reply, 'tcp', 'protocols');
      if (s === null) return;
      return { ...s.tcp, tcp_packets: s.protocols.tcp };
    },
  );

  app.get(
    '/api/sessions/:id/distributions',
    {
      schema: {
        summary:
          'Packet-size and flow-duration distributions of the whole session (the bucket keys of the summary)',
        params: sessionParams,
        response: errors,
      },
    },
    async (req: Req, reply) => {
      const s = await summaryParts(req, reply, 'packet_size_distribution', 'flow_duration_distribution');
      if (s === null) return;
      return { packet_size: s.packet_size_distribution, flow_duration: s.flow_duration_distribution };
    },
  );

  app.get(
    '/api/sessions/:id/direction',
    {
      schema: {
        summary: 'Inbound, outbound, internal and external bytes and packets, with the local networks',
        params: sessionParams,
        response: errors,
      },
    },
    async (req: Req, reply) => {
      const s = await summaryParts(req, reply, 'direction');
      if (s === null) return;
      return s.direction;
    },
  );

  app.get(
    '/api/sessions/:id/anomalies',
    {
      schema: {
        summary: "Every window's anomaly score with the features that drove it",
        params: sessionParams,
        querystring: query({
          contributions: {
            type: 'boolean',
            default: true,
            description: "false leaves out each window's contributing_features (scores only)",
          },
        }),
        response: errors,
      },
    },
    async (req: Req<{ contributions: boolean }>, reply) => {
      const s = await summaryParts(req, reply, 'anomaly_model');
      if (s === null) return;
      const rows = await getAnomalies(db, req.params.id, req.query.contributions);
      const m = s.anomaly_model;
      return {
        threshold: m.threshold,
        model: m,
        features: m.features,
        anomalies: rows.map(({ threshold: _t, ...a }) => a),
      };
    },
  );

  app.get(
    '/api/sessions/:id/insights',
    {
      schema: {
        summary: 'Alerts and summary insights in capture-time order',
        params: sessionParams,
        querystring: query({
          type: { type: 'string', enum: ['alert', 'summary'] },
          severity: {
            type: 'string',
            pattern: '^(low|medium|high|critical)(,(low|medium|high|critical))*$',
            description: 'one severity or several, comma-separated',
          },
        }),
        response: errors,
      },
    },
    async (req: Req<{ type?: 'alert' | 'summary'; severity?: string }>, reply) => {
      const row = await completed(req, reply);
      if (row === null) return;
      const severities = req.query.severity ? req.query.severity.split(',') : null;
      return { insights: await getInsights(db, row.session_id, req.query.type ?? null, severities) };
    },
  );

  const EXPORTS = {
    csv: { type: 'text/csv; charset=utf-8', ext: 'csv' },
    json: { type: 'application/x-ndjson; charset=utf-8', ext: 'jsonl' },
    zeek: { type: 'text/plain; charset=utf-8', ext: 'conn.log' },
  } as const;

  app.get(
    '/api/sessions/:id/export',
    {
      schema: {
        summary: 'All flows as a download: CSV, JSON Lines or a Zeek conn.log',
        params: sessionParams,
        querystring: query({ format: { type: 'string', enum: ['csv', 'json', 'zeek'], default: 'csv' } }),
        produces: ['text/csv', 'application/x-ndjson', 'text/plain'],
        response: errors,
      },
    },
    async (req: Req<{ format: keyof typeof EXPORTS }>, reply) => {
      const row = await completed(req, reply);
      if (row === null) return;
      const kind = EXPORTS[req.query.format];
      const out = formatFlows(req.query.format, row.session_id, await sessionLocalNets(db, row.session_id));
      async function* body() {
        yield out.header;
        for await (const page of sessionFlows(db, row!.session_id)) yield out.page(page);
        yield out.footer;
      }
      return reply
        .type(kind.type)
        .header('content-disposition', `attachment; filename="flowlens-${row.session_id}.${kind.ext}"`)
        .send(Readable.from(body()));
    },
  );
}

/** A flows cursor: "<sort value>:<flow id>", the value as JSON wrote it (any finite number). */
const CURSOR_PATTERN = '^-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?:[0-9]{1,15}$';

function parseCursor(text: string): { value: number; id: number } | null {
  const colon = text.lastIndexOf(':');
  const value = Number(text.slice(0, colon));
  const id = Number(text.slice(colon + 1));
  return Number.isFinite(value) && Number.isSafeInteger(id) ? { value, id } : null;
}

/** Capture time (s) where window k of a session starts. */
function windowStart(row: SessionRow, k: number): number {
  const L = row.window_length ?? 1;
  return Math.floor(Number(row.first_ts ?? 0) / L) * L + k * L;
}
