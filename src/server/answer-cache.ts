import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * Answers about completed sessions never change (a session is immutable once its ingest commits),
 * so the JSON of each one is kept, up to a memory budget, and sent again without touching the
 * database: opening a page a second time costs no query. Deleting a session forgets its answers.
 */
export class AnswerCache {
  private readonly entries = new Map<string, string>();
  private bytes = 0;
  /**
   * Moves on with every forgetting: an answer whose request began before a session was deleted
   * may have read it before the delete, so it is sent but not kept (a delete is rare; a request
   * about another session missing the cache once costs little).
   */
  epoch = 0;

  constructor(private readonly budget = 128 * 1024 * 1024) {}

  get(key: string): string | undefined {
    const v = this.entries.get(key);
    if (v !== undefined) {
      // Most recently used last: the first entries are the ones to drop.
      this.entries.delete(key);
      this.entries.set(key, v);
    }
    return v;
  }

  set(key: string, body: string): void {
    if (this.budget === 0 || body.length > this.budget / 8) return;
    this.forgetKey(key);
    this.entries.set(key, body);
    this.bytes += body.length;
    for (const [k] of this.entries) {
      if (this.bytes <= this.budget) break;
      this.forgetKey(k);
    }
  }

  forgetSession(sessionId: string): void {
    this.epoch++;
    for (const k of [...this.entries.keys()]) if (k.startsWith(`${sessionId}\n`)) this.forgetKey(k);
  }

  private forgetKey(key: string): void {
    const v = this.entries.get(key);
    if (v === undefined) return;
    this.entries.delete(key);
    this.bytes -= v.length;
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by a route whose answer is about a completed session (so it may be kept). */
    cacheable: boolean;
    /** The cache's epoch when the request began (see AnswerCache.epoch). */
    cacheEpoch: number;
  }
}

/** Marks the request's answer as one that can be kept. */
export function keepAnswer(req: FastifyRequest): void {
  req.cacheable = true;
}

/**
 * What an answer is kept under: the session, the route and the validated query, never the raw URL
 * (`/api/sessions/%31…` names the same session as `/api/sessions/1…`, and a delete must forget
 * both). Null for a request that is not about one session.
 */
function answerKey(req: FastifyRequest): string | null {
  const id = (req.params as { id?: unknown } | undefined)?.id;
  const route = req.routeOptions?.url;
  if (typeof id !== 'string' || route === undefined || !route.startsWith('/api/sessions/:id')) return null;
  const query = Object.entries((req.query as Record<string, unknown> | undefined) ?? {}).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  return `${id}\n${route}\n${JSON.stringify(query)}`;
}

export function registerAnswerCache(app: FastifyInstance, cache: AnswerCache): void {
  app.decorateRequest('cacheable', false);
  app.decorateRequest('cacheEpoch', 0);
  app.addHook('preHandler', async (req, reply) => {
    req.cacheEpoch = cache.epoch;
    if (req.method !== 'GET') return;
    const key = answerKey(req);
    const body = key === null ? undefined : cache.get(key);
    if (body === undefined) return;
    return reply.header('content-type', 'application/json; charset=utf-8').send(body);
  });
  app.addHook('onSend', async (req, reply, payload) => {
    if (
      req.cacheable &&
      req.cacheEpoch === cache.epoch &&
      reply.statusCode === 200 &&
      typeof payload === 'string'
    ) {
      const key = answerKey(req);
      if (key !== null) cache.set(key, payload);
    }
    return payload;
  });
}
