#!/usr/bin/env node
// How long each dashboard page takes to become interactive, in Chromium, against a running server:
//
//   node test/browser/bench-pages.mjs http://127.0.0.1:8080 SESSION_ID [ROUNDS]
//
// "Interactive" = no loading state left on the page and every one of its charts (or the flows
// table) drawn.
// Prints the cold load of every page (a new tab, empty cache: bundle, session, data; median of
// BENCH_COLD_RUNS), then each page reached through the navigation, first with its data still to
// fetch, then again from the page's cache. Chromium: $CHROMIUM_PATH or /usr/bin/chromium.
import { chromium } from 'playwright-core';

const [base, sessionId, roundsArg] = process.argv.slice(2);
if (!base || !sessionId) {
  console.error('usage: node test/browser/bench-pages.mjs BASE_URL SESSION_ID [ROUNDS]');
  process.exit(2);
}
const rounds = Number(roundsArg ?? 2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});
const root = base.replace(/\/$/, '');
const id = encodeURIComponent(sessionId);
/**
 * A new context (an empty cache) with a renderer already running for the server's site: its first
 * page is the health answer (no script, nothing the dashboard caches), so the cold loads below time
 * the dashboard and not Chromium starting a process (a user's running browser has one).
 */
async function coldTab() {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const p = await ctx.newPage();
  await p.goto(`${root}/api/health`);
  return { ctx, p };
}
const { p: page } = await coldTab();
const interactiveOn = (p) =>
  p.waitForFunction(
    () =>
      document.querySelectorAll('.state-loading').length === 0 &&
      document.querySelector('.page') !== null &&
      // Every chart on the page drawn (not just the first), or the flows table filled.
      document.querySelectorAll('.chart:not(:has(canvas))').length === 0 &&
      (document.querySelectorAll('.chart canvas').length > 0 ||
        document.querySelector('[data-testid=flows-table] tbody tr') !== null),
    null,
    { timeout: 60_000, polling: 16 },
  );
const interactive = () => interactiveOn(page);

// Every page opened in a new tab with an empty cache (a bookmark, a link from elsewhere),
// BENCH_COLD_RUNS times each (5 by default): the median, then every run.
const coldRuns = Number(process.env.BENCH_COLD_RUNS ?? 5);
const pages = { overview: `/sessions/${id}` };
for (const key of ['protocols', 'traffic', 'timeline', 'anomalies']) pages[key] = `/${key}?session=${id}`;
for (const [key, path] of Object.entries(pages)) {
  const times = [];
  for (let i = 0; i < coldRuns; i++) {
    const { ctx, p } = await coldTab();
    const t = performance.now();
    await p.goto(`${root}${path}`);
    await interactiveOn(p);
    times.push(Math.round(performance.now() - t));
    await ctx.close();
  }
  const sorted = [...times].sort((x, y) => x - y);
  const median = sorted[sorted.length >> 1];
  console.log(`${`${key} (cold tab)`.padEnd(20)} ${median} ms median (${times.join(', ')})`);
}
// Then each page reached through the navigation of one tab.
await page.goto(`${root}/sessions/${id}`);
await interactive();
let t0 = 0;
for (let r = 1; r <= rounds; r++) {
  for (const name of ['Protocols', 'Traffic', 'Timeline', 'Anomalies', 'Overview']) {
    t0 = performance.now();
    await page.getByRole('link', { name, exact: true }).click();
    await page.waitForTimeout(16);
    await interactive();
    const label = `${name.toLowerCase()} (${r === 1 ? 'first visit' : 'again'})`;
    console.log(`${label.padEnd(20)} ${Math.round(performance.now() - t0)} ms`);
  }
}
await browser.close();
