import { OptionError } from '../analysis/options.js';
import { defaultDbDir, isForeignUrl } from '../storage/db/target.js';
import { SESSION_ID_PATTERN } from '../storage/session-id.js';

// Argument checks shared by the commands. A UsageError ends the command with exit code 2.

export class UsageError extends Error {}

/** The --db option of every command that opens the database. */
export const DB_OPTION = { db: { type: 'string' } } as const;

/** Where sessions are kept: --db, else DATABASE_URL, else the embedded database's folder. */
export function dbTarget(flag: string | undefined): string {
  const target = flag ?? process.env.DATABASE_URL ?? defaultDbDir();
  if (isForeignUrl(target))
    throw new UsageError(
      `${flag === undefined ? 'DATABASE_URL' : '--db'} '${target}' is neither a folder nor a postgres:// URL`,
    );
  return target;
}

/** The one session ID a command takes, lower-cased. */
export function sessionIdArg(positionals: string[], command: string): string {
  const id = positionals[0];
  if (!id || positionals.length > 1)
    throw new UsageError(`${command} needs one session ID (see 'flowlens sessions')`);
  if (!new RegExp(SESSION_ID_PATTERN, 'i').test(id)) throw new UsageError(`'${id}' is not a session ID`);
  // Sessions are stored with lowercase ids; a pasted uppercase one means the same session.
  return id.toLowerCase();
}

/** Runs `fn`, turning a bad option value (an OptionError) into a usage error. */
export function asUsage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof OptionError) throw new UsageError(e.message);
    throw e;
  }
}
