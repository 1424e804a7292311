import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Worker threads run compiled scripts. This module sits below every folder that starts one
// (analysis, storage, ingest, generate), so each finds its script here without importing upward.

/**
 * The compiled script at `path` under src/ (`'analysis/flow-worker.js'`). In the built package it
 * is dist/src/`path`; when the caller runs from TypeScript source (tests), the build's copy is used
 * if there is one, else null: the caller then does the work in its own thread.
 */
export function compiledScript(path: string): string | null {
  const here = fileURLToPath(import.meta.url);
  const src = join(here, '..', '..');
  if (here.endsWith('.js')) return join(src, path);
  const built = join(src, '..', 'dist', 'src', path);
  return existsSync(built) ? built : null;
}

/**
 * The Node flags a worker gets: the process' own, except those that only make sense for the main
 * script (`--input-type` is refused by a worker started from a file) and the process-wide V8 flag
 * `--expose-gc` (a worker refuses it; the bench runs with it, and the worker shares it anyway).
 */
export function workerExecArgv(): string[] {
  return process.execArgv.filter(
    (a, i, all) =>
      !a.startsWith('--input-type') &&
      all[i - 1] !== '--input-type' &&
      a !== '--expose-gc' &&
      a !== '--expose_gc',
  );
}
