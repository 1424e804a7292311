import { parseArgs } from 'node:util';
import { deleteSession, openStore } from '../../storage/index.js';
import { DB_OPTION, dbTarget, sessionIdArg } from '../args.js';
import { type CliIo, type ErrorLine, EXIT_OK, EXIT_REJECTED } from '../io.js';

/** `flowlens delete ID`: a session and everything stored with it. */
export async function run(args: string[], io: CliIo, err: ErrorLine): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...DB_OPTION } });
  const id = sessionIdArg(positionals, 'delete');
  const db = await openStore(dbTarget(values.db));
  try {
    if (!(await deleteSession(db, id))) {
      err(`no session ${id}`);
      return EXIT_REJECTED;
    }
    io.stdout.write(`deleted session ${id}\n`);
    return EXIT_OK;
  } finally {
    await db.close();
  }
}
