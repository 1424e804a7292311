import { parseArgs } from 'node:util';
import {
  type ExportFormat,
  formatFlows,
  getSession,
  openStore,
  sessionFlows,
  sessionLocalNets,
} from '../../storage/index.js';
import { DB_OPTION, dbTarget, sessionIdArg, UsageError } from '../args.js';
import { type CliIo, type ErrorLine, EXIT_OK, EXIT_REJECTED } from '../io.js';

/** `flowlens export ID --flows`: a session's flows on stdout. */
export async function run(args: string[], io: CliIo, err: ErrorLine): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...DB_OPTION,
      flows: { type: 'boolean', default: false },
      format: { type: 'string', default: 'csv' },
    },
  });
  const id = sessionIdArg(positionals, 'export');
  if (!values.flows) throw new UsageError('export needs --flows (the flows are what can be exported)');
  const format = values.format as ExportFormat;
  if (!['csv', 'json', 'zeek'].includes(format))
    throw new UsageError(`--format must be csv, json or zeek, not '${format}'`);
  const db = await openStore(dbTarget(values.db));
  try {
    const row = await getSession(db, id);
    if (row === null || row.status !== 'completed') {
      // A failed session has no flows, and one still loading has none to show yet.
      err(row ? `session ${id} is ${row.status}${row.error ? `: ${row.error}` : ''}` : `no session ${id}`);
      return EXIT_REJECTED;
    }
    const out = formatFlows(format, id, await sessionLocalNets(db, id));
    io.stdout.write(out.header);
    for await (const page of sessionFlows(db, id)) io.stdout.write(out.page(page));
    io.stdout.write(out.footer);
    return EXIT_OK;
  } finally {
    await db.close();
  }
}
