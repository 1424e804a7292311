import { Transform, type TransformCallback } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  CaptureChangedError,
  type PacketRequest,
  PacketsError,
  planSessionPackets,
  writePlannedPackets,
} from '../../packets/index.js';
import { FLOW_PROTOCOLS } from '../../storage/index.js';
import { StoreError } from '../../store/index.js';
import type { ServerContext } from '../context.js';
import { errorSchema, sessionParams } from '../schemas.js';

/**
 * Bytes held back before the answer starts: a selection that ends within it gets a
 * Content-Length and an `X-Flowlens-Packets` count (0 for an empty but valid capture); a larger
 * one streams (chunked) with memory flat, and a failure after the start cuts the connection, so a
 * partial file is never presented as whole.
 */
const HOLD_BYTES = 1 << 20;

const TIME = {
  type: 'string',
  minLength: 1,
  maxLength: 40,
  description: 'seconds since 1970 (up to 9 decimals) or ISO 8601',
};
const ADDRESS = { type: 'string', minLength: 2, maxLength: 45 };

export function packetRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get(
    '/api/sessions/:id/packets',
    {
      schema: {
        summary:
          'The packets of a flow, alert, window, time range, host, host pair or flow filter, as pcap (pcapng when the capture needs it), byte for byte',
        params: sessionParams,
        produces: ['application/vnd.tcpdump.pcap', 'application/x-pcapng'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            flow: { type: 'integer', minimum: 0, description: 'a flow id (flows endpoint)' },
            alert: { type: 'integer', minimum: 1, description: 'an alert id (alerts endpoint)' },
            window: { type: 'integer', minimum: 0, description: 'a window id' },
            from: TIME,
            to: TIME,
            host: { ...ADDRESS, description: 'packets to or from this address (with from/to, within them)' },
            hosts: {
              type: 'string',
              minLength: 5,
              maxLength: 91,
              description: 'A,B: packets between two addresses',
            },
            ip: ADDRESS,
            port: { type: 'integer', minimum: 0, maximum: 65535 },
            protocol: { type: 'string', enum: [...FLOW_PROTOCOLS] },
            window_from: { type: 'integer', minimum: 0 },
            window_to: { type: 'integer', minimum: 0 },
          },
        },
        response: {
          400: errorSchema,
          404: errorSchema,
          409: errorSchema,
          410: errorSchema,
          503: errorSchema,
        },
      },
    },
    async (
      req: FastifyRequest<{ Params: { id: string }; Querystring: PacketRequest }>,
      reply: FastifyReply,
    ) => {
      let plan: Awaited<ReturnType<typeof planSessionPackets>>;
      try {
        plan = await planSessionPackets(ctx.db, req.params.id, req.query, { store: ctx.store });
      } catch (err) {
        if (err instanceof PacketsError) {
          // The capture went away or changed behind Flowlens: the session's kept answer is stale.
          if (err.statusCode === 409 || err.statusCode === 410) ctx.answers.forgetSession(req.params.id);
          return reply.code(err.statusCode).send({ error: err.message });
        }
        throw err;
      }
      const stop = new AbortController();
      // The client went away: stop reading the capture.
      reply.raw.on('close', () => {
        if (!reply.raw.writableFinished) stop.abort(new Error('the client closed the connection'));
      });
      const body = new Held();
      const full = new Promise<void>((resolve) => {
        body.onFull = resolve;
      });
      const done = writePlannedPackets(plan, body, { signal: stop.signal });
      let result: Awaited<typeof done> | null = null;
      try {
        result = await Promise.race([done, full.then(() => null)]);
      } catch (err) {
        body.destroy();
        if (err instanceof CaptureChangedError) return reply.code(409).send({ error: err.message });
        // An S3 store away or refusing: the capture is there, but cannot be read now.
        if (err instanceof StoreError) return reply.code(503).send({ error: err.message });
        if (stop.signal.aborted) return reply;
        throw err;
      }
      reply
        .header('content-type', plan.contentType)
        .header('content-disposition', `attachment; filename="${plan.fileName}"`)
        .header('cache-control', 'no-store');
      if (result !== null) {
        reply.header('content-length', body.bytes).header('x-flowlens-packets', result.packets);
      } else {
        // Streaming: a failure from here on cuts the connection (the chunked body never ends).
        done.catch((err: Error) => {
          if (!stop.signal.aborted) req.log.warn({ err }, 'packet extraction failed while streaming');
          body.destroy(err);
        });
      }
      return reply.send(body);
    },
  );
}

/** Passes the capture through, counting it, and says when a hold's worth has been written. */
class Held extends Transform {
  bytes = 0;
  onFull: (() => void) | null = null;

  constructor() {
    super({ highWaterMark: HOLD_BYTES });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    cb(null, chunk);
    if (this.bytes >= HOLD_BYTES && this.onFull) {
      const f = this.onFull;
      this.onFull = null;
      f();
    }
  }
}
