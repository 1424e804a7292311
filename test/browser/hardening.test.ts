import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession, failSession } from '../../src/storage/index.js';
import {
  browserTestsReady,
  launchPage,
  SCREENSHOT_DIR as OUT,
  startTestServer,
  type TestServer,
} from '../helpers/browser.js';

/**
 * Issue #22 in Chromium at 1440×900: signing out, hostile names and long errors on the Sessions
 * page, and the Overview's small charts. Screenshots go to test-output/screenshots (hardening-*).
 */
const ready = browserTestsReady('browser tests of issue #22');
const TOKEN = 'correct horse battery staple';

describe.skipIf(!ready)('signing out of the dashboard', () => {
  let ts: TestServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    ts = await startTestServer('flowlens-browser-signout-', { token: TOKEN });
    ({ browser, page } = await launchPage());
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await ts?.close();
  });

  it('"Sign out" in the header ends the login: the form comes back and the old cookie no longer works', async () => {
    await page.goto(`${ts.base}/sessions`, { waitUntil: 'networkidle' });
    await page.getByLabel('Token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('No captures analysed yet.').waitFor();
    const cookie = (await page.context().cookies()).find((c) => c.name === 'flowlens_session');
    expect(cookie?.httpOnly).toBe(true);
    const header = `flowlens_session=${cookie?.value}`;
    expect((await fetch(`${ts.base}/api/sessions`, { headers: { cookie: header } })).status).toBe(200);
    const signOut = page.locator('header.topbar').getByRole('button', { name: 'Sign out' });
    await signOut.waitFor();
    await page.screenshot({ path: join(OUT, 'hardening-sign-out.png') });
    await signOut.click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect((await fetch(`${ts.base}/api/sessions`, { headers: { cookie: header } })).status).toBe(401);
    await page.reload({ waitUntil: 'networkidle' });
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  }, 60_000);
});

describe.skipIf(!ready)('hostile names and long errors on the Sessions page', () => {
  let ts: TestServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    ts = await startTestServer('flowlens-browser-names-');
    ({ browser, page } = await launchPage());
    const db = ts.server.db;
    const failed = await createSession(db, { name: 'מחקר capture', fileName: 'research.pcap', fileSize: 10 });
    await failSession(db, failed, `the capture could not be read: ${'0123456789abcdef'.repeat(40)}`);
    const spoof = await createSession(db, { name: 'x', fileName: 'x.pcap', fileSize: 10 });
    await failSession(db, spoof, 'cut short');
    // As a database written before names were cleaned holds it.
    await db.query('UPDATE pcap_sessions SET name = $2 WHERE session_id = $1', [
      spoof,
      'invoice\u202Egpj.exe',
    ]);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await ts?.close();
  });

  it('wraps a long error inside the table at 1440 px and shows names isolated, without bidi overrides', async () => {
    await page.goto(`${ts.base}/sessions`, { waitUntil: 'networkidle' });
    const table = page.locator('table').first();
    await table.getByText('cut short').waitFor();
    // (A string: the tests' TypeScript has no DOM types.)
    const widths = (await page.evaluate(`(() => {
      const t = document.querySelector('table');
      return { page: document.documentElement.scrollWidth, table: t.scrollWidth, box: t.parentElement.clientWidth };
    })()`)) as { page: number; table: number; box: number };
    expect(widths.page, 'the page scrolls sideways').toBeLessThanOrEqual(1440);
    expect(widths.table, 'the table is wider than its card').toBeLessThanOrEqual(widths.box);
    const spoof = table.getByText('invoicegpj.exe');
    expect(await spoof.evaluate((e) => e.tagName)).toBe('BDI');
    expect(await table.innerText()).not.toContain('\u202E');
    expect(await table.getByText('מחקר capture').evaluate((e) => e.tagName)).toBe('BDI');
    await page.screenshot({ path: join(OUT, 'hardening-sessions-names.png') });
  }, 60_000);
});
