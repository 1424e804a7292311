import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { DbError } from './db.js';

/** Creates the database's parent folder, or says in one line why it cannot. */
export function makeFolder(folder: string, dir: string): void {
  try {
    mkdirSync(folder, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'EEXIST' || code === 'ENOTDIR'
        ? `${(err as NodeJS.ErrnoException).path ?? folder} is a file, not a folder`
        : code === 'EACCES' || code === 'EPERM'
          ? `permission denied (${code})`
          : code === 'EROFS'
            ? 'the file system is read-only (EROFS)'
            : code === 'ENOSPC'
              ? 'the disk is full (ENOSPC)'
              : (err as Error).message;
    throw new DbError(`cannot open the database in ${dir}: ${reason}`);
  }
}

/**
 * PGlite has no lock between processes: two writers would corrupt the folder. A lock file holds
 * the owner's pid; one left by a process that no longer runs is taken over.
 */
export function takeLock(path: string, dir: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new DbError(`cannot lock ${dir}: ${(err as NodeJS.ErrnoException).code ?? err}`);
      }
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processRuns(pid)) {
        throw new DbError(`the database ${dir} is in use by another Flowlens process (pid ${pid})`);
      }
      if (pid === process.pid) throw new DbError(`the database ${dir} is already open in this process`);
      unlinkSync(path); // stale: its owner has exited
    }
  }
  throw new DbError(`cannot lock ${dir}`);
}

export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
