import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { AnswerCache, keepAnswer, registerAnswerCache } from '../src/server/answer-cache.js';

/** The server's cache of answers about completed sessions (src/server/answer-cache.ts). */
describe('the answer cache', () => {
  it('does not keep an answer that was being made while its session was deleted', async () => {
    const cache = new AnswerCache();
    const app = Fastify();
    registerAnswerCache(app, cache);
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let reading!: () => void;
    const read = new Promise<void>((r) => {
      reading = r;
    });
    let served = 0;
    app.get('/api/sessions/:id', async (req) => {
      served++;
      keepAnswer(req);
      // The session's rows were read; the delete lands before the answer is sent.
      reading();
      await gate;
      return { session: 'completed' };
    });
    const pending = app.inject({ method: 'GET', url: '/api/sessions/a' });
    await read;
    cache.forgetSession('a');
    release();
    expect((await pending).json()).toEqual({ session: 'completed' });
    // The next request reaches the route again (which would answer 404 for a deleted session).
    await app.inject({ method: 'GET', url: '/api/sessions/a' });
    expect(served).toBe(2);
    // An answer made with nothing deleted meanwhile is kept and sent again without the route.
    await app.inject({ method: 'GET', url: '/api/sessions/a' });
    expect(served).toBe(2);
    await app.close();
  });
});
