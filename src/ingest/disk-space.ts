import { statfsSync, statSync } from 'node:fs';

export class DiskSpaceError extends Error {
  override name = 'DiskSpaceError';
}

/**
 * PGlite does not recover well from a disk that fills up in the middle of a COPY (the error it
 * gives is not the disk's, and the connection can be left unusable), so the space a load needs is
 * checked before it starts: the rows' CSV about three times over (table, indexes, write-ahead log).
 */
export function ensureSpaceForLoad(dataDir: string, spoolFiles: string[]): void {
  let csv = 0;
  for (const f of spoolFiles) {
    try {
      csv += statSync(f).size;
    } catch {
      // a table without rows has no spool file
    }
  }
  ensureSpace(dataDir, csv, 'the load needs');
}

/**
 * Refuses, with the figures, when `dataDir`'s disk has less room than rows of `bytes` take there
 * (table, indexes, write-ahead log: three times over) plus a write-ahead log segment.
 */
export function ensureSpace(dataDir: string, bytes: number, what: string): void {
  const need = bytes * 3 + 16 * 1024 * 1024;
  let free: number;
  try {
    const s = statfsSync(dataDir);
    free = s.bavail * s.bsize;
  } catch {
    return; // no way to tell: let the load try
  }
  if (free < need) {
    throw new DiskSpaceError(
      `not enough free disk space for the database in ${dataDir}: ${what} about ${mb(need)}, ${mb(free)} is free`,
    );
  }
}

function mb(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}
