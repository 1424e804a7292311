import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiGet,
  browserTestsReady,
  launchPage,
  SCREENSHOT_DIR,
  startTestServer,
  type TestServer,
  uploadCompleted,
} from '../helpers/browser.js';
import { hasTshark, readBack, tsharkFrames } from '../helpers/extract.js';
import { SHARED_PCAPS } from '../helpers/shared.js';

/**
 * The "Packets" buttons in Debian's Chromium against a real server: a flow's and an alert's
 * download read back with Flowlens' reader (and tshark), and the buttons disabled with the reason
 * once the kept capture is gone.
 */
const NMAP = 'eth-arp-scan-tcp-syn-rst_nmap-vsn.pcap';
const ready = browserTestsReady('browser tests of the Packets buttons');

describe.skipIf(!ready)('Packets buttons in Chromium', () => {
  let ts: TestServer;
  let base: string;
  let browser: Browser;
  let page: Page;
  let id: string;

  const open = (path: string) => page.goto(`${base}${path}`, { waitUntil: 'networkidle' });

  /** Clicks a Packets link and reads back what the browser downloaded. */
  async function download(link: ReturnType<Page['locator']>) {
    const [file] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const path = await file.path();
    const bytes = readFileSync(path);
    return { name: file.suggestedFilename(), path, bytes, records: (await readBack(bytes)).records };
  }

  beforeAll(async () => {
    ts = await startTestServer('flowlens-packets-web-');
    base = ts.base;
    id = await uploadCompleted(base, `${SHARED_PCAPS}/real/${NMAP}`);
    ({ browser, page } = await launchPage());
    page.context().setDefaultTimeout(30_000);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await ts?.close();
  });

  it("a flow's Packets button downloads a pcap holding exactly that flow's packets", async () => {
    await open(`/protocols?session=${id}`);
    const row = page.locator('[data-testid=flows-table] tbody tr').first();
    const link = row.getByRole('link', { name: 'Packets' });
    const flowId = Number(new URL((await link.getAttribute('href'))!, base).searchParams.get('flow'));
    const { flows } = await apiGet<{
      flows: { flow_id: number; packet_count: number; total_bytes: number }[];
    }>(base, `/api/sessions/${id}/flows?limit=1`);
    expect(flows[0].flow_id).toBe(flowId);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'packets-protocols.png') });
    const got = await download(link);
    expect(got.name).toBe(`eth-arp-scan-tcp-syn-rst_nmap-vsn-flow-${flowId}.pcap`);
    expect(got.records.length).toBe(flows[0].packet_count);
    expect(got.records.reduce((n, r) => n + r.origLen, 0)).toBe(flows[0].total_bytes);
  }, 60_000);

  it("an alert's Packets button on the Timeline downloads its packets, as tshark picks them from the capture", async () => {
    await open(`/timeline?session=${id}`);
    const item = page.locator('[data-testid=events] li').first();
    const link = item.getByRole('link', { name: 'Packets' });
    const alertId = Number(new URL((await link.getAttribute('href'))!, base).searchParams.get('alert'));
    const { insights } = await apiGet<{
      insights: {
        id: number;
        alert_type: string;
        details: {
          addresses: string[];
          port?: number | null;
          protocol?: string;
          first_ts: number;
          last_ts: number;
        };
      }[];
    }>(base, `/api/sessions/${id}/insights?type=alert`);
    const alert = insights.find((a) => a.id === alertId)!;
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'packets-timeline.png') });
    const got = await download(link);
    expect(got.name).toBe(`eth-arp-scan-tcp-syn-rst_nmap-vsn-alert-${alertId}-${alert.alert_type}.pcap`);
    expect(got.records.length).toBeGreaterThan(0);
    if (!hasTshark()) return;
    const d = alert.details;
    const ends =
      d.addresses.length === 1
        ? `ip.addr == ${d.addresses[0]}`
        : `ip.src in {${d.addresses.join(' ')}} && ip.dst in {${d.addresses.join(' ')}}`;
    const port = typeof d.port === 'number' ? ` && (tcp.port == ${d.port} || udp.port == ${d.port})` : '';
    const proto = d.protocol ? ` && ${d.protocol.toLowerCase()}` : '';
    const span = `frame.time_epoch >= ${(d.first_ts - 1e-6).toFixed(6)} && frame.time_epoch <= ${(d.last_ts + 1e-6).toFixed(6)}`;
    expect(tsharkFrames(got.path)).toEqual(
      tsharkFrames(`${SHARED_PCAPS}/real/${NMAP}`, `${ends}${port}${proto} && ${span}`),
    );
  }, 60_000);

  it('windows and talkers have Packets buttons too', async () => {
    await open(`/anomalies?session=${id}`);
    await page
      .locator('[data-testid=top-windows] tbody tr')
      .first()
      .getByRole('link', { name: 'Packets' })
      .waitFor();
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'packets-anomalies.png') });
    await open(`/sessions/${id}`);
    const talker = page.locator('[data-testid=top-talkers] li').first();
    const got = await download(talker.getByRole('link', { name: 'Packets' }));
    expect(got.name).toMatch(/-host-[0-9.]+\.pcap$/);
    expect(got.records.length).toBeGreaterThan(0);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'packets-overview.png') });
  }, 60_000);

  it('the Sessions page says the packets are kept and the disk the kept captures use', async () => {
    await open('/');
    const state = page.locator(`tr[data-session-id="${id}"] [data-testid=packets-state]`);
    await expect(state.innerText()).resolves.toBe('Packets kept (33.2 kB)');
    await expect(page.getByTestId('kept-captures').innerText()).resolves.toMatch(/use 33\.2 kB of disk/);
  }, 60_000);

  it('once the kept capture is gone, every Packets button is disabled and says why', async () => {
    rmSync(join(`${join(ts.dir, 'db')}.uploads`, `${id}.capture`));
    // The first ask finds it gone (410) and the server forgets its kept answer about the session.
    const res = await fetch(`${base}/api/sessions/${id}/packets?flow=1`);
    expect(res.status).toBe(410);
    await open(`/protocols?session=${id}`);
    const button = page
      .locator('[data-testid=flows-table] tbody tr')
      .first()
      .getByRole('button', { name: /^Packets/ });
    await expect(button.isDisabled()).resolves.toBe(true);
    await expect(button.getAttribute('title')).resolves.toMatch(/packets no longer kept/);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'packets-unavailable.png') });
    await open('/');
    const state = page.locator(`tr[data-session-id="${id}"] [data-testid=packets-state]`);
    await expect(state.innerText()).resolves.toMatch(/^packets no longer kept/);
    await expect(page.getByTestId('kept-captures').innerText()).resolves.toMatch(/use 0 B of disk/);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'packets-sessions.png') });
  }, 60_000);
});
