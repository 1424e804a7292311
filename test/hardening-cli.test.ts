import { createReadStream, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { createSession, failSession, openStore } from '../src/storage/index.js';
import { expectedFor, hasSharedPcaps, SHARED_PCAPS } from './helpers/shared.js';

/** Issue #22 item 6: names with terminal escapes printed by the CLI. */
const dir = mkdtempSync(join(tmpdir(), 'flowlens-tty-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const DB = join(dir, 'db');

/** Retitles an xterm, clears the screen, and a C1 CSI that moves the cursor up. */
const HOSTILE = 'evil\u001b]0;pwned\u0007\u001b[2J\u009b1A\rname';

/** The control characters of `s` other than the line break, as code points. */
function controls(s: string): number[] {
  return [...s]
    .map((c) => c.codePointAt(0) as number)
    .filter((c) => (c < 0x20 && c !== 0x0a) || (c >= 0x7f && c < 0xa0));
}

/** A stream that says it is (or is not) a terminal, collecting what is written. */
function stream(tty: boolean) {
  const s = new PassThrough() as PassThrough & { isTTY?: boolean };
  if (tty) s.isTTY = true;
  let text = '';
  s.on('data', (d) => (text += d));
  return { s, text: () => text };
}

describe('the command line on a terminal', () => {
  let id: string;
  beforeAll(async () => {
    const db = await openStore(DB);
    id = await createSession(db, { name: 'cleaned on the way in', fileName: 'x.pcap', fileSize: 1 });
    // As a database from before names were cleaned holds it (names from captures are not cleaned).
    await db.query('UPDATE pcap_sessions SET name = $2 WHERE session_id = $1', [id, HOSTILE]);
    await failSession(db, id, `the capture ${HOSTILE} is broken`);
    await db.close();
  }, 60_000);

  it('prints session names and errors to a terminal without any control character', async () => {
    const out = stream(true);
    const err = stream(true);
    expect(await main(['sessions', '--db', DB], { stdout: out.s, stderr: err.s })).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(out.text()).toContain('evil\uFFFD]0;pwned');
    expect(controls(out.text())).toEqual([]);
    expect(await main(['show', id, '--db', DB], { stdout: out.s, stderr: err.s })).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(err.text()).toContain('is broken');
    expect(controls(err.text())).toEqual([]);
  });

  it('writes to a pipe byte-exact, escapes and all', async () => {
    const out = stream(false);
    const err = stream(false);
    expect(await main(['sessions', '--db', DB], { stdout: out.s, stderr: err.s })).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(out.text()).toContain(HOSTILE);
  });
});

describe.skipIf(!hasSharedPcaps)('analyze - (a capture on standard input)', () => {
  const FILE = 'eth-mixed-services_var-services-std-ports.pcap';
  const spools = () => readdirSync(tmpdir()).filter((f) => f.startsWith('flowlens-stdin-')).length;

  it('reads a capture piped in, counts what tshark counts, and stores it as a session named stdin', async () => {
    const before = spools();
    const out = stream(false);
    const err = stream(false);
    const io = { stdin: createReadStream(`${SHARED_PCAPS}/real/${FILE}`), stdout: out.s, stderr: err.s };
    expect(await main(['analyze', '-', '--json', '--db', join(dir, 'stdin-db')], io), err.text()).toBe(0);
    await new Promise((r) => setImmediate(r));
    const summary = JSON.parse(out.text());
    const want = expectedFor(FILE);
    expect(summary.file.packets).toBe(want.packets);
    expect(summary.file.path).toBe('stdin');
    expect(summary.session_id).toMatch(/^[0-9a-f-]{36}$/);
    const list = stream(false);
    await main(['sessions', '--db', join(dir, 'stdin-db')], { stdout: list.s, stderr: err.s });
    await new Promise((r) => setImmediate(r));
    expect(list.text()).toContain('  stdin  ');
    expect(spools()).toBe(before);
  }, 120_000);

  it('refuses what is not a capture in one line naming stdin, and leaves no temporary file', async () => {
    const before = spools();
    const out = stream(false);
    const err = stream(false);
    const io = {
      stdin: Readable.from([Buffer.from('hello, not a capture\n')]),
      stdout: out.s,
      stderr: err.s,
    };
    expect(await main(['analyze', '-', '--no-store'], io)).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(err.text()).toMatch(/^flowlens: stdin: /);
    expect(err.text().trim().split('\n')).toHaveLength(1);
    expect(err.text()).not.toContain('flowlens-stdin-');
    expect(spools()).toBe(before);
  }, 60_000);
});
