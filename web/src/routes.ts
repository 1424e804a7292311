import {
  anomaliesPath,
  anomalyScoresPath,
  directionPath,
  distributionsPath,
  insightsPath,
  portsPath,
  readTalkerDirection,
  remotePath,
  talkersPath,
  tcpHealthPath,
  windowsPath,
} from './api/endpoints.js';
import { normalizeSessionId } from './api/request.js';
import { logsPath, readLogQuery } from './pages/logs/log-query.js';
import { flowsPath, readQuery } from './pages/protocols/flow-query.js';

export type PageKey = 'overview' | 'protocols' | 'logs' | 'traffic' | 'timeline' | 'anomalies';

export const PAGES: { key: PageKey; label: string; title: string }[] = [
  { key: 'overview', label: 'Overview', title: 'Session overview' },
  { key: 'protocols', label: 'Protocols', title: 'Protocols' },
  { key: 'logs', label: 'Logs', title: 'Protocol logs' },
  { key: 'traffic', label: 'Traffic', title: 'Traffic' },
  { key: 'timeline', label: 'Timeline', title: 'Timeline' },
  { key: 'anomalies', label: 'Anomalies', title: 'Anomalies' },
];

/** The URL of a session's page: the overview lives at /sessions/:id, the others take ?session=. */
export function pageUrl(page: PageKey, sessionId: string, search?: Record<string, string>): string {
  const q = new URLSearchParams(search);
  if (page === 'overview') {
    const s = q.toString();
    return `/sessions/${encodeURIComponent(sessionId)}${s ? `?${s}` : ''}`;
  }
  q.set('session', sessionId);
  return `/${page}?${q.toString()}`;
}

/**
 * What each page asks for first (given its URL's query, for the flows table's rows); fetched while
 * the session itself is being checked.
 */
export const PAGE_DATA: Record<PageKey, (id: string, search: URLSearchParams) => string[]> = {
  overview: (id, search) => [
    windowsPath(id),
    talkersPath(id, readTalkerDirection(search)),
    anomalyScoresPath(id),
    insightsPath(id),
    remotePath(id),
  ],
  protocols: (id, search) => [tcpHealthPath(id), portsPath(id), flowsPath(id, readQuery(search))],
  logs: (id, search) => [logsPath(id, readLogQuery(search))],
  traffic: (id) => [distributionsPath(id), directionPath(id), windowsPath(id)],
  timeline: (id) => [insightsPath(id), windowsPath(id)],
  anomalies: (id) => [anomaliesPath(id), windowsPath(id)],
};

/** A path segment decoded, or as it is when it is not valid percent-encoding. */
function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The session id a URL gives, as the server spells it (null: none). */
export function urlSessionId(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  return normalizeSessionId(raw) || null;
}

/**
 * Which page and session a URL shows: read by the header and the navigation, and by the entry
 * (early.ts) to start the page's requests before the app has loaded.
 */
export function pageAt(
  pathname: string,
  search: string,
): { page: PageKey | 'sessions' | 'search' | null; sessionId: string | null } {
  const q = urlSessionId(new URLSearchParams(search).get('session'));
  const m = /^\/sessions\/([^/]+)\/?$/.exec(pathname);
  if (m) return { page: 'overview', sessionId: urlSessionId(decodeSegment(m[1])) };
  if (pathname === '/sessions' || pathname === '/sessions/') return { page: 'sessions', sessionId: null };
  if (pathname === '/search' || pathname === '/search/') return { page: 'search', sessionId: null };
  const key = pathname.replace(/^\/|\/$/g, '') as PageKey;
  if (PAGES.some((p) => p.key === key)) return { page: key, sessionId: q };
  return { page: null, sessionId: null };
}
