import { parseArgs } from 'node:util';
import {
  type ExportFormat,
  formatFlows,
  formatLogs,
  getSession,
  LOG_KINDS,
  type LogKind,
  openStore,
  sessionFlows,
  sessionLocalNets,
  sessionLogs,
} from '../../storage/index.js';
import { DB_OPTION, dbTarget, sessionIdArg, UsageError } from '../args.js';
import { type CliIo, type ErrorLine, EXIT_OK, EXIT_REJECTED } from '../io.js';

/** `flowlens export ID --flows | --log dns|http|tls`: a session's flows or one of its logs on stdout. */
export async function run(args: string[], io: CliIo, err: ErrorLine): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...DB_OPTION,
      flows: { type: 'boolean', default: false },
      log: { type: 'string' },
      format: { type: 'string', default: 'csv' },
    },
  });
  const id = sessionIdArg(positionals, 'export');
  const log = values.log as LogKind | undefined;
  if (log !== undefined && !LOG_KINDS.includes(log))
    throw new UsageError(`--log must be dns, http or tls, not '${log}'`);
  if (values.flows === (log !== undefined))
    throw new UsageError('export needs --flows or --log dns|http|tls (one of them)');
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
    if (log !== undefined) {
      const out = formatLogs(log, format, id);
      io.stdout.write(out.header);
      for await (const page of sessionLogs(db, id, log)) io.stdout.write(out.page(page));
      io.stdout.write(out.footer);
      return EXIT_OK;
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
