import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../../src/format/index.js';
import {
  apiGet,
  browserTestsReady,
  launchPage,
  SCREENSHOT_DIR,
  startTestServer,
  type TestServer,
  uploadCompleted,
} from '../helpers/browser.js';
import { SHARED_PCAPS } from '../helpers/shared.js';

/**
 * Country and network of remote addresses on the pages, in Chromium, on a real capture of a
 * client browsing Wikipedia over IPv4 and IPv6 (remote servers in a known network). The values on
 * the page are those of the API (test/enrich.test.ts checks the API against the data files).
 */

const WIKIPEDIA = 'eth-dns-http-v4v6_wikipedia.pcap';

interface Group {
  key: string | null;
  name: string | null;
  addresses: number;
  flows: number;
  bytes: number;
}

const ready = browserTestsReady('browser tests of the enrichment');

describe.skipIf(!ready)('countries and networks in Chromium', () => {
  let ts: TestServer;
  let browser: Browser;
  let page: Page;
  let id: string;
  const errors: string[] = [];

  beforeAll(async () => {
    ts = await startTestServer('flowlens-enrich-');
    id = await uploadCompleted(ts.base, `${SHARED_PCAPS}/real/${WIKIPEDIA}`);
    ({ browser, page } = await launchPage());
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await ts?.close();
  });

  it('the overview has a "Remote countries / networks" card with the real groups, and the data attribution', async () => {
    const remote = await apiGet<{ addresses: number; countries: Group[]; networks: Group[] }>(
      ts.base,
      `/api/sessions/${id}/remote?limit=8`,
    );
    expect(remote.addresses).toBeGreaterThan(0);
    expect(remote.countries.some((c) => c.key !== null)).toBe(true);
    await page.goto(`${ts.base}/sessions/${id}`, { waitUntil: 'networkidle' });
    const card = page.locator('section.card').filter({ hasText: 'Remote countries / networks' });
    const countries = card.getByTestId('remote-countries').locator('li');
    // Polled: an idle network does not mean React has drawn the answers (count() does not wait).
    await expect.poll(() => countries.count()).toBe(remote.countries.length);
    for (const [i, c] of remote.countries.entries()) {
      const text = await countries.nth(i).innerText();
      if (c.key !== null) expect(text).toContain(`(${c.key})`);
      expect(text).toContain(formatBytes(c.bytes));
    }
    const networks = card.getByTestId('remote-networks').locator('li');
    await expect.poll(() => networks.count()).toBe(remote.networks.length);
    const named = remote.networks.find((n) => n.key !== null);
    if (named)
      await expect(networks.nth(remote.networks.indexOf(named)).innerText()).resolves.toContain(
        `AS${named.key}`,
      );
    await expect(card.innerText()).resolves.toMatch(/DB-IP/);
    await expect(page.locator('.nav-attribution').innerText()).resolves.toMatch(/RouteViews/);
    await card.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'enrich-overview.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 60_000);

  it('a remote talker shows its country beside its address, and its network in the title', async () => {
    const { talkers } = await apiGet<{
      talkers: { ip: string; country: string | null; asn: number | null }[];
    }>(ts.base, `/api/sessions/${id}/talkers?direction=both&limit=10`);
    const remote = talkers.findIndex((t) => t.asn !== null);
    expect(remote).toBeGreaterThanOrEqual(0);
    await page.goto(`${ts.base}/sessions/${id}`, { waitUntil: 'networkidle' });
    const row = page.getByTestId('top-talkers').locator('li').nth(remote);
    await expect(row.locator('.barlist-label').innerText()).resolves.toBe(talkers[remote].ip);
    await expect(row.locator('.geo-tag').innerText()).resolves.toBe(talkers[remote].country);
    await expect(row.locator('.geo-tag').getAttribute('title')).resolves.toContain(
      `AS${talkers[remote].asn}`,
    );
  }, 60_000);

  it("the flows table shows a remote end's country and network", async () => {
    const { flows } = await apiGet<{
      flows: { dst_ip: string; dst_country: string | null; dst_asn: number | null }[];
    }>(ts.base, `/api/sessions/${id}/flows?limit=50&sort=total_bytes&order=desc`);
    const i = flows.findIndex((f) => f.dst_asn !== null);
    expect(i).toBeGreaterThanOrEqual(0);
    await page.goto(`${ts.base}/protocols?session=${id}`, { waitUntil: 'networkidle' });
    const cell = page.getByTestId('flows-table').locator('tbody tr').nth(i).locator('.endpoint-cell').nth(1);
    await expect(cell.locator('.geo-tag').innerText()).resolves.toContain(`AS${flows[i].dst_asn}`);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'enrich-protocols.png') });
  }, 60_000);

  it('the settings page stores an intel list, shows a bad line as its error, and deletes a list', async () => {
    await page.goto(`${ts.base}/settings`, { waitUntil: 'networkidle' });
    await expect.poll(() => page.getByTestId('intel-empty').isVisible()).toBe(true);
    await page.getByLabel('Name').fill('feed');
    await page.getByLabel('Entries').fill('192.0.2.1\nnot a thing!\n');
    await page.getByRole('button', { name: 'Save list' }).click();
    await expect(page.getByRole('alert').innerText()).resolves.toMatch(/feed line 2: 'not a thing!'/);
    await page.getByLabel('Entries').fill('198.51.100.0/24,scanner network\nevil.example,phishing kit\n');
    await page.getByRole('button', { name: 'Save list' }).click();
    const row = page.getByTestId('intel-lists').locator('tbody tr');
    await expect(row.first().innerText()).resolves.toMatch(/feed\s+2/);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'enrich-settings.png') });
    const { lists } = await apiGet<{ lists: { name: string; entry_count: number }[] }>(
      ts.base,
      '/api/intel-lists',
    );
    expect(lists).toEqual([expect.objectContaining({ name: 'feed', entry_count: 2 })]);
    page.once('dialog', (d) => d.accept());
    await row.first().getByRole('button', { name: 'Delete' }).click();
    await page.getByTestId('intel-empty').waitFor();
    expect(errors).toEqual([]);
  }, 60_000);

  it("the upload form's intel list option sends the list with the capture, and its matches are alerts", async () => {
    const list = join(ts.dir, 'watch.txt');
    // An address of the capture's busiest remote server, from the API.
    const { talkers } = await apiGet<{ talkers: { ip: string; asn: number | null }[] }>(
      ts.base,
      `/api/sessions/${id}/talkers?direction=both&limit=10`,
    );
    const remote = talkers.find((t) => t.asn !== null)!.ip;
    writeFileSync(list, `${remote},watched server\n`);
    await page.goto(`${ts.base}/sessions`, { waitUntil: 'networkidle' });
    await page.getByTestId('file-input').setInputFiles(`${SHARED_PCAPS}/real/${WIKIPEDIA}`);
    await page.getByRole('button', { name: 'More options' }).click();
    await page.getByTestId('upload-intel').setInputFiles(list);
    await page.getByRole('button', { name: 'Upload and analyse' }).click();
    const deadline = Date.now() + 60_000;
    let matches: { details: { address: string; list: string; description: string } }[] = [];
    while (Date.now() < deadline) {
      const { sessions } = await apiGet<{ sessions: { session_id: string; status: string }[] }>(
        ts.base,
        '/api/sessions',
      );
      const done = sessions.find((s) => s.session_id !== id && s.status === 'completed');
      if (done) {
        const { insights } = await apiGet<{ insights: { alert_type: string; details: never }[] }>(
          ts.base,
          `/api/sessions/${done.session_id}/insights`,
        );
        matches = insights.filter((i) => i.alert_type === 'intel_match').map((i) => ({ details: i.details }));
        break;
      }
      await page.waitForTimeout(300);
    }
    expect(matches.map((m) => [m.details.address, m.details.list, m.details.description])).toEqual([
      [remote, 'upload', 'watched server'],
    ]);
  }, 90_000);
});
