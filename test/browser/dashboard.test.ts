import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatCount,
  formatFraction,
  formatPercent,
  formatRatio,
} from '../../src/format/index.js';
import {
  apiGet,
  browserTestsReady,
  launchPage,
  SCREENSHOT_DIR as OUT,
  startTestServer,
  type TestServer,
} from '../helpers/browser.js';
import { independentCounts, topOf } from '../helpers/independent.js';
import { expectedFor, SHARED_PCAPS } from '../helpers/shared.js';

/**
 * The dashboard in Debian's Chromium, driven by playwright-core, against a real server on a fresh
 * embedded database: the demo button and a real capture uploaded through the page, every page
 * opened, and the figures on screen checked against the API, tshark and an independent reading of
 * the file. A screenshot of every page at 1440×900 goes to test-output/screenshots (or
 * $SCREENSHOT_DIR). Needs `npm run build:web` first (npm test does it) and /usr/bin/chromium
 * (or $CHROMIUM_PATH); skips without them.
 */

const OFFICE = 'eth-realistic-windows-host-1.6MB_tls-subjectaltname.pcap';
const NMAP = 'eth-arp-scan-tcp-syn-rst_nmap-vsn.pcap';

const ready = browserTestsReady('browser tests of the dashboard');

describe.skipIf(!ready)('dashboard in Chromium', () => {
  let ts: TestServer;
  let base: string;
  let browser: Browser;
  let page: Page;
  let officeId: string;
  let demoId: string;
  const errors: string[] = [];

  const api = <T>(path: string) => apiGet<T>(base, path);
  const shot = (name: string) => page.screenshot({ path: join(OUT, `${name}.png`) });
  /** Waits until the locator's text is `want` (or matches it): pages fill in as answers arrive. */
  const textOf = async (loc: Locator, want: string | RegExp, timeout = 15_000) => {
    const until = Date.now() + timeout;
    let last = '';
    for (;;) {
      last = await loc.innerText({ timeout }).catch(() => '');
      if (typeof want === 'string' ? last === want : want.test(last)) return last;
      if (Date.now() > until) throw new Error(`expected ${String(want)}, saw ${JSON.stringify(last)}`);
      await page.waitForTimeout(100);
    }
  };
  /**
   * The page x of capture time `sec` on a plot showing the whole session: its time axis runs from
   * the first window's start to the last one's end.
   */
  const xOfTime = (
    box: { x: number; width: number },
    windows: { start_ts: number }[],
    len: number,
    sec: number,
  ) => {
    const t0 = windows[0].start_ts;
    const t1 = windows[windows.length - 1].start_ts + len;
    return box.x + (box.width * (sec - t0)) / (t1 - t0);
  };
  /** Navigates and waits until the page's data has arrived (no request for 500 ms). */
  const open = async (path: string) => {
    await page.goto(`${base}${path}`, { waitUntil: 'networkidle' });
  };

  beforeAll(async () => {
    ts = await startTestServer('flowlens-browser-', {
      // The demo button's capture: here a real one from the corpus, so the test needs no generator.
      // A stand-in for the generated demo (test/demo.test.ts covers that one): quick to analyse.
      writeDemoCapture: async (path) => {
        copyFileSync(`${SHARED_PCAPS}/real/${NMAP}`, path);
        return { name: 'Demo capture' };
      },
    });
    base = ts.base;
    ({ browser, page } = await launchPage());
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await ts?.close();
  });

  it('offers the demo capture on an empty server and follows its analysis', async () => {
    await open('/');
    // The page sends / to /sessions once its script runs, which can be after the network is idle.
    await page.waitForURL((u) => u.pathname === '/sessions');
    await page.getByText('No captures analysed yet.').waitFor();
    await shot('sessions-empty');
    await page.getByRole('button', { name: 'Load the demo capture' }).click();
    const row = page.locator('tr[data-session-id]').filter({ hasText: 'Demo capture' });
    await row.getByText('Completed').waitFor({ timeout: 60_000 });
    demoId = (await row.getAttribute('data-session-id')) as string;
    expect(demoId).toMatch(/^[0-9a-f-]{36}$/);
  }, 90_000);

  it('uploads a real capture through the page and shows its analysis complete', async () => {
    // Each test opens its own page: one that fails does not leave the next on the wrong page.
    await open('/sessions');
    await page.getByTestId('file-input').setInputFiles(`${SHARED_PCAPS}/real/${OFFICE}`);
    await page.getByText(`${OFFICE}`, { exact: false }).first().waitFor();
    await page.getByRole('button', { name: 'Upload and analyse' }).click();
    await page.getByText(`${OFFICE} uploaded`).waitFor({ timeout: 30_000 });
    const row = page.locator('tr[data-session-id]').filter({ hasText: OFFICE });
    await row.getByText('Completed').waitFor({ timeout: 60_000 });
    officeId = (await row.getAttribute('data-session-id')) as string;
    const want = expectedFor(OFFICE);
    await expect(row.locator('td').nth(3).innerText()).resolves.toBe(formatCount(want.packets));
    await expect(row.locator('td').nth(2).innerText()).resolves.toBe(formatBytes(want.file_size));
    await shot('sessions');
  }, 90_000);

  it('overview: headline figures equal tshark and the API; top talker equals an independent count', async () => {
    await open('/sessions');
    await page
      .locator('tr[data-session-id]')
      .filter({ hasText: OFFICE })
      .getByRole('link', { name: 'Open' })
      .click();
    await page.waitForURL(`**/sessions/${officeId}`);
    await page.getByTestId('top-talkers').waitFor();
    await page.waitForLoadState('networkidle');
    const want = expectedFor(OFFICE);
    await expect(page.getByTestId('stat-packets').innerText()).resolves.toBe(formatCount(want.packets));
    await expect(page.getByTestId('stat-bytes').innerText()).resolves.toBe(formatBytes(want.bytes));
    const counts = independentCounts(`${SHARED_PCAPS}/real/${OFFICE}`);
    const [topIp, topBytes] = topOf(counts.bytesByAddress);
    const talkers = await api<{ talkers: { ip: string; bytes: number; share: number }[] }>(
      `/api/sessions/${officeId}/talkers?direction=both&limit=10`,
    );
    expect(talkers.talkers[0].ip).toBe(topIp);
    const first = page.getByTestId('top-talkers').locator('li').first();
    await expect(first.locator('.barlist-label').innerText()).resolves.toBe(topIp);
    await expect(first.locator('.barlist-value').innerText()).resolves.toBe(formatBytes(topBytes));
    await expect(first.locator('.barlist-share').innerText()).resolves.toBe(
      formatPercent(talkers.talkers[0].share),
    );
    await expect(page.getByTestId('top-talkers').locator('li').count()).resolves.toBe(talkers.talkers.length);
    const alerts = await api<{ insights: unknown[] }>(`/api/sessions/${officeId}/insights?type=alert`);
    await textOf(page.getByTestId('stat-alerts'), formatCount(alerts.insights.length));
    // Every chart drew on its canvas. (Polled: the charts wait for the windows and the scores, other
    // answers than the talkers waited for above; after a click in the page, networkidle is long past.)
    await expect.poll(() => page.locator('.chart:has(canvas)').count()).toBe(3);
    await shot('overview');
  }, 60_000);

  it('overview charts: pointing at a window shows its packets by transport from the API; clicking its score opens its explanation', async () => {
    type W = {
      window_id: number;
      start_ts: number;
      packet_count: number;
      tcp_count: number;
      udp_count: number;
    };
    const { length_s: len, windows } = await api<{ length_s: number; windows: W[] }>(
      `/api/sessions/${officeId}/windows`,
    );
    const { anomalies } = await api<{ anomalies: { window_id: number; start_ts: number }[] }>(
      `/api/sessions/${officeId}/anomalies?contributions=false`,
    );
    // The busiest window.
    const w = windows.reduce((a, b) => (b.packet_count > a.packet_count ? b : a));
    await open(`/sessions/${officeId}`);
    const pointAt = async (chart: number) => {
      // As a person would: scroll the chart into view first (below the first screen at 1440×900).
      await page.locator('.plot').nth(chart).locator('.u-over').scrollIntoViewIfNeeded();
      const box = await page.locator('.plot').nth(chart).locator('.u-over').boundingBox();
      if (!box) throw new Error(`chart ${chart} has no plot`);
      // Three quarters into the window: the nearest point is the next window's, the step is this one.
      return {
        x: xOfTime(box, windows, len, w.start_ts + len * 0.75),
        y: box.y + box.height / 2,
      };
    };
    const mix = await pointAt(0);
    await page.mouse.move(mix.x, mix.y);
    const tip = page.locator('.plot').first().locator('.chart-tip');
    await tip.waitFor({ state: 'visible' });
    const text = await tip.innerText();
    expect(text).toMatch(new RegExp(`TCP\\s+${formatCount(w.tcp_count)}\\s`));
    expect(text).toMatch(new RegExp(`UDP\\s+${formatCount(w.udp_count)}\\s`));
    expect(text).toMatch(new RegExp(`All packets\\s+${formatCount(w.packet_count)}`));
    // Only the chart under the pointer shows a tip (the others follow the pointer's time).
    await expect(page.locator('.chart-tip:visible').count()).resolves.toBe(1);
    const scored = anomalies.find((a) => a.start_ts === w.start_ts);
    expect(scored).toBeDefined();
    const score = await pointAt(2);
    // A double click zooms out; it does not open the window.
    await page.mouse.dblclick(score.x, score.y);
    await page.waitForTimeout(500);
    expect(new URL(page.url()).pathname).toBe(`/sessions/${officeId}`);
    await page.mouse.click(score.x, score.y);
    await page.waitForURL(
      (u) =>
        u.pathname === '/anomalies' &&
        u.searchParams.get('session') === officeId &&
        u.searchParams.get('window') === String(scored?.window_id),
    );
    await textOf(page.locator('.explain-title'), new RegExp(`Window ${scored?.window_id}\\b`));
    await page.goBack();
    await page.getByTestId('top-talkers').waitFor();
  }, 60_000);

  it('protocols: TCP health, the top port and the flows table follow the API, sorted and filtered by the server', async () => {
    await open(`/sessions/${officeId}`);
    await page.getByRole('link', { name: 'Protocols' }).click();
    await page.waitForURL(`**/protocols?session=${officeId}`);
    await page.getByTestId('flows-table').locator('tbody tr').first().waitFor();
    const health = await api<{ syn_ack_ratio: number | null; rst_rate: number; retransmission_rate: number }>(
      `/api/sessions/${officeId}/tcp-health`,
    );
    await expect(page.getByTestId('syn-ack-ratio').innerText()).resolves.toBe(
      formatRatio(health.syn_ack_ratio),
    );
    await expect(page.getByTestId('rst-rate').innerText()).resolves.toBe(formatFraction(health.rst_rate));
    await expect(page.getByTestId('retransmission-rate').innerText()).resolves.toBe(
      formatFraction(health.retransmission_rate),
    );
    const want = expectedFor(OFFICE);
    // tshark: SYN without ACK / SYN-ACK.
    expect(formatRatio(health.syn_ack_ratio)).toBe(formatRatio(want.tcp_syn_only / want.tcp_synack));

    const [topPort] = topOf(independentCounts(`${SHARED_PCAPS}/real/${OFFICE}`).packetsByPort);
    const ports = await api<{
      ports: { protocol: string; port: number; label: string; percentage: number }[];
    }>(`/api/sessions/${officeId}/ports?limit=20`);
    expect(`${ports.ports[0].protocol}/${ports.ports[0].port}`).toBe(topPort);
    const portRow = page.getByTestId('port-usage').locator('tbody tr').first();
    await expect(portRow.locator('td').first().innerText()).resolves.toContain(ports.ports[0].label);
    await expect(portRow.locator('.share-text').innerText()).resolves.toBe(
      formatPercent(ports.ports[0].percentage),
    );

    const all = await api<{ total: number; flows: { total_bytes: number }[] }>(
      `/api/sessions/${officeId}/flows?limit=50`,
    );
    await expect(page.getByTestId('flows-range').innerText()).resolves.toBe(
      `1–${Math.min(50, all.total)} of ${formatCount(all.total)} flows`,
    );
    const firstBytes = page.getByTestId('flows-table').locator('tbody tr').first().locator('td').nth(7);
    await expect(firstBytes.innerText()).resolves.toBe(formatBytes(all.flows[0].total_bytes));

    // Sort by packets (server-side): the first row is the API's.
    const byPackets = await api<{ flows: { packet_count: number }[] }>(
      `/api/sessions/${officeId}/flows?sort=packet_count&order=desc&limit=1`,
    );
    await page
      .getByTestId('flows-table')
      .getByRole('button', { name: /Packets/ })
      .click();
    await page.waitForURL(/sort=packet_count/);
    await textOf(
      page.getByTestId('flows-table').locator('tbody tr').first().locator('td').nth(6),
      formatCount(byPackets.flows[0].packet_count),
    );

    // Filter by port 53: the count is the API's.
    const dns = await api<{ total: number }>(`/api/sessions/${officeId}/flows?port=53&limit=1`);
    await page.getByPlaceholder('any').fill('53');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await page.waitForURL(/port=53/);
    await textOf(page.getByTestId('flows-range'), new RegExp(`of ${formatCount(dns.total)} flows$`));
    const services = await page
      .getByTestId('flows-table')
      .locator('tbody tr td:nth-child(4)')
      .allInnerTexts();
    expect(services.length).toBe(Math.min(50, dns.total));
    for (const t of services) expect(t).toBe('53 (DNS)');
    await page.getByRole('button', { name: 'Clear' }).click();
    await textOf(
      page.getByTestId('flows-range'),
      `1–${Math.min(50, all.total)} of ${formatCount(all.total)} flows`,
    );
    await shot('protocols');
  }, 60_000);

  it('traffic: histograms, heatmap and direction from the API', async () => {
    await open(`/sessions/${officeId}`);
    await page.getByRole('link', { name: 'Traffic' }).click();
    await page.waitForURL(`**/traffic?session=${officeId}`);
    await page.getByTestId('direction').waitFor();
    await page.getByText('Direction over time').waitFor();
    await page.waitForLoadState('networkidle');
    const d = await api<{ inbound_bytes: number; outbound_bytes: number }>(
      `/api/sessions/${officeId}/direction`,
    );
    await expect(page.getByTestId('direction').locator('.split-value').first().innerText()).resolves.toBe(
      formatBytes(d.inbound_bytes),
    );
    await expect(page.getByTestId('direction').locator('.split-value').nth(1).innerText()).resolves.toBe(
      formatBytes(d.outbound_bytes),
    );
    // 95.6 s in 1 s windows: seconds × minutes, 3 rows of 60 (08:38, 08:39, 08:40).
    await page.getByText('one row per 1 min (UTC), 3 rows × 60').waitFor();
    await expect.poll(() => page.locator('.chart:has(canvas)').count()).toBe(4);
    await shot('traffic');
  }, 60_000);

  it('timeline: one marker and list entry per alert; clicking one focuses its windows', async () => {
    // The office capture has no attack: since bursts are judged against their host's own usual it
    // raises no alert, and the page says so. The nmap scan (the demo session here) has alerts.
    await open(`/sessions/${officeId}`);
    await page.getByRole('link', { name: 'Timeline' }).click();
    await page.waitForURL(`**/timeline?session=${officeId}`);
    const none = await api<{ insights: unknown[] }>(`/api/sessions/${officeId}/insights?type=alert`);
    expect(none.insights).toHaveLength(0);
    await page.getByText('No alert rule fired on this capture').waitFor();
    await open(`/timeline?session=${demoId}`);
    await page.getByTestId('events').waitFor();
    const alerts = await api<{ insights: { id: number; summary: string }[] }>(
      `/api/sessions/${demoId}/insights?type=alert`,
    );
    const items = page.getByTestId('events').locator('li');
    await expect(items.count()).resolves.toBe(alerts.insights.length);
    expect(alerts.insights.length).toBeGreaterThan(0);
    await expect(items.first().innerText()).resolves.toContain(alerts.insights[0].summary);
    await items.first().getByRole('button').click();
    await page.waitForURL(new RegExp(`event=${alerts.insights[0].id}`));
    // The address changes before React draws the pressed state: wait for it, not for the URL alone.
    await expect.poll(() => items.first().getByRole('button').getAttribute('aria-pressed')).toBe('true');
    await page.getByRole('button', { name: 'Show the whole capture' }).waitFor();
    await shot('timeline');
    // Back to the whole capture; then the event's marker on the chart selects it too.
    await page.getByRole('button', { name: 'Show the whole capture' }).click();
    await page.waitForURL((u) => !u.searchParams.has('event'));
    // The chart zooms back out when React draws the page without the event (the button goes with
    // it), a moment after the address changes: the marker's place below is on the whole capture.
    await page.getByRole('button', { name: 'Show the whole capture' }).waitFor({ state: 'detached' });
    const { length_s: len, windows } = await api<{ length_s: number; windows: { start_ts: number }[] }>(
      `/api/sessions/${demoId}/windows`,
    );
    const full = await api<{ insights: { id: number; event_ts: number; alert_type: string }[] }>(
      `/api/sessions/${demoId}/insights?type=alert`,
    );
    const lanes = [...new Set(full.insights.map((i) => i.alert_type))];
    const target = full.insights[0];
    const box = await page.locator('.timeline-chart .plot').nth(1).locator('.u-over').boundingBox();
    if (!box) throw new Error('the event lanes have no plot');
    await page.mouse.move(box.x + 2, box.y + 2);
    await page.mouse.click(
      xOfTime(box, windows, len, target.event_ts),
      box.y + (box.height * (lanes.indexOf(target.alert_type) + 0.5)) / lanes.length,
    );
    // The scan's two host sweeps (ARP and TCP) start 50 µs apart: their markers stack on the lane,
    // so a click on the lane's line at that time selects one of the two.
    const atThatTime = full.insights
      .filter((i) => i.alert_type === target.alert_type && Math.abs(i.event_ts - target.event_ts) < 0.01)
      .map((i) => String(i.id));
    await page.waitForURL((u) => atThatTime.includes(u.searchParams.get('event') ?? ''));
  }, 60_000);

  it('anomalies: top-scoring windows and a selected window’s explanation from the API', async () => {
    // From the timeline: the overview has a second "Anomalies" link, on its anomaly card.
    await open(`/timeline?session=${officeId}`);
    await page.getByRole('link', { name: 'Anomalies' }).click();
    await page.waitForURL(`**/anomalies?session=${officeId}`);
    await page.getByTestId('explanation').waitFor();
    const a = await api<{
      anomalies: { window_id: number; score: number; contributing_features: unknown[] }[];
    }>(`/api/sessions/${officeId}/anomalies`);
    const ranked = [...a.anomalies].sort((x, y) => y.score - x.score || x.window_id - y.window_id);
    const rows = page.getByTestId('top-windows').locator('tbody tr');
    await expect(rows.first().locator('td').nth(1).innerText()).resolves.toBe(ranked[0].score.toFixed(3));
    await expect(page.locator('.explain-title').innerText()).resolves.toContain(
      `Window ${ranked[0].window_id}`,
    );
    await rows.nth(1).getByRole('button').click();
    await page.waitForURL(new RegExp(`window=${ranked[1].window_id}`));
    // Under load the URL changes a moment before the explanation renders (seen failing in a full
    // browser run), so wait for the title rather than read it once.
    await textOf(page.locator('.explain-title'), new RegExp(`Window ${ranked[1].window_id}\\b`));
    await expect(page.getByTestId('contributions').locator('tbody tr').count()).resolves.toBe(
      ranked[1].contributing_features.length,
    );
    await rows.first().getByRole('button').click();
    await page.waitForURL(new RegExp(`window=${ranked[0].window_id}`));
    await shot('anomalies');
  }, 60_000);

  it('the header’s selector switches the session and keeps the page', async () => {
    await open(`/anomalies?session=${officeId}`);
    await page.getByTestId('explanation').waitFor();
    await page.getByLabel('Session').selectOption(demoId);
    await page.waitForURL(`**/anomalies?session=${demoId}`);
    // The office session's explanation is still on screen until React draws the demo's, and so is
    // its Overview link: wait for the link to name the demo session before following it.
    await expect
      .poll(() => page.getByRole('link', { name: 'Overview' }).getAttribute('href'))
      .toBe(`/sessions/${demoId}`);
    await page.getByTestId('explanation').waitFor();
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.waitForURL(`**/sessions/${demoId}`);
    const want = expectedFor(NMAP);
    await textOf(page.getByTestId('stat-packets'), formatCount(want.packets));
    await page.getByTestId('top-talkers').waitFor();
    await shot('overview-demo');
    await page.getByLabel('Session').selectOption(officeId);
    await page.waitForURL(`**/sessions/${officeId}`);
  }, 60_000);

  it('no errors in the console on any page', () => {
    expect(errors).toEqual([]);
  });

  it('deletes a session only after confirmation', async () => {
    await open('/sessions');
    const row = page.locator('tr[data-session-id]').filter({ hasText: 'Demo capture' });
    await row.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Delete this session?').waitFor();
    await shot('sessions-delete');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(row.count()).resolves.toBe(1);
    await row.getByRole('button', { name: 'Delete' }).click();
    await dialog.getByRole('button', { name: 'Delete session' }).click();
    await row.waitFor({ state: 'detached' });
    const list = await api<{ sessions: { session_id: string }[] }>('/api/sessions');
    expect(list.sessions.map((s) => s.session_id)).toEqual([officeId]);
    const res = await fetch(`${base}/api/sessions/${demoId}`);
    expect(res.status).toBe(404);
    await open(`/sessions/${demoId}`);
    await page.getByText(`There is no session ${demoId}`).waitFor();
  }, 60_000);
});

describe.skipIf(!ready)('dashboard with a token', () => {
  let ts: TestServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    ts = await startTestServer('flowlens-browser-token-', { token: 'correct horse battery staple' });
    ({ browser, page } = await launchPage());
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await ts?.close();
  });

  it('asks for the token, refuses a wrong one and lets the right one in', async () => {
    await page.goto(`${ts.base}/sessions`, { waitUntil: 'networkidle' });
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Token').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That token is not right.').waitFor();
    await page.screenshot({ path: join(OUT, 'login.png') });
    await page.getByLabel('Token').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('No captures analysed yet.').waitFor();
  }, 60_000);
});
