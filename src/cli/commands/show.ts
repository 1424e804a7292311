import { parseArgs } from 'node:util';
import { getSession, getSessionSummary, openStore } from '../../storage/index.js';
import { DB_OPTION, dbTarget, sessionIdArg } from '../args.js';
import { type CliIo, type ErrorLine, EXIT_OK, EXIT_REJECTED } from '../io.js';
import { humanSummary } from '../summary-text.js';

/** `flowlens show ID`: a stored session's summary. */
export async function run(args: string[], io: CliIo, err: ErrorLine): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...DB_OPTION, json: { type: 'boolean', default: false } },
  });
  const id = sessionIdArg(positionals, 'show');
  const db = await openStore(dbTarget(values.db));
  try {
    const summary = await getSessionSummary(db, id);
    if (summary === null) {
      const row = await getSession(db, id);
      err(row ? `session ${id} is ${row.status}${row.error ? `: ${row.error}` : ''}` : `no session ${id}`);
      return EXIT_REJECTED;
    }
    io.stdout.write(values.json ? `${JSON.stringify(summary, null, 2)}\n` : humanSummary(summary));
    return EXIT_OK;
  } finally {
    await db.close();
  }
}
