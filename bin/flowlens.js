#!/usr/bin/env node
// Runs the compiled CLI; `npm install` builds it (the package's prepare script).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    'flowlens: not built yet: run `npm install` (or `npm run build`) in the project folder\n',
  );
  process.exit(1);
}
// A closed pipe (`flowlens export … | head`) ends the output, not the process with a stack trace.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
