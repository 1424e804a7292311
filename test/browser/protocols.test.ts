import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCount } from '../../src/format/index.js';
import { generateCapture } from '../../src/generate/generate.js';
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
 * The Protocols page in Debian's Chromium (as test/browser/dashboard.test.ts drives it), on two
 * real captures: paging past the end, a refused filter, the flows table's width at 1440×900 for
 * IPv4 and IPv6, port usage's "show all", the export link and the connection-state table's label.
 */

const OFFICE = 'eth-realistic-windows-host-1.6MB_tls-subjectaltname.pcap';
const IPV6 = 'eth-ipv6-ah-icmpv6-flood-3.6MB_denial6-5.pcap';
/** IPv4 and IPv6 flows with DNS and HTTP hints. */
const MIXED = 'eth-dns-http-v4v6_wikipedia.pcap';

const ready = browserTestsReady('browser tests of the protocols page');

describe.skipIf(!ready)('protocols page in Chromium', () => {
  let ts: TestServer;
  let base: string;
  let browser: Browser;
  let page: Page;
  let officeId: string;
  let ipv6Id: string;
  let mixedId: string;
  /** A short generated capture with a port scan: more service ports than the card lists at first. */
  let scanId: string;

  const api = <T>(path: string) => apiGet<T>(base, path);
  const upload = (path: string) => uploadCompleted(base, path);
  const open = (path: string) => page.goto(`${base}${path}`, { waitUntil: 'networkidle' });
  const rows = () => page.getByTestId('flows-table').locator('tbody tr');
  const range = () => page.getByTestId('flows-range').innerText();
  const pageParam = () => new URL(page.url()).searchParams.get('page');

  beforeAll(async () => {
    ts = await startTestServer('flowlens-protocols-');
    base = ts.base;
    const scan = join(ts.dir, 'port-scan.pcap');
    generateCapture(scan, { durationS: 60, hosts: 5, attacks: ['port_scan'] });
    officeId = await upload(`${SHARED_PCAPS}/real/${OFFICE}`);
    ipv6Id = await upload(`${SHARED_PCAPS}/real/${IPV6}`);
    mixedId = await upload(`${SHARED_PCAPS}/real/${MIXED}`);
    scanId = await upload(scan);
    ({ browser, page } = await launchPage());
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await ts?.close();
  });

  it('a page beyond the last, a huge or an odd page opens a real page, in the URL too; Last works', async () => {
    const { total } = await api<{ total: number }>(`/api/sessions/${officeId}/flows?limit=1`);
    const last = Math.ceil(total / 25) - 1;
    expect(last).toBeGreaterThan(1);
    const lastRange = `${formatCount(last * 25 + 1)}–${formatCount(total)} of ${formatCount(total)} flows`;
    for (const p of ['600', '99999999', '100000000000000000000']) {
      await open(`/protocols?session=${officeId}&size=25&page=${p}`);
      await page.waitForURL((u) => u.searchParams.get('page') === String(last));
      await expect.poll(range, { message: p }).toBe(lastRange);
      await expect(page.getByTestId('flows-page').innerText()).resolves.toBe(
        `page ${last + 1} of ${last + 1}`,
      );
      await expect(page.getByRole('alert').count(), p).resolves.toBe(0);
      await expect(rows().count()).resolves.toBe(total - last * 25);
    }
    for (const p of ['1e20', '-3', '2.5', 'abc']) {
      await open(`/protocols?session=${officeId}&size=25&page=${p}`);
      await expect.poll(range, { message: p }).toBe(`1–25 of ${formatCount(total)} flows`);
      await expect(page.getByTestId('flows-page').innerText()).resolves.toBe(`page 1 of ${last + 1}`);
    }
    await page.getByRole('button', { name: 'Last »' }).click();
    await page.waitForURL((u) => u.searchParams.get('page') === String(last));
    await expect.poll(range).toBe(lastRange);
    expect(pageParam()).toBe(String(last));
  }, 60_000);

  it('a bad address is refused before sending with a plain message; a refused query shows no old rows', async () => {
    const { total, flows } = await api<{ total: number; flows: { src_ip: string }[] }>(
      `/api/sessions/${officeId}/flows?limit=1`,
    );
    const first = flows[0].src_ip;
    await open(`/protocols?session=${officeId}`);
    const address = page.getByLabel('Address');
    await address.fill(first);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL((u) => u.searchParams.get('ip') === first);
    const filtered = (await api<{ total: number }>(`/api/sessions/${officeId}/flows?ip=${first}&limit=1`))
      .total;
    expect(filtered).toBeLessThan(total);
    const good = `1–${formatCount(Math.min(50, filtered))} of ${formatCount(filtered)} flows`;
    await expect.poll(range).toBe(good);
    expect(await rows().count()).toBeGreaterThan(0);

    await address.fill('192.168.10.');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect(page.getByRole('alert').innerText()).resolves.toBe(
      "Address: '192.168.10.' is not an IPv4 or IPv6 address. Enter one address, such as 10.0.0.1 or 2001:db8::1.",
    );
    expect(new URL(page.url()).searchParams.get('ip')).toBe(first);
    await address.fill('192.168.10.0/24');
    await page.getByRole('button', { name: 'Filter' }).click();
    // The last message is still on screen until React draws this one: wait for it.
    await expect.poll(() => page.getByRole('alert').innerText()).toMatch(/^Address: one address is expected/);
    await expect(range()).resolves.toBe(good);

    // A link with an address the server refuses, followed inside the page (no reload).
    await page.evaluate(`{
      const u = new URL(location.href);
      u.searchParams.set('ip', '192.168.10.');
      history.pushState(null, '', u);
      dispatchEvent(new PopStateEvent('popstate'));
    }`);
    await page.getByText('No flows shown: the server refused this filter.').waitFor();
    await expect.poll(() => rows().count()).toBe(0);
    await expect(range()).resolves.toBe('');
  }, 60_000);

  it('at 1440 and 1366 px the flows table fits its card for IPv4 and IPv6, Retr. in view, long cells cut with a tooltip', async () => {
    const cases = [1440, 1366].flatMap((width) =>
      [
        [officeId, 'protocols-ipv4'],
        [mixedId, 'protocols-v4v6-hints'],
        [ipv6Id, 'protocols-ipv6'],
      ].map(([id, shot]) => ({ id, width, name: `${shot}-${width}` })),
    );
    for (const { id, width, name } of cases) {
      await page.setViewportSize({ width, height: 900 });
      await open(`/protocols?session=${id}`);
      // Measured once the rows are drawn (an idle network does not mean React has drawn them).
      await rows().first().waitFor();
      // In the page: how far the table runs past its card, where Retr. ends, and which cells are cut.
      const fit = await page.evaluate<{
        overflow: number;
        retrRight: number;
        cutWithoutTitle: number;
        ipv4Cut: number;
      }>(`(() => {
        const t = document.querySelector('[data-testid="flows-table"]');
        const wrap = t.parentElement;
        const card = wrap.getBoundingClientRect();
        const retr = [...t.querySelectorAll('th')].find((th) => th.textContent.startsWith('Retr.'));
        const cut = [...t.querySelectorAll('.hints, .endpoint-head, .cell-clip')].filter(
          (e) => e.scrollWidth > e.clientWidth,
        );
        return {
          overflow: wrap.scrollWidth - wrap.clientWidth,
          retrRight: retr.getBoundingClientRect().right - card.right,
          cutWithoutTitle: cut.filter((e) => !(e.title || e.parentElement.title)).length,
          ipv4Cut: cut.filter((e) => /^[0-9.]+(:[0-9]+)?$/.test(e.parentElement.title)).length,
        };
      })()`);
      expect(fit.overflow, name).toBeLessThanOrEqual(0);
      expect(fit.retrRight, name).toBeLessThanOrEqual(0);
      expect(fit.cutWithoutTitle, name).toBe(0);
      expect(fit.ipv4Cut, `${name}: IPv4 addresses are never cut`).toBe(0);
      await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
    }
    await page.setViewportSize({ width: 1440, height: 900 });
    // The IPv6 capture's long addresses keep their end (interface ID, port) in view.
    const tails = await page.locator('.endpoint-tail').allInnerTexts();
    expect(tails.some((t) => /^dea6:99a4\]:\d+$/.test(t))).toBe(true);
  }, 60_000);

  it('port usage shows 12 ports and a toggle to show them all, saying how many; export says the filters do not apply', async () => {
    const { ports } = await api<{ ports: unknown[] }>(`/api/sessions/${scanId}/ports?limit=200`);
    expect(ports.length).toBeGreaterThan(12);
    await open(`/protocols?session=${scanId}&ip=10.0.0.1`);
    const list = page.getByTestId('port-usage').locator('tbody tr');
    await expect.poll(() => list.count()).toBe(12);
    // The page asks for the 200 busiest: the scan's list is cut there, and the page says so.
    expect(ports.length).toBe(200);
    await page.getByText('The 12 busiest of 200 or more ports').waitFor();
    await page.getByRole('button', { name: 'Show the 200 busiest' }).click();
    await expect.poll(() => list.count()).toBe(200);
    await page.getByText('The 200 busiest ports; the list stops there').waitFor();
    await page.screenshot({ path: join(OUT, 'protocols-all-ports.png') });
    await page.getByRole('button', { name: 'Show the top 12' }).click();
    await expect.poll(() => list.count()).toBe(12);

    const link = page.getByRole('link', { name: 'Export all flows (CSV)' });
    await expect(link.getAttribute('title')).resolves.toMatch(/filters .* do not apply/);
    await expect(link.getAttribute('href')).resolves.toBe(`/api/sessions/${scanId}/export?format=csv`);
  }, 30_000);

  it('TCP health names what its connection states count: TCP flows, or all transports for older sessions', async () => {
    const { summary } = await api<{
      summary: { flows: { count: number; tcp: number; tcp_conn_states?: Record<string, number> } };
    }>(`/api/sessions/${officeId}?anomalies=false`);
    await open(`/protocols?session=${officeId}`);
    const table = page.getByTestId('conn-states');
    if (summary.flows.tcp_conn_states) {
      await expect(table.locator('th').first().innerText()).resolves.toBe(
        'Connection state of TCP flows (Zeek)',
      );
      await expect(table.locator('caption').innerText()).resolves.toBe(
        `Shares of the ${formatCount(summary.flows.tcp)} TCP flows`,
      );
    } else {
      await expect(table.locator('th').first().innerText()).resolves.toBe(
        'Connection state, all transports (Zeek)',
      );
      await expect(table.locator('caption').innerText()).resolves.toMatch(
        new RegExp(
          `include UDP and ICMP flows; shares are of all ${formatCount(summary.flows.count)} flows$`,
        ),
      );
    }
    await table.screenshot({ path: join(OUT, 'protocols-conn-states.png') });
  }, 30_000);
});
