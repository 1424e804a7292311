export type PageKey = 'overview' | 'protocols' | 'traffic' | 'timeline' | 'anomalies';

export const PAGES: { key: PageKey; label: string; title: string }[] = [
  { key: 'overview', label: 'Overview', title: 'Session overview' },
  { key: 'protocols', label: 'Protocols', title: 'Protocols' },
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
