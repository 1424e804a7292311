import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * The databases a test file runs on: the embedded PGlite always, in a fresh folder removed after
 * the file's tests, and a PostgreSQL server when TEST_DATABASE_URL names one (CI starts one and
 * requires it). `what` names the tests in the message when PostgreSQL is skipped.
 */
export function databaseBackends(what: string): [name: string, target: () => string][] {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) {
    if (process.env.CI)
      throw new Error(`CI needs TEST_DATABASE_URL: the ${what} tests on PostgreSQL may not be skipped`);
    console.warn(`skipped: ${what} tests on PostgreSQL (TEST_DATABASE_URL not set)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-db-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const backends: [string, () => string][] = [['PGlite', () => join(dir, 'pglite')]];
  if (url) backends.push(['PostgreSQL', () => url]);
  return backends;
}
