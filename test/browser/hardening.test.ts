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
  uploadCompleted,
} from '../helpers/browser.js';
import { udpFrame, writeCapture } from '../helpers/packets.js';
import { SHARED_PCAPS } from '../helpers/shared.js';

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

describe.skipIf(!ready)("the Overview's small charts at 1440 px", () => {
  let ts: TestServer;
  let browser: Browser;
  let page: Page;
  const ids: [string, string][] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    ts = await startTestServer('flowlens-browser-axes-');
    ids.push([
      'real 37 s',
      await uploadCompleted(ts.base, `${SHARED_PCAPS}/real/eth-mixed-services_var-services-std-ports.pcap`),
    ]);
    // Spans where the small charts' ticks came closer than their labels' width ("18:48:5018:48:55").
    for (const span of [9.6, 48]) {
      const frames = Array.from({ length: Math.round(span * 5) + 1 }, (_, i) => ({
        sec: 1_700_000_000 + Math.floor(i / 5),
        nsec: (i % 5) * 200_000_000,
        data: udpFrame('10.0.0.1', '10.0.0.2', 5000 + (i % 7), 53, Buffer.alloc(40)),
      }));
      ids.push([`${span} s`, await uploadCompleted(ts.base, writeCapture(frames, `span-${span}.pcap`))]);
    }
    ({ browser, page } = await launchPage());
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await ts?.close();
  });

  it('print time labels that never run into each other, and tooltips as plain text under the CSP', async () => {
    for (const [what, id] of ids) {
      await page.goto(`${ts.base}/sessions/${id}`, { waitUntil: 'networkidle' });
      await page.locator('[data-x-labels]').first().waitFor();
      await page.waitForTimeout(500);
      // Each chart's labels, measured in the chart's own font; per line (two-line labels).
      const overlaps = (await page.evaluate(`(() => {
      const ctx = document.createElement('canvas').getContext('2d');
      const out = [];
      for (const el of document.querySelectorAll('[data-x-labels]')) {
        const canvas = el.querySelector('canvas');
        const font = getComputedStyle(el).font;
        ctx.font = '11px ' + getComputedStyle(el).fontFamily;
        const labels = JSON.parse(el.dataset.xLabels);
        for (let line = 0; line < 2; line++) {
          let prev = null;
          for (const [x, text] of labels) {
            const t = text.split('\\n')[line];
            if (!t) continue;
            const w = ctx.measureText(t).width;
            if (prev && prev.x + prev.w / 2 + 3 > x - w / 2) out.push(prev.t + ' | ' + t + ' (' + el.getAttribute('aria-label') + ')');
            prev = { x, w, t };
          }
        }
      }
      return { charts: document.querySelectorAll('[data-x-labels]').length, out };
    })()`)) as { charts: number; out: string[] };
      expect(overlaps.charts, what).toBeGreaterThanOrEqual(3);
      expect(overlaps.out, what).toEqual([]);
      await page.screenshot({ path: join(OUT, `hardening-overview-axes-${what.replace(/\W+/g, '-')}.png`) });
    }
    // A tooltip: text nodes, no markup from the data.
    const plot = page.locator('[data-x-labels] .u-over').first();
    const box = await plot.boundingBox();
    if (box) await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.waitForTimeout(300);
    expect(errors.filter((e) => /Content Security Policy|Refused/i.test(e))).toEqual([]);
  }, 60_000);

  it('pages the flows table by key: Next asks for the rows after the last one shown', async () => {
    const id = ids[0][1];
    await page.goto(`${ts.base}/protocols?session=${id}&size=25`, { waitUntil: 'networkidle' });
    const range = page.getByTestId('flows-range');
    await range.getByText('1–25 of 38 flows').waitFor();
    const asked = page.waitForRequest((r) => r.url().includes('/flows?') && r.url().includes('after='));
    await page.getByRole('button', { name: 'Next ›' }).click();
    const url = new URL((await asked).url());
    expect(url.searchParams.get('offset')).toBe('0');
    await range.getByText('26–38 of 38 flows').waitFor();
    expect(page.url()).toContain('after=');
    await page.screenshot({ path: join(OUT, 'hardening-flows-cursor.png') });
  }, 60_000);
});
