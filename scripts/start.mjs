#!/usr/bin/env node
// `npm start`: builds what is missing or older than its sources, then runs `flowlens serve` with
// the arguments given after `npm start --`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function newest(dir) {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

function stale(output, ...sources) {
  if (!existsSync(output)) return true;
  const built = statSync(output).mtimeMs;
  return sources.some((s) => newest(join(root, s)) > built);
}

function run(script) {
  const r = spawnSync('npm', ['run', script], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (stale(join(root, 'dist/src/cli/main.js'), 'src')) run('build');
if (existsSync(join(root, 'web')) && stale(join(root, 'dist/web/index.html'), 'web')) run('build:web');

const r = spawnSync(process.execPath, [join(root, 'bin/flowlens.js'), 'serve', ...process.argv.slice(2)], {
  stdio: 'inherit',
});
process.exit(r.status ?? 0);
