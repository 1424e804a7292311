import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OptionError, resolveSettings, type SettingNames } from '../../analysis/index.js';
import { type IntelEntry, IntelError, parseIntelList } from '../../detect/index.js';
import { cleanName } from '../../format/text.js';
import { ingestCapture } from '../../ingest/index.js';
import { applyRetention, removeKeptCopy } from '../../packets/index.js';
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
import { errorSchema, sessionParams, sessionSchema, textFieldProblem, UUID_PATTERN } from '../schemas.js';
import { displayFileName, formatLimit, saveUpload, UploadError } from '../upload.js';

const FIELD_NAMES = new Set(['name', 'local_nets', 'window', 'baseline', 'logs']);

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

/** A session's capture in the store: uploads are kept under the session's generated id. */
export function captureKey(sessionId: string): string {
  return `${sessionId}.capture`;
}

/**
 * Where a session's capture is on this machine when the store is the uploads folder (the default);
 * the demo writes there.
 */
export function capturePath(ctx: ServerContext, sessionId: string): string {
  return join(ctx.options.uploadsDir, captureKey(sessionId));
}

/** The store could not take an upload (a bucket or mount that is away): the API answers 503. */
class StoreUnavailable extends Error {}

export function sessionRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { db, queue, indexer, failures } = ctx;
  /** Sessions being deleted, resolved once their rows are gone (see the events stream). */
  const deleting = new Map<string, Promise<void>>();
  /** `--keep-captures`: frees the oldest kept copies the rule does not allow; their answers are stale. */
  async function retain(): Promise<void> {
    const rule = ctx.options.retention;
    if (!rule) return;
    for (const f of await applyRetention(db, rule, Date.now(), ctx.store)) {
      ctx.answers.forgetSession(f.session_id);
      app.log.info({ session: f.session_id, bytes: f.bytes }, 'kept capture freed by --keep-captures');
    }
  }
  retain().catch((err: Error) => app.log.error({ err }, 'could not apply --keep-captures'));
  const view = (row: SessionRow) => sessionView(row, queue.track(row), failures.get(row.session_id));

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
          200: {
            type: 'object',
            properties: {
              sessions: { type: 'array', items: sessionSchema },
              kept_captures_bytes: { type: 'number', description: 'disk all kept capture copies use' },
            },
          },
        },
      },
    },
    async () => {
      const sessions = (await listSessions(db)).map(view);
      return { sessions, kept_captures_bytes: sessions.reduce((s, r) => s + r.kept_capture_bytes, 0) };
    },
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
          503: errorSchema,
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
            const value = String(part.value);
            // A name is cleaned (as the file's name is); any other field is refused with one.
            const problem = part.fieldname === 'name' ? null : textFieldProblem(part.fieldname, value);
            if (problem !== null) throw new UploadError(400, problem);
            fields[part.fieldname] = part.fieldname === 'name' ? cleanName(value) : value;
          }
        }
        parsing = false;
        if (fileName === null)
          throw new UploadError(400, "the capture is missing: send it in the field 'file'");
        const file: string = fileName;
        const name = fields.name || file;
        if (name.length > 200) throw new UploadError(400, 'name must be at most 200 characters');
        const logs = fields.logs?.trim();
        if (logs !== undefined && logs !== 'true' && logs !== 'false')
          throw new UploadError(400, `logs must be 'true' or 'false', not '${logs.slice(0, 20)}'`);
        const settings = resolveSettings(
          {
            window: fields.window?.trim() || undefined,
            localNets: fields.local_nets ? [fields.local_nets] : undefined,
            logs: logs !== 'false',
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
        const key = captureKey(sessionId);
        try {
          await ctx.store.putFile(key, tmp);
          if (ctx.cluster) await ctx.cluster.submit({ sessionId, key, fileName: file, settings, baseline });
        } catch (err) {
          const why = `the upload could not be queued: ${(err as Error).message}`;
          await failSession(db, sessionId, why).catch(() => undefined);
          throw new StoreUnavailable(why);
        }
        ctx.local?.add({
          sessionId,
          run: (signal, onProgress) =>
            ensureFinished(sessionId, async () => {
              const tmpDir = mkdtempSync(join(tmpdir(), 'flowlens-capture-'));
              const local = await ctx.store.localFile(key, tmpDir, signal);
              try {
                await ingestCapture(db, local.path, {
                  sessionId,
                  fileName: file,
                  // The summary names the capture as the user sent it, not by the server's folder.
                  name: file,
                  // The store's own file, or an object in S3 read back by ranges: a copy Flowlens keeps either way.
                  keptCopy: true,
                  captureRef: local.lasting ? undefined : { path: local.ref, mtimeMs: local.mtimeMs },
                  settings,
                  baselineSessionId: baseline,
                  intel,
                  signal,
                  onProgress,
                });
              } finally {
                local.release();
                rmSync(tmpDir, { recursive: true, force: true });
              }
              indexer.add(sessionId);
              await retain();
            }),
        });
        return reply.code(202).send({ session_id: sessionId });
      } catch (err) {
        rmSync(tmp, { force: true });
        if (err instanceof UploadError) return reply.code(err.statusCode).send({ error: err.message });
        if (err instanceof StoreUnavailable) return reply.code(503).send({ error: err.message });
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
      const live = queue.track(row);
      // Whether its packets are available is not final for a user's own file (referenced by a CLI
      // analysis), which may move or change at any time: that answer is never kept. A kept copy
      // changes only through Flowlens (retention, delete), which forget the answer.
      const referenced = row.capture_path !== null && !row.capture_kept;
      if (!live && !referenced && (row.status === 'completed' || row.status === 'failed')) keepAnswer(req);
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
      const live = queue.track(row);
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
      let row: SessionRow | null = null;
      try {
        await queue.cancel(id);
        row = await getSession(db, id);
        deleted = await deleteSession(db, id);
      } finally {
        deleting.delete(id);
        deletedNow();
      }
      // After the rows are gone; an answer still being made (it began before) is not kept either.
      ctx.answers.forgetSession(id);
      failures.delete(id);
      if (!deleted) return notFound(reply, id);
      await ctx.store.delete(captureKey(id)).catch((err: Error) => {
        // The session is gone; a capture left in the store is only space (logged, for the operator).
        req.log.warn({ session: id, err }, 'could not delete the capture from the store');
      });
      rmSync(capturePath(ctx, id), { force: true }); // a demo written here
      rmSync(`${capturePath(ctx, id)}.truth.json`, { force: true }); // a demo's ground truth
      if (row) await removeKeptCopy(row, ctx.store); // an `analyze --keep` copy, wherever it is kept
      return reply.code(204).send();
    },
  );

  // The demo is written and analysed in this process: not on an API node of a deployment with workers.
  const writeDemo = ctx.local ? ctx.options.writeDemoCapture : undefined;
  let lastDemo: { at: number; id: string | null } | null = null;
  /** Seconds until another demo may start: 60 after the last, and not while it is analysed. */
  const demoWait = () => {
    if (lastDemo === null) return 0;
    const running = lastDemo.id !== null && queue.state(lastDemo.id) !== undefined;
    const left = Math.ceil((lastDemo.at + DEMO_INTERVAL_MS - Date.now()) / 1000);
    return Math.max(left, running ? 10 : 0);
  };
  if (writeDemo) {
    app.post(
      '/api/demo',
      {
        schema: {
          summary: 'Generate the labelled demo capture and analyse it as a new session',
          response: {
            202: { type: 'object', properties: { session_id: { type: 'string' } } },
            429: errorSchema,
          },
        },
      },
      async (_req, reply) => {
        // Each demo writes about 230 MB and takes the ingest queue for a while: one at a time,
        // and at most one a minute.
        const wait = demoWait();
        if (wait > 0)
          return reply
            .code(429)
            .header('retry-after', String(wait))
            .send({ error: `a demo capture was just requested: try again in ${wait} s` });
        lastDemo = { at: Date.now(), id: null };
        const fileName = 'flowlens-demo.pcap';
        const sessionId = await createSession(db, { name: 'Demo capture', fileName, fileSize: null });
        lastDemo.id = sessionId;
        const path = capturePath(ctx, sessionId);
        ctx.local?.add({
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
              await ingestCapture(db, path, {
                sessionId,
                fileName,
                name: fileName,
                keptCopy: true,
                signal,
                onProgress,
              });
              indexer.add(sessionId);
              await retain();
            }),
        });
        return reply.code(202).send({ session_id: sessionId });
      },
    );
  }
}

/** Time between two demo captures. */
const DEMO_INTERVAL_MS = 60_000;

export function notFound(reply: FastifyReply, id: string) {
  return reply.code(404).send({ error: `no session ${id}` });
}
