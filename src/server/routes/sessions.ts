import { randomUUID } from 'node:crypto';
import { renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OptionError, resolveSettings, type SettingNames } from '../../analysis/index.js';
import { type IntelEntry, IntelError, parseIntelList } from '../../detect/index.js';
import { ingestCapture } from '../../ingest/index.js';
import {
  createSession,
  deleteSession,
  failSession,
  getSession,
  getSessionSummary,
  listSessions,
  type SessionRow,
  storedIntelEntries,
} from '../../storage/index.js';
import { keepAnswer } from '../answer-cache.js';
import { type ServerContext, sessionView } from '../context.js';
import { errorSchema, sessionParams, sessionSchema, UUID_PATTERN } from '../schemas.js';
import { displayFileName, formatLimit, saveUpload, UploadError } from '../upload.js';

const FIELD_NAMES = new Set(['name', 'local_nets', 'window', 'baseline']);

/** The most an upload's own intel list may hold; larger lists are kept on the server (settings). */
const INTEL_UPLOAD_MAX = 256 * 1024;

/** An intel list sent as a file part, as text, up to INTEL_UPLOAD_MAX bytes. */
async function readIntelPart(stream: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > INTEL_UPLOAD_MAX)
      throw new UploadError(
        400,
        `the intel list is larger than ${INTEL_UPLOAD_MAX / 1024} kB: keep it on the server (Intel lists)`,
      );
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
/** The upload form's names for the analysis settings (it has no field for the flow timeouts). */
const SETTING_FIELDS: SettingNames = {
  window: 'window',
  localNets: 'local_nets',
  flowTimeouts: 'flow_timeouts',
};
/** Room for a multipart body's boundaries, part headers and fields around the capture. */
const MULTIPART_SLACK = 64 * 1024;

/** The stored capture of a session: uploads are kept under the session's generated id. */
export function capturePath(ctx: ServerContext, sessionId: string): string {
  return join(ctx.options.uploadsDir, `${sessionId}.capture`);
}

export function sessionRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { db, queue, indexer, failures } = ctx;
  /** Sessions being deleted, resolved once their rows are gone (see the events stream). */
  const deleting = new Map<string, Promise<void>>();
  const view = (row: SessionRow) =>
    sessionView(row, queue.state(row.session_id), failures.get(row.session_id));

  /** Runs a job; if it fails, makes sure its session ends `failed` (the ingest may not have managed). */
  async function ensureFinished(sessionId: string, job: () => Promise<void>): Promise<void> {
    try {
      await job();
    } catch (err) {
      const reason = (err as Error).message;
      await failSession(db, sessionId, reason).catch((e: Error) => {
        failures.set(sessionId, `${reason} (not recorded in the database: ${e.message})`);
        app.log.error({ session: sessionId, err: e }, 'could not mark the session failed');
      });
      throw err;
    }
  }

  app.get(
    '/api/sessions',
    {
      schema: {
        summary: 'List sessions, newest first',
        response: {
          200: { type: 'object', properties: { sessions: { type: 'array', items: sessionSchema } } },
        },
      },
    },
    async () => ({
      sessions: (await listSessions(db)).map(view),
    }),
  );

  app.post(
    '/api/sessions',
    {
      schema: {
        summary: 'Upload a capture (multipart/form-data: file, optional name, local_nets, window, baseline)',
        consumes: ['multipart/form-data'],
        response: {
          202: { type: 'object', properties: { session_id: { type: 'string' } } },
          400: errorSchema,
          413: errorSchema,
          415: errorSchema,
          507: errorSchema,
        },
      },
    },
    async (req, reply) => {
      // A body declared larger than any upload allowed is refused before a byte of it is read.
      const declared = Number(req.headers['content-length']);
      if (declared > ctx.options.maxUploadBytes + MULTIPART_SLACK)
        return reply
          .code(413)
          .header('connection', 'close')
          .send({
            error: `the upload is larger than the upload limit of ${formatLimit(ctx.options.maxUploadBytes)}`,
          });
      if (!req.isMultipart()) {
        return reply
          .code(400)
          .send({ error: "send multipart/form-data with the capture in the field 'file'" });
      }
      const tmp = join(ctx.options.uploadsDir, `${randomUUID()}.part`);
      const fields: Record<string, string> = {};
      let fileName: string | null = null;
      let size = 0;
      // While the body is read, an error that is not the file system's is the body's own fault.
      let parsing = true;
      try {
        for await (const part of req.parts()) {
          if (part.type === 'file' && part.fieldname === 'intel') {
            fields.intel = await readIntelPart(part.file);
          } else if (part.type === 'file') {
            if (part.fieldname !== 'file')
              throw new UploadError(400, `unexpected file field '${part.fieldname}'`);
            if (fileName !== null)
              throw new UploadError(400, "send one capture per upload in the field 'file'");
            fileName = displayFileName(part.filename);
            size = await saveUpload(part.file, tmp, ctx.options.maxUploadBytes);
          } else {
            if (!FIELD_NAMES.has(part.fieldname))
              throw new UploadError(400, `unknown field '${part.fieldname}'`);
            if (part.valueTruncated) throw new UploadError(400, `field '${part.fieldname}' is too long`);
            fields[part.fieldname] = String(part.value);
          }
        }
        parsing = false;
        if (fileName === null)
          throw new UploadError(400, "the capture is missing: send it in the field 'file'");
        const file: string = fileName;
        const name = (fields.name ?? '').trim() || file;
        if (name.length > 200) throw new UploadError(400, 'name must be at most 200 characters');
        const settings = resolveSettings(
          {
            window: fields.window?.trim() || undefined,
            localNets: fields.local_nets ? [fields.local_nets] : undefined,
          },
          SETTING_FIELDS,
        );
        const baseline = fields.baseline?.trim() || undefined;
        if (baseline !== undefined) {
          if (!new RegExp(UUID_PATTERN).test(baseline))
            throw new UploadError(400, 'baseline must be a session id');
          const row = await getSession(db, baseline);
          if (row === null) throw new UploadError(400, `baseline session ${baseline} not found`);
          if (row.status !== 'completed')
            throw new UploadError(400, `baseline session ${baseline} is ${row.status}`);
        }
        // An intel list for this upload alone, beside the stored lists every analysis matches.
        let uploadIntel: IntelEntry[] = [];
        if (fields.intel?.trim()) {
          try {
            uploadIntel = parseIntelList(fields.intel, 'upload');
          } catch (e) {
            if (e instanceof IntelError) throw new UploadError(400, `intel: ${e.message}`);
            throw e;
          }
        }
        const intel = [...(await storedIntelEntries(db)), ...uploadIntel];
        const sessionId = await createSession(db, {
          name,
          fileName: file,
          fileSize: size,
          localNets: settings.localNets,
        });
        const path = capturePath(ctx, sessionId);
        renameSync(tmp, path);
        queue.add({
          sessionId,
          run: (signal, onProgress) =>
            ensureFinished(sessionId, async () => {
              await ingestCapture(db, path, {
                sessionId,
                fileName: file,
                // The summary names the capture as the user sent it, not by the server's folder.
                name: file,
                settings,
                baselineSessionId: baseline,
                intel,
                signal,
                onProgress,
              });
              indexer.add(sessionId);
            }),
        });
        return reply.code(202).send({ session_id: sessionId });
      } catch (err) {
        rmSync(tmp, { force: true });
        if (err instanceof UploadError) return reply.code(err.statusCode).send({ error: err.message });
        if (err instanceof OptionError) return reply.code(400).send({ error: err.message });
        const code = (err as { code?: string }).code;
        if (code === 'FST_FILES_LIMIT')
          return reply.code(400).send({ error: "send one capture per upload in the field 'file'" });
        if (code === 'FST_FIELDS_LIMIT' || code === 'FST_PARTS_LIMIT')
          return reply.code(400).send({ error: `too many form fields: ${(err as Error).message}` });
        if (parsing && (err as NodeJS.ErrnoException).syscall === undefined)
          return reply
            .code(400)
            .send({ error: `the multipart body is malformed: ${(err as Error).message}` });
        throw err;
      }
    },
  );

  app.get(
    '/api/sessions/:id',
    {
      schema: {
        summary: 'One session: status, progress and, once completed, its summary document',
        params: sessionParams,
        querystring: {
          type: 'object',
          properties: {
            anomalies: {
              type: 'boolean',
              default: true,
              description: "false leaves out the summary's per-window anomalies (see …/anomalies)",
            },
          },
          additionalProperties: false,
        },
        response: { 404: errorSchema },
      },
    },
    async (req: FastifyRequest<{ Params: { id: string }; Querystring: { anomalies: boolean } }>, reply) => {
      const row = await getSession(db, req.params.id);
      if (row === null) return notFound(reply, req.params.id);
      // Only a finished session's answer is final: a queued or running one's progress moves. The
      // row says finished a moment before its job lets go of the session (the view still shows
      // it running then), so the answer is kept only once nothing runs for it.
      const live = queue.state(row.session_id);
      if (!live && (row.status === 'completed' || row.status === 'failed')) keepAnswer(req);
      const summary =
        row.status === 'completed'
          ? await getSessionSummary(db, row.session_id, { withoutAnomalies: !req.query.anomalies })
          : null;
      return { session: sessionView(row, live, failures.get(row.session_id)), summary };
    },
  );

  app.get(
    '/api/sessions/:id/events',
    {
      schema: {
        summary: 'Progress of a session as Server-Sent Events: `progress` events, then one `end`',
        params: sessionParams,
        produces: ['text/event-stream'],
        response: { 404: errorSchema },
      },
    },
    async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
      const id = req.params.id;
      const row = await getSession(db, id);
      if (row === null) return notFound(reply, id);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      const send = (event: string, data: unknown) =>
        res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      let closed = false;
      let lastSent = 0;
      let lastPhase = '';
      const onProgress = (sid: string, state: NonNullable<ReturnType<typeof queue.state>>) => {
        if (sid !== id) return;
        const now = Date.now();
        // About four a second, but every change of phase at once.
        if (state.phase === lastPhase && now - lastSent < 250) return;
        lastSent = now;
        lastPhase = state.phase;
        send('progress', state);
      };
      const finish = async () => {
        if (closed) return;
        cleanup();
        // Ended by a delete (the cancel comes first): the end says so once the rows are gone.
        await deleting.get(id);
        const final = await getSession(db, id).catch(() => null);
        send(
          'end',
          final ? sessionView(final, undefined, failures.get(id)) : { session_id: id, status: 'deleted' },
        );
        res.end();
      };
      const onEnd = (sid: string) => {
        if (sid === id) void finish();
      };
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
      const cleanup = () => {
        closed = true;
        clearInterval(heartbeat);
        queue.off('progress', onProgress);
        queue.off('end', onEnd);
      };
      res.on('close', cleanup);
      const live = queue.state(id);
      if (!live) {
        await finish();
        return;
      }
      queue.on('progress', onProgress);
      queue.on('end', onEnd);
      send('progress', live);
      lastSent = Date.now();
      lastPhase = live.phase;
    },
  );

  app.delete(
    '/api/sessions/:id',
    {
      schema: {
        summary: 'Delete a session and everything stored with it (a running ingest is cancelled first)',
        params: sessionParams,
        response: { 204: { type: 'null', description: 'deleted' }, 404: errorSchema },
      },
    },
    async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
      const id = req.params.id;
      let deletedNow!: () => void;
      deleting.set(
        id,
        new Promise<void>((resolve) => {
          deletedNow = resolve;
        }),
      );
      let deleted: boolean;
      try {
        await queue.cancel(id);
        deleted = await deleteSession(db, id);
      } finally {
        deleting.delete(id);
        deletedNow();
      }
      // After the rows are gone; an answer still being made (it began before) is not kept either.
      ctx.answers.forgetSession(id);
      failures.delete(id);
      if (!deleted) return notFound(reply, id);
      rmSync(capturePath(ctx, id), { force: true });
      rmSync(`${capturePath(ctx, id)}.truth.json`, { force: true }); // a demo's ground truth
      return reply.code(204).send();
    },
  );

  const writeDemo = ctx.options.writeDemoCapture;
  if (writeDemo) {
    app.post(
      '/api/demo',
      {
        schema: {
          summary: 'Generate the labelled demo capture and analyse it as a new session',
          response: { 202: { type: 'object', properties: { session_id: { type: 'string' } } } },
        },
      },
      async (_req, reply) => {
        const fileName = 'flowlens-demo.pcap';
        const sessionId = await createSession(db, { name: 'Demo capture', fileName, fileSize: null });
        const path = capturePath(ctx, sessionId);
        queue.add({
          sessionId,
          run: (signal, onProgress) =>
            ensureFinished(sessionId, async () => {
              let name: string;
              try {
                ({ name } = await writeDemo(path, signal));
              } catch (err) {
                throw new Error(`the demo capture could not be written: ${(err as Error).message}`);
              }
              await db.query('UPDATE pcap_sessions SET file_size = $2, name = $3 WHERE session_id = $1', [
                sessionId,
                statSync(path).size,
                name,
              ]);
              await ingestCapture(db, path, { sessionId, fileName, name: fileName, signal, onProgress });
              indexer.add(sessionId);
            }),
        });
        return reply.code(202).send({ session_id: sessionId });
      },
    );
  }
}

export function notFound(reply: FastifyReply, id: string) {
  return reply.code(404).send({ error: `no session ${id}` });
}
