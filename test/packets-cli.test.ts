import { execFileSync, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  renameSync,
  rmSync,
  utimesSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasTshark, readBack, tsharkFrames } from './helpers/extract.js';
import { hasSharedPcaps, SHARED_PCAPS } from './helpers/shared.js';

// `flowlens packets`, `analyze --keep`, `sessions`, `delete` and `--keep-captures` as a user runs
// them: the built bin in a child process, on a temporary embedded database.
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = `${ROOT}bin/flowlens.js`;
const dir = mkdtempSync(join(tmpdir(), 'flowlens-packets-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const DB = join(dir, 'db');
const KEPT = `${DB}.uploads`;
const WIKI = 'eth-dns-http-v4v6_wikipedia.pcap';
const ECHO = 'eth-icmp-echo_5-pings.pcap';

function flowlens(...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0', XDG_DATA_HOME: dir };
  delete env.DATABASE_URL;
  const r = spawnSync(process.execPath, [BIN, ...args, '--db', DB], { env, maxBuffer: 1 << 28 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

/** Analyses a file, returning its session id and its stored flows (from `export --flows`). */
function analyse(file: string, ...flags: string[]) {
  const r = flowlens('analyze', file, '--json', ...flags);
  expect(r.code, r.stderr).toBe(0);
  const id = JSON.parse(r.stdout.toString()).session_id as string;
  const flows = flowlens('export', id, '--flows', '--format', 'json')
    .stdout.toString()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  return { id, flows };
}

/** A copy of a real capture in the test's folder (a user's file the test may move and change). */
function userCopy(file: string, as: string): string {
  const path = join(dir, as);
  copyFileSync(`${SHARED_PCAPS}/real/${file}`, path);
  return path;
}

beforeAll(() => {
  if (!existsSync(`${ROOT}dist/src/cli/main.js`))
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT });
}, 120_000);

describe.skipIf(!hasSharedPcaps)('flowlens packets', () => {
  it('writes a flow on stdout, as tshark reads it from a pipe, exactly the frames of that flow', {
    timeout: 300_000,
  }, () => {
    const path = userCopy(WIKI, 'wiki.pcap');
    const { id, flows } = analyse(path);
    const flow = flows.reduce((a, f) => (f.packet_count > a.packet_count ? f : a));
    const r = flowlens('packets', id, '--flow', String(flow.flow_id));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^flowlens: ${flow.packet_count} packets \\(`));
    if (hasTshark()) {
      // A shell pipe, as a user types it (tshark refuses a socket as its standard input).
      const env: NodeJS.ProcessEnv = { ...process.env, XDG_DATA_HOME: dir };
      delete env.DATABASE_URL;
      const shell = spawnSync(
        'sh',
        [
          '-c',
          'node "$1" packets "$2" --flow "$3" --db "$4" | tshark -r - -T fields -e frame.number',
          'sh',
          BIN,
          id,
          String(flow.flow_id),
          DB,
        ],
        { env, encoding: 'utf8' },
      );
      expect(shell.stdout.trim().split('\n').length, shell.stderr).toBe(flow.packet_count);
    }
    const out = join(dir, 'flow.pcap');
    expect(flowlens('packets', id, '--flow', String(flow.flow_id), '-o', out).code).toBe(0);
    if (hasTshark()) {
      const p = flow.protocol.toLowerCase();
      const filter = `ip.addr == ${flow.src_ip} && ip.addr == ${flow.dst_ip} && ${p}.port == ${flow.src_port} && ${p}.port == ${flow.dst_port}`;
      // Only one flow on that tuple in this capture: the filter needs no time span.
      expect(tsharkFrames(out)).toEqual(tsharkFrames(path, filter));
    }
  });

  it('a host over a time range, and bad flags, each say what is wrong in one line', {
    timeout: 300_000,
  }, async () => {
    const path = userCopy(ECHO, 'echo.pcap');
    const { id } = analyse(path);
    const r = flowlens('packets', id, '--host', '10.0.0.1', '--from', '0', '--to', '9999999999');
    expect(r.code, r.stderr).toBe(0);
    expect((await readBack(r.stdout)).records.length).toBeGreaterThanOrEqual(0);
    for (const [args, message] of [
      [['--flow', '999999'], /has no flow 999999/],
      [['--alert', '1', '--flow', '1'], /choose one selection/],
      [['--host', 'nope'], /not an IPv4 or IPv6 address/],
      [[], /say which packets/],
    ] as [string[], RegExp][]) {
      const bad = flowlens('packets', id, ...args);
      expect(bad.code, args.join(' ')).toBe(1);
      expect(bad.stderr).toMatch(message);
      expect(bad.stderr.trim().split('\n').length).toBe(1);
      expect(bad.stdout.length).toBe(0);
    }
  });

  it('a moved, a changed and a deleted capture each give the one-line message, exit 1 and no file', () => {
    const cases: [string, (p: string) => void][] = [
      ['moved', (p) => renameSync(p, `${p}.moved`)],
      ['changed', (p) => appendFileSync(p, Buffer.alloc(16))],
      ['touched', (p) => utimesSync(p, new Date(), new Date(Date.now() + 5000))],
      ['deleted', (p) => rmSync(p)],
    ];
    const paths = cases.map(([what]) => userCopy(WIKI, `${what}.pcap`));
    const r = flowlens('analyze', ...paths, '--json');
    expect(r.code, r.stderr).toBe(0);
    const ids = (JSON.parse(r.stdout.toString()) as { session_id: string }[]).map((s) => s.session_id);
    cases.forEach(([what, change], i) => {
      change(paths[i]);
      const out = join(dir, `${what}-out.pcap`);
      const res = flowlens('packets', ids[i], '--flow', '1', '-o', out);
      expect(res.code, what).toBe(1);
      expect(res.stderr, what).toMatch(
        new RegExp(
          `^flowlens: the capture behind this session changed since it was analysed: ${paths[i]} .*\\n$`,
        ),
      );
      expect(existsSync(out), what).toBe(false);
      expect(existsSync(`${out}.part`), what).toBe(false);
    });
    const listed = flowlens('sessions').stdout.toString().split('\n');
    for (const id of ids)
      expect(listed.find((l) => l.startsWith(id))).toMatch(/changed since it was analysed/);
  }, 300_000);

  it('--keep reads a copy of its own: the original can go, and delete removes the copy but never the user file', {
    timeout: 300_000,
  }, () => {
    const path = userCopy(ECHO, 'kept.pcap');
    const { id } = analyse(path, '--keep');
    const copy = join(KEPT, `${id}.capture`);
    expect(existsSync(copy)).toBe(true);
    renameSync(path, `${path}.elsewhere`);
    const r = flowlens('packets', id, '--from', '0', '--to', '9999999999');
    expect(r.code, r.stderr).toBe(0);
    if (hasTshark()) expect(tsharkFrames(join(dir, 'kept.pcap.elsewhere')).length).toBeGreaterThan(0);
    const listed = flowlens('sessions').stdout.toString();
    expect(listed.split('\n').find((l) => l.startsWith(id))).toMatch(/\[packets: kept copy\]/);
    const referenced = analyse(`${path}.elsewhere`).id;
    expect(flowlens('delete', id).code).toBe(0);
    expect(existsSync(copy)).toBe(false);
    expect(flowlens('delete', referenced).code).toBe(0);
    expect(existsSync(`${path}.elsewhere`)).toBe(true);
  });

  it('--keep-captures frees the oldest copies beyond a size and marks their sessions "packets no longer kept"', {
    timeout: 300_000,
  }, () => {
    const older = analyse(userCopy(WIKI, 'r1.pcap'), '--keep').id;
    const newer = analyse(userCopy(WIKI, 'r2.pcap'), '--keep').id;
    const before = flowlens('sessions').stdout.toString();
    expect(before).toMatch(/kept captures: 54\.9 kB in /);
    // Room for one copy: the older one goes.
    const r = flowlens('sessions', '--keep-captures', '30kB');
    expect(r.stderr).toMatch(/freed 1 kept capture \(27\.5 kB\)/);
    const lines = r.stdout.toString().split('\n');
    expect(lines.find((l) => l.startsWith(older))).toMatch(/packets no longer kept/);
    expect(lines.find((l) => l.startsWith(newer))).toMatch(/\[packets: kept copy\]/);
    expect(r.stdout.toString()).toMatch(/kept captures: 27\.5 kB in /);
    expect(existsSync(join(KEPT, `${older}.capture`))).toBe(false);
    const gone = flowlens('packets', older, '--window', '0');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^flowlens: packets no longer kept/);
    // A days rule keeps copies younger than it.
    expect(flowlens('sessions', '--keep-captures', '30').stderr).not.toMatch(/freed/);
    expect(flowlens('sessions', '--keep-captures', 'lots').code).toBe(2);
  });
});
