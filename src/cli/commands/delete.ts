import { parseArgs } from 'node:util';
import { removeKeptCopy } from '../../packets/index.js';
import { deleteSession, getSession, openStore } from '../../storage/index.js';
import { DB_OPTION, dbTarget, sessionIdArg } from '../args.js';
import { type CliIo, type ErrorLine, EXIT_OK, EXIT_REJECTED } from '../io.js';

/** `flowlens delete ID`: a session and everything stored with it, its kept capture copy too (never the user's own file). */
export async function run(args: string[], io: CliIo, err: ErrorLine): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...DB_OPTION } });
  const id = sessionIdArg(positionals, 'delete');
  const db = await openStore(dbTarget(values.db));
  try {
    const row = await getSession(db, id);
    if (!(await deleteSession(db, id))) {
      err(`no session ${id}`);
      return EXIT_REJECTED;
    }
    if (row) await removeKeptCopy(row);
    io.stdout.write(`deleted session ${id}\n`);
    return EXIT_OK;
  } finally {
    await db.close();
  }
}
