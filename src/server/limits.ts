import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export interface Limits {
  /** A request body that sends nothing for this long is cut off (its upload removed). */
  bodyIdleTimeoutMs: number;
  /** Uploads read at once; more get 503 with Retry-After. */
  maxUploads: number;
  /** Open connections (event streams included); beyond it requests get 503 with Retry-After. */
  maxConnections: number;
}

export const DEFAULT_LIMITS: Limits = { bodyIdleTimeoutMs: 30_000, maxUploads: 4, maxConnections: 256 };

/** Seconds a refused client is asked to wait before trying again. */
const RETRY_AFTER_S = 5;

function hasBody(req: FastifyRequest): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

const isUpload = (req: FastifyRequest) => req.method === 'POST' && req.url.split('?')[0] === '/api/sessions';

/**
 * What one client may hold: a body that stops arriving is cut off after the idle timeout (the
 * upload route then removes its partial file, as for any failed read), and uploads and
 * connections beyond their caps are refused at once with 503 and Retry-After, before a byte of a
 * body is read. Without these a stalled upload held its socket and file for ever.
 */
export function registerLimits(app: FastifyInstance, limits: Limits): void {
  let connections = 0;
  app.server.on('connection', (socket: Socket) => {
    connections++;
    socket.once('close', () => connections--);
  });
  // Beyond twice the cap the system refuses the connection itself: the 503s stay bounded too.
  app.server.maxConnections = limits.maxConnections * 2;

  let uploads = 0;
  app.addHook('onRequest', async (req, reply) => {
    const refuse = (what: string) =>
      reply
        .code(503)
        .header('retry-after', String(RETRY_AFTER_S))
        .header('connection', 'close')
        .send({ error: `${what}: try again in ${RETRY_AFTER_S} s` });
    if (connections > limits.maxConnections)
      return refuse(`the server has its limit of ${limits.maxConnections} connections open`);
    if (isUpload(req)) {
      if (uploads >= limits.maxUploads)
        return refuse(`the server is receiving its limit of ${limits.maxUploads} uploads at once`);
      uploads++;
      let counted = true;
      const done = () => {
        if (counted) uploads--;
        counted = false;
      };
      req.raw.once('close', done);
      reply.raw.once('close', done);
    }
    const socket = req.raw.socket as Socket | undefined;
    // (Injected requests, in tests, have a stand-in socket without timers.)
    if (hasBody(req) && typeof socket?.setTimeout === 'function') {
      const idle = () => socket.destroy();
      socket.setTimeout(limits.bodyIdleTimeoutMs, idle);
      // Once the body is in, the socket's idleness is the response's or keep-alive's business.
      const stop = () => {
        socket.setTimeout(0);
        socket.off('timeout', idle);
      };
      req.raw.once('end', stop);
      req.raw.once('close', stop);
    }
  });
}
