import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * Issue #22 item 9: every documented way to start finds the dashboard built. `npm install` in a
 * git clone (or of a git dependency) runs `prepare`, which must build the pages as well as the
 * server; `npm pack`/`publish` runs it too, and `files` must then carry the pages into the package.
 */
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  scripts: Record<string, string>;
  files: string[];
};

/** The npm scripts a script runs, followed through `npm run X` (one level is all there is). */
function runs(script: string): string[] {
  const body = pkg.scripts[script] ?? '';
  return [...body.matchAll(/npm run ([\w:-]+)/g)].flatMap((m) => [m[1], ...runs(m[1])]);
}

describe('installing the package', () => {
  it('`npm install` (prepare) builds the dashboard as well as the server', () => {
    expect(runs('prepare')).toEqual(expect.arrayContaining(['build', 'build:web']));
  });

  it.skipIf(!existsSync('dist/web/index.html'))(
    'the packed package carries the built dashboard',
    () => {
      // --ignore-scripts: what `files` takes from the tree as it is (the build is the test above's).
      const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
        encoding: 'utf8',
      });
      const files = (JSON.parse(out) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
      expect(files).toContain('dist/web/index.html');
      expect(files.some((f) => /^dist\/web\/assets\/.+\.js$/.test(f))).toBe(true);
      expect(files).toContain('bin/flowlens.js');
      expect(files).toContain('dist/src/cli/main.js');
    },
    60_000,
  );
});
