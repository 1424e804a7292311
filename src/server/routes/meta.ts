import type { FastifyInstance } from 'fastify';
import { authState, COOKIE, cookieValue, tokenMatches } from '../auth.js';
import type { ServerContext } from '../context.js';
import { LOGIN_TTL_S } from '../logins.js';
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
      const s = await authState(req, ctx.options.token, ctx.logins);
      return { required: s.required, authenticated: s.authenticated };
    },
  );

  app.post(
    '/api/login',
    {
      schema: {
        summary:
          'Exchange the token for a login: an HttpOnly cookie with a random login id, valid 7 days or until logout',
        body: {
          type: 'object',
          properties: { token: { type: 'string', minLength: 1, maxLength: 1024 } },
          required: ['token'],
          additionalProperties: false,
        },
        response: {
          204: { type: 'null', description: 'logged in' },
          400: errorSchema,
          401: errorSchema,
          429: errorSchema,
        },
      },
    },
    async (req, reply) => {
      const { token } = req.body as { token: string };
      const expected = ctx.options.token;
      if (expected === null || ctx.logins === null) return reply.code(204).send();
      const wait = ctx.failedLogins.refuse(req.ip);
      if (wait !== null)
        return reply
          .code(429)
          .header('retry-after', String(wait))
          .send({ error: `too many wrong tokens: try again in ${wait} s` });
      if (!tokenMatches(token, expected)) {
        await ctx.failedLogins.fail(req.ip);
        return reply.code(401).send({ error: 'wrong token' });
      }
      ctx.failedLogins.succeed(req.ip);
      const id = await ctx.logins.create();
      return reply
        .code(204)
        .header('set-cookie', `${COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${LOGIN_TTL_S}`)
        .send();
    },
  );

  app.post(
    '/api/logout',
    {
      schema: {
        summary: 'End the login: the server forgets its id and the cookie is cleared',
        response: { 204: { type: 'null', description: 'logged out' } },
      },
    },
    async (req, reply) => {
      await ctx.logins?.end(cookieValue(req.headers.cookie, COOKIE));
      return reply
        .code(204)
        .header('set-cookie', `${COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`)
        .send();
    },
  );
}
