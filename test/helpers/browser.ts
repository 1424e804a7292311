import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { defaultWebDir, type RunningServer, type StartOptions, startServer } from '../../src/server/index.js';
import { hasSharedPcaps } from './shared.js';

/**
 * What the browser tests share: Debian's Chromium as the project runs it (never a downloaded
 * browser), a real server on a fresh embedded database, and the API calls that load captures.
 */

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
/** Where page screenshots go (looked at by people, not compared). */
export const SCREENSHOT_DIR =
  process.env.SCREENSHOT_DIR ?? fileURLToPath(new URL('../../test-output/screenshots', import.meta.url));

/**
 * Whether the browser tests can run: Chromium, the capture corpus and the built pages
 * (`npm run build:web`). Without them a user's machine gets a "skipped: …" line; CI fails, as a
 * skip there would hide a broken page.
 */
export function browserTestsReady(what: string): boolean {
  const ready = existsSync(CHROMIUM) && hasSharedPcaps && existsSync(join(defaultWebDir(), 'index.html'));
  if (!ready) {
    if (process.env.CI) throw new Error(`CI needs the ${what}: ${CHROMIUM}, the capture corpus and dist/web`);
    console.warn(`skipped: ${what} (need ${CHROMIUM}, the capture corpus and dist/web)`);
  }
  return ready;
}

export interface TestServer {
  server: RunningServer;
  /** The server's address without its trailing slash. */
  base: string;
  /** The test's own folder (the database is in it): for files a test writes; gone on close. */
  dir: string;
  close(): Promise<void>;
}

/** A server on 127.0.0.1 with a fresh embedded database in a folder of its own, gone on close. */
export async function startTestServer(
  prefix: string,
  options: Partial<StartOptions> = {},
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    const server = await startServer({
      host: '127.0.0.1',
      port: 0,
      dbTarget: join(dir, 'db'),
      token: null,
      maxUploadBytes: 100_000_000,
      concurrency: 1,
      ...options,
    });
    return {
      server,
      base: server.url.replace(/\/$/, ''),
      dir,
      close: async () => {
        await server.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Chromium with one page at 1440×900. */
export async function launchPage(): Promise<{ browser: Browser; context: BrowserContext; page: Page }> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  return { browser, context, page: await context.newPage() };
}

/** A GET of the API that must answer 200, as JSON. */
export async function apiGet<T>(base: string, path: string): Promise<T> {
  const res = await fetch(`${base}${path}`);
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

/** Uploads the capture at `path` through the API and waits until its session is completed. */
export async function uploadCompleted(base: string, path: string, timeoutMs = 60_000): Promise<string> {
  const file = basename(path);
  const form = new FormData();
  form.set('file', new Blob([readFileSync(path)]), file);
  const res = await fetch(`${base}/api/sessions`, {
    method: 'POST',
    body: form,
    headers: { 'X-Flowlens-Request': '1' },
  });
  expect(res.status).toBe(202);
  const { session_id: id } = (await res.json()) as { session_id: string };
  for (const until = Date.now() + timeoutMs; ; ) {
    const { session } = await apiGet<{ session: { status: string } }>(
      base,
      `/api/sessions/${id}?anomalies=false`,
    );
    if (session.status === 'completed') return id;
    if (session.status === 'failed') throw new Error(`${file}: the analysis failed`);
    if (Date.now() > until) throw new Error(`${file}: not analysed within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
