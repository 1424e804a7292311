import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

/**
 * The Logs page in Debian's Chromium on the demo capture's traffic (the demo's generator, two
 * minutes of ten clients: DNS lookups, HTTPS and HTTP browsing): each tab shows rows that link to
 * their flow on the Protocols page and to their packets, and a flow on the Protocols page links
 * back to its transactions.
 */

const ready = browserTestsReady('browser tests of the logs page');

interface LogRow {
  flow_id: number;
  src_ip: string;
  src_port: number;
}

describe.skipIf(!ready)('logs page in Chromium', () => {
  let ts: TestServer;
  let base: string;
  let browser: Browser;
  let page: Page;
  let id: string;

  const open = (path: string) => page.goto(`${base}${path}`, { waitUntil: 'networkidle' });

  beforeAll(async () => {
    ts = await startTestServer('flowlens-logs-');
    base = ts.base;
    const demo = join(ts.dir, 'demo.pcap');
    generateCapture(demo, { durationS: 120, hosts: 10, attacks: [] });
    id = await uploadCompleted(base, demo, 120_000);
    ({ browser, page } = await launchPage());
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await ts?.close();
  });

  it.each(['dns', 'http', 'tls'])(
    'the %s tab lists transactions that link to their flow and packets',
    async (tab) => {
      const first = await apiGet<{ total: number; rows: LogRow[] }>(
        base,
        `/api/sessions/${id}/logs/${tab}?limit=1`,
      );
      expect(first.total).toBeGreaterThan(0);
      await open(`/logs?session=${id}`);
      await page.getByTestId(`log-tab-${tab}`).click();
      const table = page.getByTestId(`log-table-${tab}`);
      await expect.poll(() => table.getByTestId('log-row').count()).toBe(Math.min(first.total, 50));
      await page.screenshot({ path: join(OUT, `logs-${tab}.png`) });
      const row = first.rows[0];
      const flowLink = table.getByTestId('log-flow-link').first();
      await expect(flowLink.innerText()).resolves.toBe(`flow ${row.flow_id}`);
      await expect(table.getByTestId('log-packets-link').first().getAttribute('href')).resolves.toBe(
        `/api/sessions/${id}/packets?flow=${row.flow_id}`,
      );
      await flowLink.click();
      await page.waitForURL((u) => u.pathname === '/protocols');
      const url = new URL(page.url());
      expect(url.searchParams.get('ip')).toBe(row.src_ip);
      expect(url.searchParams.get('port')).toBe(String(row.src_port));
      // The flow is among the few the Protocols page then shows: its client's address and port.
      const flows = await apiGet<{ flows: { flow_id: number }[] }>(
        base,
        `/api/sessions/${id}/flows?ip=${encodeURIComponent(row.src_ip)}&port=${row.src_port}&limit=1000`,
      );
      expect(flows.flows.map((f) => f.flow_id)).toContain(row.flow_id);
      await expect
        .poll(() => page.getByTestId('flows-table').locator('tbody tr').count())
        .toBe(flows.flows.length);
    },
  );

  it('a flow on the Protocols page links to its transactions; the search narrows a log', async () => {
    await open(`/protocols?session=${id}&protocol=tcp&port=443`);
    const link = page.getByTestId('flow-logs-link').first();
    await link.waitFor();
    const href = (await link.getAttribute('href')) ?? '';
    const flow = new URL(href, base).searchParams.get('flow');
    await link.click();
    await page.waitForURL((u) => u.pathname === '/logs');
    const rows = page.getByTestId('log-table-tls').getByTestId('log-row');
    await expect.poll(() => rows.count()).toBeGreaterThan(0);
    for (const text of await page.getByTestId('log-flow-link').allInnerTexts())
      expect(text).toBe(`flow ${flow}`);
    await page.screenshot({ path: join(OUT, 'logs-flow.png') });

    await open(`/logs?session=${id}&tab=dns`);
    const all = await apiGet<{ total: number; rows: { query: string | null }[] }>(
      base,
      `/api/sessions/${id}/logs/dns?limit=100`,
    );
    const word = (all.rows.find((r) => r.query)?.query ?? '').split('.')[0];
    expect(word).not.toBe('');
    const want = await apiGet<{ total: number }>(
      base,
      `/api/sessions/${id}/logs/dns?q=${encodeURIComponent(word)}`,
    );
    await page.getByTestId('log-search').fill(word);
    await page.getByTestId('log-search').press('Enter');
    await expect
      .poll(() => page.getByTestId('log-table-dns').getByTestId('log-row').count())
      .toBe(Math.min(want.total, 50));
    expect(want.total).toBeLessThan(all.total);
  });
});
