import { execFileSync, spawnSync } from 'node:child_process';

/**
 * tshark (Debian's 4.0 in CI) is the oracle for the protocol logs. A machine without it skips those
 * tests with a message; CI must have it.
 */
export const hasTshark = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;

if (!hasTshark) {
  if (process.env.CI) throw new Error('CI needs tshark for the protocol-log tests, and it is missing');
  console.warn('skipped: tests against tshark (tshark not found)');
}

/** Separates the items of a field that occurs more than once in a frame. */
export const AGGREGATOR = '\u0001';

/**
 * One row per frame that passes `filter`, one array per field with that field's items (empty when
 * the frame has none).
 */
export function tsharkFields(
  path: string,
  filter: string,
  fields: string[],
  extra: string[] = [],
): string[][][] {
  const args = ['-r', path, ...extra, '-Y', filter, '-T', 'fields', '-E', 'occurrence=a'];
  args.push('-E', `aggregator=${AGGREGATOR}`, '-E', 'separator=\t');
  for (const f of fields) args.push('-e', f);
  const out = execFileSync('tshark', args, {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t').map((v) => (v === '' ? [] : v.split(AGGREGATOR))));
}
