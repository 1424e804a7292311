import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { createSession, failSession, openStore } from '../src/storage/index.js';

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
