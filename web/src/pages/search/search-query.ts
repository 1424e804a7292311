import { isSessionId } from '../../api/request.js';

// The search page's state as its URL carries it (the expression, the group-by, the page's cursor,
// the sessions), so a reload or a shared link shows the same search.

/** The fields the server can group by (src/search/fields.ts, those with `group`). */
export const GROUP_FIELDS = [
  'src',
  'dst',
  'ip',
  'port',
  'src_port',
  'dst_port',
  'proto',
  'state',
  'session',
] as const;
export const SEARCH_PAGE_SIZE = 50;

export interface SearchQuery {
  q: string;
  groupBy: string;
  cursor: string;
  /** Session ids to search; empty: every session. */
  sessions: string[];
}

export function readSearch(search: URLSearchParams): SearchQuery {
  const group = search.get('group_by') ?? '';
  const cursor = search.get('cursor') ?? '';
  return {
    q: search.get('q') ?? '',
    groupBy: (GROUP_FIELDS as readonly string[]).includes(group) ? group : '',
    cursor: /^[A-Za-z0-9_-]{1,400}$/.test(cursor) ? cursor : '',
    sessions: (search.get('sessions') ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter((s) => isSessionId(s)),
  };
}

/** The search page's own address for `query` (defaults left out). */
export function searchUrl(query: Partial<SearchQuery>): string {
  const s = new URLSearchParams();
  if (query.q) s.set('q', query.q);
  if (query.groupBy) s.set('group_by', query.groupBy);
  if (query.sessions && query.sessions.length > 0) s.set('sessions', query.sessions.join(','));
  if (query.cursor) s.set('cursor', query.cursor);
  const text = s.toString();
  return `/search${text ? `?${text}` : ''}`;
}

/** The API's address for `query`. */
export function searchApiPath(query: SearchQuery, limit = SEARCH_PAGE_SIZE): string {
  const s = new URLSearchParams({ q: query.q, limit: String(limit) });
  if (query.groupBy) s.set('group_by', query.groupBy);
  if (query.sessions.length > 0) s.set('sessions', query.sessions.join(','));
  if (query.cursor) s.set('cursor', query.cursor);
  return `/api/search?${s}`;
}

/** The packets of a hit's flow, from the capture (the packets endpoint). */
export function packetsPath(sessionId: string, flowId: number): string {
  return `/api/sessions/${encodeURIComponent(sessionId)}/packets?flow=${flowId}`;
}
