#!/usr/bin/env node
// How long each dashboard page takes to become interactive, in Chromium, against a running server:
//
//   node test/browser/bench-pages.mjs http://127.0.0.1:8080 SESSION_ID [ROUNDS]
//
// "Interactive" = no loading state left on the page and its charts (or the flows table) drawn.
// Prints the cold load of the overview (empty cache: bundle, session, data), then each page
// reached through the navigation, first with its data still to fetch, then again from the
// page's cache. Chromium: $CHROMIUM_PATH or /usr/bin/chromium.
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
// A new context has an empty cache; its first blank page starts the renderer, which a user's
// running browser already has, so the cold load below times the dashboard and not Chromium's start.
const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
const page = await context.newPage();
await page.goto('about:blank');
const interactive = () =>
  page.waitForFunction(
    () =>
      document.querySelectorAll('.state-loading').length === 0 &&
      document.querySelector('.page') !== null &&
      (document.querySelectorAll('.chart canvas').length > 0 ||
        document.querySelector('[data-testid=flows-table] tbody tr') !== null),
    null,
    { timeout: 60_000, polling: 16 },
  );

const root = base.replace(/\/$/, '');
let t0 = performance.now();
await page.goto(`${root}/sessions/${encodeURIComponent(sessionId)}`);
await interactive();
console.log(`overview (cold tab)  ${Math.round(performance.now() - t0)} ms`);
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
