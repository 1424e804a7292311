import { closeSync, openSync, writeSync } from 'node:fs';

// CSV spool files: rows written as the analysis makes them, COPYed when the load runs.

/**
 * A CSV field: null → empty (SQL NULL), strings quoted so commas, quotes and newlines survive, NUL
 * characters (which PostgreSQL text cannot hold) as U+FFFD.
 */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 't' : 'f';
  const s = typeof v === 'string' ? v.replaceAll('\0', '\uFFFD') : JSON.stringify(v);
  return `"${s.replace(/"/g, '""')}"`;
}

/** Appends lines to a file through a 1 MiB buffer of text. */
export class Spool {
  private fd: number;
  private pending: string[] = [];
  private bytes = 0;
  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }
  line(s: string): void {
    this.pending.push(s);
    this.bytes += s.length;
    if (this.bytes > 1 << 20) this.flush();
  }
  flush(): void {
    if (this.pending.length === 0) return;
    writeSync(this.fd, this.pending.join(''));
    this.pending = [];
    this.bytes = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
