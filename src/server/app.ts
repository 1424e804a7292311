import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import multipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { DirectoryStore } from '../store/index.js';
import { AnswerCache, registerAnswerCache } from './answer-cache.js';
import { allowedHostNames, checkRequest, hostAllowed } from './auth.js';
import { ClusterQueue } from './cluster-queue.js';
import type { ServerContext, ServerOptions } from './context.js';
import { FlowIndexer } from './indexer.js';
import { DEFAULT_LIMITS, registerLimits } from './limits.js';
import { FailedLogins, Logins } from './logins.js';
import { IngestQueue, type SessionQueue } from './queue.js';
import { dataRoutes } from './routes/data.js';
import { intelRoutes } from './routes/intel.js';
import { metaRoutes, VERSION } from './routes/meta.js';
import { packetRoutes } from './routes/packets.js';
import { searchRoutes } from './routes/search.js';
import { sessionRoutes } from './routes/sessions.js';
import { boundNumbers, parameterProblem } from './schemas.js';

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export interface App {
  app: FastifyInstance;
  queue: SessionQueue;
  /** The queue when ingests run in this process (null with `--workers 0`). */
  local: IngestQueue | null;
  indexer: FlowIndexer;
}

interface RouteDoc {
  method: string;
  url: string;
  schema: Record<string, unknown>;
}

/**
 * The Flowlens server: the API under /api (validated by JSON schemas, which also make the OpenAPI
 * document), Server-Sent Events for progress, the ingest queue and the built single-page app.
 */
export async function buildApp(
  options: ServerOptions,
  logger: FastifyServerOptions['logger'] = false,
): Promise<App> {
  mkdirSync(options.uploadsDir, { recursive: true });
  const cluster = options.cluster
    ? new ClusterQueue(options.db, options.cluster.channel, options.cluster.jobs)
    : null;
  await cluster?.start();
  const local = cluster ? null : new IngestQueue(options.concurrency);
  const queue: SessionQueue = cluster ?? (local as IngestQueue);
  const store = options.store ?? new DirectoryStore(options.uploadsDir);
  const indexer = new FlowIndexer(options.db, (id, err) =>
    app.log.error({ session: id, err }, 'indexing flows failed'),
  );
  const answers = new AnswerCache(options.answerCacheBytes);
  const ctx: ServerContext = {
    options,
    db: options.db,
    queue,
    store,
    local,
    cluster,
    indexer,
    answers,
    failures: new Map(),
    logins: options.token === null ? null : new Logins(options.db, options.token),
    failedLogins: new FailedLogins(),
  };
  const logError = options.logError ?? ((line: string) => process.stderr.write(`flowlens: ${line}\n`));
  const app = Fastify({
    logger,
    // A request id a user can quote from an error answer and find in the server's log.
    genReqId: () => randomBytes(6).toString('hex'),
    bodyLimit: 64 * 1024,
    // Unknown query parameters are refused rather than silently dropped: a typo should not
    // quietly return unfiltered data.
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: true, useDefaults: true, allErrors: false },
    },
  });

  app.setSchemaErrorFormatter((errors, where) => new Error(validationMessage(errors, where)));

  const routes: RouteDoc[] = [];
  app.addHook('onRoute', (r) => {
    if (!r.url.startsWith('/api/')) return;
    // A route that takes no query refuses one, as every other refuses parameters it does not
    // know (docs/API.md): a misspelt parameter must not be silently ignored.
    if (!r.schema?.querystring)
      r.schema = {
        ...r.schema,
        querystring: { type: 'object', properties: {}, additionalProperties: false },
      };
    for (const part of ['querystring', 'params', 'body'] as const) boundNumbers(r.schema?.[part]);
    if (r.method === 'HEAD') return;
    for (const method of [r.method].flat()) {
      if (method !== 'HEAD')
        routes.push({ method, url: r.url, schema: (r.schema ?? {}) as Record<string, unknown> });
    }
  });

  app.setErrorHandler(
    (err: Error & { statusCode?: number; validation?: unknown; code?: string }, req, reply) => {
      if (err.validation) return reply.code(400).send({ error: err.message });
      const status = err.statusCode ?? 500;
      if (status === 413 || err.code === 'FST_REQ_FILE_TOO_LARGE')
        return reply.code(413).send({ error: 'the request is larger than the limit' });
      if (status >= 400 && status < 500) return reply.code(status).send({ error: err.message });
      // The cause goes to the server's log under the request's id, which the client is given
      // (not the cause itself: a database's error text tells a stranger about the schema).
      req.log.error(err);
      logError(
        `request ${req.id} ${req.method} ${req.url.split('?')[0]} failed: ${err.stack ?? err.message}`,
      );
      return reply.code(500).send({
        error: `internal error: the server's log has the details under request ${req.id}`,
        request_id: req.id,
      });
    },
  );

  registerLimits(app, { ...DEFAULT_LIMITS, ...options.limits });

  const hostNames = allowedHostNames(options.host, options.hostNames);
  app.addHook('onRequest', async (req, reply) => {
    if (!hostAllowed(req.headers.host, hostNames)) {
      return reply.code(403).send({ error: `unexpected Host header '${req.headers.host ?? ''}'` });
    }
    if (!(await checkRequest(req, reply, options.token, ctx.logins))) return reply;
  });

  // After validation, which lets Infinity and NUL through (schemas.parameterProblem).
  app.addHook('preHandler', async (req, reply) => {
    const bad = parameterProblem({ querystring: req.query, params: req.params, body: req.body });
    if (bad !== null) return reply.code(400).send({ error: bad });
  });

  // Session ids are stored in lowercase; one pasted in capitals names the same session.
  app.addHook('preValidation', async (req) => {
    const params = req.params as { id?: unknown } | undefined;
    if (typeof params?.id === 'string') params.id = params.id.toLowerCase();
  });

  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-request-id', req.id);
    // The pages load only their own scripts (no inline script: index.html has none, and the
    // tooltips are built as DOM text); styles may be set inline by the charts.
    reply.header('content-security-policy', CSP);
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    return payload;
  });

  await app.register(multipart, {
    // The size limit truncates the file and sets `truncated`: the route still reads the whole
    // request, then answers 413 (a thrown error would cut the connection under the client).
    throwFileSizeLimit: false,
    limits: {
      fileSize: options.maxUploadBytes,
      // The capture, and an intel list for this upload (`intel`, a file of its own).
      files: 2,
      fields: 10,
      fieldSize: 4096,
      parts: 12,
      headerPairs: 100,
    },
  });

  registerAnswerCache(app, answers);
  metaRoutes(app, ctx, () => openApiDocument(routes));
  sessionRoutes(app, ctx);
  dataRoutes(app, ctx);
  packetRoutes(app, ctx);
  searchRoutes(app, ctx);
  intelRoutes(app, ctx);

  const web = options.webDir;
  const hasWeb = web !== null && existsSync(join(web, 'index.html'));
  if (hasWeb) {
    await app.register(fastifyStatic, {
      root: web,
      wildcard: false,
      index: false,
      cacheControl: false,
      // Built assets have content hashes in their names: they never change under one name.
      setHeaders: (res, path) => {
        res.header(
          'cache-control',
          path.includes(`${join('assets', '')}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      },
    });
  }
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0];
    if (path.startsWith('/api/') || path === '/api') {
      return reply.code(404).send({ error: `no such route: ${req.method} ${path}` });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply.code(404).send({ error: 'not found' });
    // A file that is not there (an asset of an older build) is a 404, not the app's page.
    if (path.startsWith('/assets/') || /\.[a-z0-9]+$/i.test(path)) {
      return reply.code(404).type('text/plain; charset=utf-8').send(`not found: ${path}\n`);
    }
    // Every other GET is a page of the single-page app, which routes it itself.
    if (hasWeb)
      return reply.sendFile('index.html', { cacheControl: false }).header('cache-control', 'no-cache');
    return reply
      .code(404)
      .type('text/plain; charset=utf-8')
      .send('The dashboard is not built: run `npm run build:web` (npm start does it), then reload.\n');
  });

  app.addHook('onClose', async () => {
    await queue.close();
    await indexer.close();
  });
  // With workers, each indexes the sessions it stored.
  if (!cluster) await indexer.addUnindexed();
  return { app, queue, local, indexer };
}

interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

/** One sentence naming the parameter: "querystring/limit must be <= 1000", "unknown parameter 'x'". */
function validationMessage(errors: SchemaError[], where: string): string {
  const e = errors[0];
  if (!e) return `${where} is not valid`;
  const at = `${where}${e.instancePath}`;
  if (e.keyword === 'additionalProperties')
    return `${at}: unknown parameter '${String(e.params.additionalProperty)}'`;
  if (e.keyword === 'enum') return `${at} must be one of ${(e.params.allowedValues as unknown[]).join(', ')}`;
  if (e.keyword === 'required') return `${at}: '${String(e.params.missingProperty)}' is required`;
  return `${at} ${e.message ?? 'is not valid'}`;
}

/** OpenAPI 3.1 from the routes' own schemas, so the document cannot drift from what is validated. */
function openApiDocument(routes: RouteDoc[]): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const url = r.url.replace(/:(\w+)/g, '{$1}');
    const s = r.schema;
    const parameters: unknown[] = [];
    for (const [where, key] of [
      ['path', 'params'],
      ['query', 'querystring'],
    ] as const) {
      const obj = s[key] as { properties?: Record<string, unknown>; required?: string[] } | undefined;
      for (const [name, schema] of Object.entries(obj?.properties ?? {})) {
        parameters.push({
          name,
          in: where,
          required: where === 'path' || (obj?.required ?? []).includes(name),
          schema,
        });
      }
    }
    const responses: Record<string, unknown> = {};
    for (const [code, schema] of Object.entries((s.response ?? {}) as Record<string, unknown>)) {
      const description = (schema as { description?: string }).description ?? code;
      // A 204 has no body, so it documents no content.
      responses[code] =
        code === '204' ? { description } : { description, content: { 'application/json': { schema } } };
    }
    if (!Object.keys(responses).some((c) => c.startsWith('2'))) {
      const types = (s.produces as string[] | undefined) ?? ['application/json'];
      responses['200'] = {
        description: 'OK',
        content: Object.fromEntries(types.map((t) => [t, {}])),
      };
    }
    const op: Record<string, unknown> = { summary: s.summary, parameters, responses };
    if (s.body) op.requestBody = { content: { 'application/json': { schema: s.body } } };
    if (s.consumes) op.requestBody = { content: { [(s.consumes as string[])[0]]: {} } };
    paths[url] ??= {};
    paths[url][r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Flowlens API',
      version: VERSION,
      description:
        'Sessions of analysed captures and their windows, flows, rankings, TCP health, distributions, direction, anomalies and insights. Definitions: the README (What the numbers mean), docs/DETECTION.md and docs/API.md.',
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        cookie: { type: 'apiKey', in: 'cookie', name: 'flowlens_session' },
      },
    },
    paths,
  };
}
