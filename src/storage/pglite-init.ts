import { openStore } from './store.js';

/**
 * Makes a new PGlite database folder (initdb and the migrations) in a process of its own, then
 * exits: PGlite's first start keeps about 500 MB in the WebAssembly memory of whatever runs it, and
 * that memory never shrinks, so the process that goes on to use the database should not be the one
 * that made it (see `openStore`). Usage: node pglite-init.js DIR
 */
const dir = process.argv[2];
try {
  const db = await openStore(dir, { cluster: true, noInitProcess: true });
  await db.close();
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exitCode = 1;
}
