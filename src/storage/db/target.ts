import { homedir } from 'node:os';
import { join } from 'node:path';

// Where a database is, from what a user gave; no driver is loaded here (the CLI's usage text
// and argument checks need these before any database is opened).

/** The embedded database's folder when neither --db nor DATABASE_URL says otherwise. */
export function defaultDbDir(): string {
  const base = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(base, 'flowlens', 'db');
}

/** Whether `target` names a PostgreSQL server rather than an embedded database's folder. */
export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//.test(target);
}

/** Whether `target` is a URL of another kind than PostgreSQL's (a typo must not become a folder). */
export function isForeignUrl(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(target) && !isPostgresUrl(target);
}
