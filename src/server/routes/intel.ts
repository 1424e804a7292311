import type { FastifyInstance } from 'fastify';
import { IntelError, parseIntelList } from '../../detect/index.js';
import { deleteIntelList, listIntelLists, saveIntelList } from '../../storage/index.js';
import type { ServerContext } from '../context.js';
import { errorSchema } from '../schemas.js';

/**
 * Intel lists kept in the database (the dashboard's settings page): every analysis started after
 * a list is saved matches against it (docs/DETECTION.md, "Intel lists").
 */
export function intelRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { db } = ctx;
  const errors = { 400: errorSchema, 404: errorSchema, 409: errorSchema };
  const listSchema = {
    type: 'object',
    properties: {
      list_id: { type: 'integer' },
      name: { type: 'string' },
      entry_count: { type: 'integer' },
      created_at: { type: 'string' },
    },
  } as const;

  app.get(
    '/api/intel-lists',
    { schema: { summary: 'The stored intel lists (name, entries)', response: errors } },
    async () => ({
      lists: await listIntelLists(db),
    }),
  );

  app.post(
    '/api/intel-lists',
    {
      schema: {
        summary:
          'Store an intel list: IPs, networks, domains, JA3/JA4 hashes, one a line or CSV with a description',
        body: {
          type: 'object',
          required: ['name', 'text'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 100 },
            text: { type: 'string', maxLength: 900_000 },
          },
        },
        response: { 201: listSchema, ...errors },
      },
    },
    async (req, reply) => {
      const { name, text } = req.body as { name: string; text: string };
      const listName = name.trim();
      if (listName === '') return reply.code(400).send({ error: 'body/name must not be blank' });
      let entries: ReturnType<typeof parseIntelList>;
      try {
        entries = parseIntelList(text, listName);
      } catch (e) {
        if (e instanceof IntelError) return reply.code(400).send({ error: e.message });
        throw e;
      }
      if (entries.length === 0)
        return reply.code(400).send({ error: `${listName}: the list has no entries` });
      const saved = await saveIntelList(db, listName, entries);
      if (saved === null)
        return reply.code(409).send({ error: `an intel list named '${listName}' exists already` });
      return reply.code(201).send(saved);
    },
  );

  app.delete(
    '/api/intel-lists/:listId',
    {
      schema: {
        summary: 'Delete a stored intel list',
        params: {
          type: 'object',
          required: ['listId'],
          properties: { listId: { type: 'integer', minimum: 1, maximum: 2147483647 } },
        },
        response: { 204: { type: 'null', description: 'deleted' }, ...errors },
      },
    },
    async (req, reply) => {
      const { listId } = req.params as { listId: number };
      if (!(await deleteIntelList(db, listId)))
        return reply.code(404).send({ error: `intel list ${listId} not found` });
      return reply.code(204).send();
    },
  );
}
