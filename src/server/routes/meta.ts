import type { FastifyInstance } from 'fastify';
import { authState, COOKIE, tokenMatches } from '../auth.js';
import type { ServerContext } from '../context.js';
import { errorSchema } from '../schemas.js';

export const VERSION = '0.1.0';

export function metaRoutes(app: FastifyInstance, ctx: ServerContext, openapi: () => unknown): void {
  app.get(
    '/api/health',
    {
      schema: {
        summary: 'Liveness: answers without the database, so it stays fast while ingests run',
        response: {
          200: {
            type: 'object',
            properties: {
              status: { type: 'string' },
              version: { type: 'string' },
              database: { type: 'string' },
              demo: { type: 'boolean', description: 'whether POST /api/demo is there' },
              queue: {
                type: 'object',
                properties: { running: { type: 'integer' }, queued: { type: 'integer' } },
              },
            },
          },
        },
      },
    },
    async () => ({
      status: 'ok',
      version: VERSION,
      database: ctx.db.kind,
      demo: ctx.options.writeDemoCapture !== undefined && ctx.local !== null,
      queue: ctx.queue.counts(),
    }),
  );

  app.get('/api/openapi.json', { schema: { summary: 'This API as an OpenAPI 3.1 document' } }, async () =>
    openapi(),
  );

  app.get(
    '/api/auth',
    {
      schema: {
        summary: 'Whether a token is required and whether this request carries it',
        response: {
          200: {
            type: 'object',
            properties: { required: { type: 'boolean' }, authenticated: { type: 'boolean' } },
          },
        },
      },
    },
    async (req) => {
      const s = authState(req, ctx.options.token);
      return { required: s.required, authenticated: s.authenticated };
    },
  );

  app.post(
    '/api/login',
    {
      schema: {
        summary: 'Exchange the token for an HttpOnly cookie (for the pages)',
        body: {
          type: 'object',
          properties: { token: { type: 'string', minLength: 1, maxLength: 1024 } },
          required: ['token'],
          additionalProperties: false,
        },
        response: { 204: { type: 'null', description: 'logged in' }, 400: errorSchema, 401: errorSchema },
      },
    },
    async (req, reply) => {
      const { token } = req.body as { token: string };
      const expected = ctx.options.token;
      if (expected === null) return reply.code(204).send();
      if (!tokenMatches(token, expected)) return reply.code(401).send({ error: 'wrong token' });
      return reply
        .code(204)
        .header(
          'set-cookie',
          `${COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=2592000`,
        )
        .send();
    },
  );

  app.post(
    '/api/logout',
    {
      schema: {
        summary: 'Clear the login cookie',
        response: { 204: { type: 'null', description: 'logged out' } },
      },
    },
    async (_req, reply) =>
      reply.code(204).header('set-cookie', `${COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`).send(),
  );
}
