// Requests to the API and the per-session answer cache, without React: early.ts uses them before
// the app's own code has loaded.

import { SESSION_ID_PATTERN } from '../../../src/storage/session-id.js';

/** An answer other than 2xx: the status and the server's one-sentence `error`. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();

/** Called whenever the server answers 401: the app shows its login form. */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/** Header every state-changing request carries (a cross-site form cannot send it). */
export const STATE_CHANGE_HEADER = { 'X-Flowlens-Request': '1' } as const;

async function errorOf(res: Response): Promise<ApiError> {
  let message = `${res.status} ${res.statusText || 'error'}`;
  try {
    const body = (await res.json()) as { error?: unknown };
    if (typeof body.error === 'string' && body.error) message = body.error;
  } catch {
    // not JSON: keep the status line
  }
  if (res.status === 401) for (const l of unauthorizedListeners) l();
  return new ApiError(res.status, message);
}

export async function apiRequest<T>(path: string, init: RequestInit = {}): Promise<T> {
  const method = (init.method ?? 'GET').toUpperCase();
  const headers = new Headers(init.headers);
  headers.set('Accept', 'application/json');
  if (method !== 'GET' && method !== 'HEAD') {
    for (const [k, v] of Object.entries(STATE_CHANGE_HEADER)) headers.set(k, v);
  }
  let res: Response;
  try {
    res = await fetch(path, { ...init, method, headers, credentials: 'same-origin' });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'The Flowlens server cannot be reached.');
  }
  if (!res.ok) throw await errorOf(res);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

// Requests started by the entry (early.ts) before the app has loaded, each handed to its first reader
// instead of being asked again: a page opened directly needs the sign-in check, the session list
// and its session at once, not one after the other as the components mount.
const EARLY_MS = 10_000;
const early = new Map<string, { answer: Promise<unknown>; at: number }>();

export function startEarly(path: string): void {
  if (early.has(path)) return;
  const answer = apiRequest(path);
  answer.catch(() => undefined); // its reader sees the error
  early.set(path, { answer, at: Date.now() });
}

/**
 * A fresh answer: the early request for `path` if one is recent and untaken (so only the first
 * reader gets it), else a new one. An
 * early request that failed is asked again (it may have gone before the sign-in that the
 * reader comes after).
 */
export function getFresh<T>(path: string): Promise<T> {
  const e = early.get(path);
  early.delete(path);
  if (e && Date.now() - e.at < EARLY_MS) return (e.answer as Promise<T>).catch(() => apiRequest<T>(path));
  return apiRequest<T>(path);
}

export function apiPostJson<T>(path: string, body: unknown): Promise<T> {
  return apiRequest<T>(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

const SESSION_ID = new RegExp(SESSION_ID_PATTERN);

/**
 * A session id as the server spells it: a pasted one may carry spaces around it or capitals (the
 * server's ids are lower-case UUIDs).
 */
export function normalizeSessionId(raw: string): string {
  return raw.trim().toLowerCase();
}

/** Whether `id` (normalised) can name a session at all; the server refuses anything else with 400. */
export function isSessionId(id: string): boolean {
  return SESSION_ID.test(id);
}

export function sessionPath(sessionId: string, rest = ''): string {
  return `/api/sessions/${encodeURIComponent(sessionId)}${rest}`;
}

// A finished session's data never changes, so its answers are kept for the life of the page
// (switching pages back and forth costs nothing). Deleting a session drops its entries.
// Answers that have arrived are also kept by value, so a page opened again renders at once,
// without a loading frame.
const cache = new Map<string, Promise<unknown>>();
const settled = new Map<string, unknown>();

export function cachedGet<T>(path: string): Promise<T> {
  let p = cache.get(path) as Promise<T> | undefined;
  if (!p) {
    p = apiRequest<T>(path);
    cache.set(path, p);
    p.then(
      (v) => settled.set(path, v),
      () => cache.delete(path),
    );
  }
  return p;
}

/** Keeps an answer fetched outside the cache (a session that has just completed). */
export function remember(path: string, value: unknown): void {
  settled.set(path, value);
  cache.set(path, Promise.resolve(value));
}

export function isCached(path: string): boolean {
  return settled.has(path);
}

/** The answer that arrived for `path`, if one has. */
export function settledAnswer<T>(path: string): T | undefined {
  return settled.get(path) as T | undefined;
}

/** Starts fetching answers a page is about to ask for (errors are left to the page). */
export function prefetch(paths: string[]): void {
  for (const p of paths) cachedGet(p).catch(() => undefined);
}

export function forgetSession(sessionId: string): void {
  const prefix = sessionPath(sessionId);
  const mine = (key: string) =>
    key === prefix || key.startsWith(`${prefix}/`) || key.startsWith(`${prefix}?`);
  for (const key of cache.keys()) if (mine(key)) cache.delete(key);
  for (const key of settled.keys()) if (mine(key)) settled.delete(key);
}
