import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiGet,
  browserTestsReady,
  launchPage,
  SCREENSHOT_DIR as OUT,
  startTestServer,
  type TestServer,
  uploadCompleted,
} from '../helpers/browser.js';
import { SHARED_PCAPS } from '../helpers/shared.js';

/**
 * The header's search box and the Search page in Debian's Chromium, over two real captures: an
 * expression typed in the box lists hits of both sessions, the group-by draws its bars, a reload
 * restores the search from the URL, a malformed expression says what is wrong, and the Protocols
 * page's filter box takes the same language.
 */

const MIXED = 'eth-dns-http-v4v6_wikipedia.pcap';
const TLS = 'eth-tls12-clienthello-sni_chrome-34-google.pcap';
const EXPRESSION = 'port == 53 or port == 443';

interface Answer {
  total: number;
  hits: { session_id: string; flow_id: number }[];
  group: { rows: { key: string }[] } | null;
}

const ready = browserTestsReady('browser tests of the search');

describe.skipIf(!ready)('search in Chromium', () => {
  let ts: TestServer;
  let base: string;
  let browser: Browser;
  let page: Page;
  let mixedId: string;
  let tlsId: string;

  const api = <T>(path: string) => apiGet<T>(base, path);
  const open = (path: string) => page.goto(`${base}${path}`, { waitUntil: 'networkidle' });
  const hitRows = () => page.locator('table.search-hits tbody tr');
  const box = () => page.getByRole('searchbox', { name: 'Search flows' });

  beforeAll(async () => {
    ts = await startTestServer('flowlens-search-');
    base = ts.base;
    mixedId = await uploadCompleted(base, `${SHARED_PCAPS}/real/${MIXED}`);
    tlsId = await uploadCompleted(base, `${SHARED_PCAPS}/real/${TLS}`);
    ({ browser, page } = await launchPage());
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await ts?.close();
  });

  it('an expression typed in the header box lists the hits of both sessions', async () => {
    const want = await api<Answer>(`/api/search?${new URLSearchParams({ q: EXPRESSION, limit: '50' })}`);
    expect(new Set(want.hits.map((h) => h.session_id))).toEqual(new Set([mixedId, tlsId]));
    await open(`/protocols?session=${mixedId}`);
    await box().fill(EXPRESSION);
    await box().press('Enter');
    await page.waitForURL((u) => u.pathname === '/search' && u.searchParams.get('q') === EXPRESSION);
    await expect.poll(() => hitRows().count()).toBe(want.hits.length);
    await expect(page.getByTestId('search-total').innerText()).resolves.toBe(`${want.total} flows`);
    const sessions = await page.locator('td.search-session').allInnerTexts();
    expect(new Set(sessions)).toEqual(new Set([MIXED, TLS]));
    // The hits are the API's, in its order (newest first): the flow ids in the rows say so.
    const flows = await page.getByTestId('hit-flow').allInnerTexts();
    expect(flows.map(Number)).toEqual(want.hits.map((h) => h.flow_id));
    const packets = await page
      .locator('table.search-hits a', { hasText: 'Packets' })
      .first()
      .getAttribute('href');
    expect(packets).toBe(`/api/sessions/${want.hits[0].session_id}/packets?flow=${want.hits[0].flow_id}`);
    await page.screenshot({ path: `${OUT}/search-hits.png`, fullPage: true });
  });

  it('group-by draws a bar per value, and a reload restores the search from the URL', async () => {
    // Its own page, not the last test's: a failure there does not carry over.
    await open(`/search?${new URLSearchParams({ q: EXPRESSION })}`);
    await page.getByLabel('Group by').selectOption('src');
    await page.waitForURL((u) => u.searchParams.get('group_by') === 'src');
    const want = await api<Answer>(`/api/search?${new URLSearchParams({ q: EXPRESSION, group_by: 'src' })}`);
    expect(want.group?.rows.length).toBeGreaterThan(1);
    const bars = page.getByTestId('group-bars').locator('li');
    await expect.poll(() => bars.count()).toBe(want.group?.rows.length);
    await expect(page.locator('.group-key').allInnerTexts()).resolves.toEqual(
      want.group?.rows.map((r) => r.key),
    );
    // The largest bar fills its track; the others are shorter.
    const widths = await page
      .locator('.group-bar')
      .evaluateAll((els) => els.map((e) => (e as unknown as { style: { width: string } }).style.width));
    expect(widths[0]).toBe('100%');
    await page.screenshot({ path: `${OUT}/search-group.png`, fullPage: true });

    await page.reload({ waitUntil: 'networkidle' });
    await expect(box().inputValue()).resolves.toBe(EXPRESSION);
    await expect(page.getByTestId('search-expr').innerText()).resolves.toBe(EXPRESSION);
    await expect.poll(() => bars.count()).toBe(want.group?.rows.length);
    await expect.poll(() => hitRows().count()).toBeGreaterThan(0);
  });

  it('a malformed expression says where and what was expected, and lists no hits', async () => {
    // From a search that lists hits, so that "no hits" means they went.
    await open(`/search?${new URLSearchParams({ q: EXPRESSION })}`);
    await expect.poll(() => hitRows().count()).toBeGreaterThan(0);
    await box().fill('port == ');
    await box().press('Enter');
    const alert = page.getByTestId('search-error');
    await expect.poll(() => alert.innerText()).toContain('expected a value after `port ==` at column 8');
    await expect(hitRows().count()).resolves.toBe(0);
    await box().fill('prot == tcp');
    await box().press('Enter');
    await expect.poll(() => alert.innerText()).toContain('did you mean `port`, `proto` or `dst`?');
    await page.screenshot({ path: `${OUT}/search-error.png`, fullPage: true });
  });

  it("the Protocols page's filter box takes the same language for its session", async () => {
    const want = await api<{ total: number }>(
      `/api/sessions/${mixedId}/flows?${new URLSearchParams({ q: 'port == 53 and bytes > 200' })}`,
    );
    expect(want.total).toBeGreaterThan(0);
    await open(`/protocols?session=${mixedId}`);
    await page.getByLabel('Expression').fill('port == 53 and bytes > 200');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL((u) => u.searchParams.get('q') === 'port == 53 and bytes > 200');
    await expect
      .poll(() => page.getByTestId('flows-range').innerText())
      .toMatch(new RegExp(`of ${want.total} flows$`));
    await page.screenshot({ path: `${OUT}/protocols-expression.png`, fullPage: false });
  });
});
