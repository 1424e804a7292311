import { dirname, join } from 'node:path';
import { defaultDbDir } from '../storage/db/target.js';

// The demo's defaults without the generator or the ingest: the CLI's usage text names them.

export const DEMO_DURATION_S = 1800;

/** Where the demo capture goes by default: beside the embedded database, in Flowlens' data folder. */
export function defaultDemoDir(): string {
  return join(dirname(defaultDbDir()), 'demo');
}
