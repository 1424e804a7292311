import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultWebDir, type RunningServer, startServer } from '../../src/server/index.js';
import { hasSharedPcaps, SHARED_PCAPS } from '../helpers/shared.js';

/**
 * Bad session ids in the address, the timeline's coincident alerts, filters and links, and the
 * traffic page's direction note, in Debian's Chromium against a real server on a fresh database.
 * Needs `npm run build:web` first and /usr/bin/chromium (or $CHROMIUM_PATH); skips without them.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const NMAP = 'eth-arp-scan-tcp-syn-rst_nmap-vsn.pcap';
const WIKI = 'eth-dns-http-v4v6_wikipedia.pcap';
const FLOOD = 'eth-ipv6-ah-icmpv6-flood-3.6MB_denial6-5.pcap';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const ready = existsSync(CHROMIUM) && hasSharedPcaps && existsSync(join(defaultWebDir(), 'index.html'));
if (!ready) console.warn(`skipped: browser tests (need ${CHROMIUM}, the capture corpus and dist/web)`);

interface Alert {
  id: number;
  severity: string;
  alert_type: string;
  event_ts: number;
  window_start: number;
  window_end: number | null;
  insight_type: string;
}

describe.skipIf(!ready)('timeline, traffic and session ids in Chromium', () => {
  let dir: string;
  let server: RunningServer;
  let base: string;
  let browser: Browser;
  let page: Page;
  let nmapId: string;
  let wikiId: string;
  let floodId: string;

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${base}${path}`);
    expect(res.status, path).toBe(200);
    return (await res.json()) as T;
  };
  const upload = async (file: string): Promise<string> => {
    const form = new FormData();
    form.append('file', new Blob([readFileSync(`${SHARED_PCAPS}/real/${file}`)]), file);
    const res = await fetch(`${base}/api/sessions`, {
      method: 'POST',
      body: form,
      headers: { 'X-Flowlens-Request': '1' },
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { session_id: string }).session_id;
  };
  const completed = async (id: string) => {
    for (let i = 0; i < 300; i++) {
      const { session } = await api<{ session: { status: string } }>(`/api/sessions/${id}?anomalies=false`);
      if (session.status === 'completed') return;
      if (session.status === 'failed') throw new Error(`${id} failed`);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${id} not analysed in time`);
  };
  const open = (path: string) => page.goto(`${base}${path}`, { waitUntil: 'networkidle' });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flowlens-timeline-'));
    server = await startServer({
      host: '127.0.0.1',
      port: 0,
      dbTarget: join(dir, 'db'),
      token: null,
      maxUploadBytes: 100_000_000,
      concurrency: 1,
    });
    base = server.url.replace(/\/$/, '');
    nmapId = await upload(NMAP);
    wikiId = await upload(WIKI);
    floodId = await upload(FLOOD);
    await completed(nmapId);
    await completed(wikiId);
    await completed(floodId);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    page = await context.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a malformed session id says "There is no session", with no schema regex and no Retry', async () => {
    for (const path of ['/sessions/not-a-session', '/protocols?session=zzz']) {
      await open(path);
      await page.getByText(/There is no session/).waitFor();
      const text = await page.locator('main').innerText();
      expect(text, path).not.toContain('must match pattern');
      await expect(page.getByRole('button', { name: 'Retry' }).count(), path).resolves.toBe(0);
    }
  }, 30_000);

  it('a pasted id with a trailing space or in capitals opens the session, named in the header selector', async () => {
    for (const path of [`/sessions/${nmapId}%20`, `/traffic?session=${nmapId.toUpperCase()}`]) {
      await open(path);
      await page.locator('.topbar-meta').waitFor();
      expect(page.url(), path).toContain(nmapId);
      await expect(page.locator('.session-select select').inputValue(), path).resolves.toBe(nmapId);
    }
  }, 30_000);

  it('two host sweeps at one instant are two markers, each with its tooltip and clickable', async () => {
    const { insights } = await api<{ insights: Alert[] }>(`/api/sessions/${nmapId}/insights?type=alert`);
    const sweeps = insights.filter((a) => a.alert_type === 'host_sweep');
    expect(sweeps.length).toBe(2);
    expect(Math.abs(sweeps[0].event_ts - sweeps[1].event_ts)).toBeLessThan(0.001);
    await open(`/timeline?session=${nmapId}`);
    await page.getByTestId('events').waitFor();
    const { length_s: len, windows } = await api<{ length_s: number; windows: { start_ts: number }[] }>(
      `/api/sessions/${nmapId}/windows`,
    );
    const lanes = page.locator('.timeline-chart .plot').nth(1);
    const box = await lanes.locator('.u-over').boundingBox();
    if (!box) throw new Error('the event lanes have no plot');
    const t0 = windows[0].start_ts;
    const t1 = windows[windows.length - 1].start_ts + len;
    const x = box.x + (box.width * (sweeps[0].event_ts - t0)) / (t1 - t0);
    // Down the marker's column: which severities the tooltip names, and where.
    const seen = new Map<string, number>();
    await page.mouse.move(box.x + 2, box.y + 2);
    for (let y = box.y + 1; y < box.y + box.height; y += 2) {
      await page.mouse.move(x, y);
      const tip = lanes.locator('.chart-tip');
      if (!(await tip.isVisible())) continue;
      const sev = /^(LOW|MEDIUM|HIGH|CRITICAL)/.exec(await tip.innerText())?.[1];
      if (sev && !seen.has(sev)) seen.set(sev, y);
    }
    expect([...seen.keys()].sort()).toEqual(['HIGH', 'LOW']);
    const low = sweeps.find((a) => a.severity === 'low') as Alert;
    await page.mouse.click(x, seen.get('LOW') as number);
    await page.waitForURL((u) => u.searchParams.get('event') === String(low.id));
  }, 40_000);

  it('the severity legend filters the alerts, kept in the address; summaries carry no severity badge', async () => {
    await open(`/timeline?session=${nmapId}`);
    const items = page.getByTestId('events').locator('li');
    await expect(items.count()).resolves.toBe(2);
    await expect(page.locator('.events-summary .badge-severity').count()).resolves.toBe(0);
    expect(await page.locator('.events-summary li').count()).toBeGreaterThan(0);
    await page.locator('.legend-toggle', { hasText: 'low' }).click();
    await page.waitForURL((u) => u.searchParams.get('severity') === 'medium,high,critical');
    await expect(items.count()).resolves.toBe(1);
    await expect(items.first().innerText()).resolves.toMatch(/^high/i);
    await page.reload({ waitUntil: 'networkidle' });
    await expect(page.getByTestId('events').locator('li').count()).resolves.toBe(1);
    await expect(
      page.locator('.legend-toggle', { hasText: 'low' }).getAttribute('aria-pressed'),
    ).resolves.toBe('false');
    await open(`/timeline?session=${nmapId}&type=port_scan`);
    await page.getByText('No alert of the severities and types shown.').waitFor();
    await page.getByRole('button', { name: 'Show all' }).click();
    await expect(page.getByTestId('events').locator('li').count()).resolves.toBe(2);
  }, 30_000);

  it('an alert’s "Anomaly scores" link opens the highest-scoring window of its range, not its first', async () => {
    const { insights } = await api<{ insights: Alert[] }>(`/api/sessions/${floodId}/insights?type=alert`);
    const { anomalies } = await api<{ anomalies: { window_id: number; score: number }[] }>(
      `/api/sessions/${floodId}/anomalies?contributions=false`,
    );
    const peakOf = (a: Alert) =>
      anomalies
        .filter((w) => w.window_id >= a.window_start && w.window_id <= (a.window_end ?? a.window_start))
        .reduce((b, w) => (w.score > b.score ? w : b)).window_id;
    // Such an alert is what the link got wrong: its first window is not its highest-scoring one.
    const a = insights.find((i) => peakOf(i) !== i.window_start);
    if (!a) throw new Error(`every alert peaks at its first window: ${JSON.stringify(anomalies)}`);
    await open(`/timeline?session=${floodId}&event=${a.id}`);
    const link = page.getByRole('link', { name: 'Anomaly scores' });
    await link.waitFor();
    const href = new URL((await link.getAttribute('href')) as string, base);
    expect(href.searchParams.get('window')).toBe(String(peakOf(a)));
  }, 30_000);

  it('traffic: a capture nearly all remote → remote says so beside the in/out headline', async () => {
    const d = await api<Record<string, number>>(`/api/sessions/${wikiId}/direction`);
    const all = d.inbound_bytes + d.outbound_bytes + d.internal_bytes + d.external_bytes;
    expect((d.inbound_bytes + d.outbound_bytes) / all).toBeLessThan(0.1);
    await open(`/traffic?session=${wikiId}`);
    const note = page.getByTestId('direction-note');
    await note.waitFor();
    const text = await note.innerText();
    expect(text).toContain('external');
    expect(text).toContain('--local-net');
    expect(text).toContain('Local networks');
  }, 30_000);
});
