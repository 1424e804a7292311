// The Logs page's state in its URL: which log, the search, the sort, the page and the flow.

export type LogTab = 'dns' | 'http' | 'tls';
export const LOG_TABS: { key: LogTab; label: string }[] = [
  { key: 'dns', label: 'DNS' },
  { key: 'http', label: 'HTTP' },
  { key: 'tls', label: 'TLS' },
];

/** The columns the server sorts each log by (its LOG_SORTS). */
export const LOG_SORTS: Record<LogTab, readonly string[]> = {
  dns: ['ts', 'query', 'qtype_name', 'rcode_name', 'rtt', 'flow_id'],
  http: ['ts', 'method', 'host', 'uri', 'status_code', 'user_agent', 'response_body_len', 'rtt', 'flow_id'],
  tls: ['ts', 'version', 'cipher', 'server_name', 'ja3', 'ja4', 'flow_id'],
};

export const LOG_PAGE_SIZE = 50;

export interface LogQuery {
  tab: LogTab;
  q: string;
  sort: string;
  order: 'asc' | 'desc';
  page: number;
  /** One flow's transactions (null: every flow's). */
  flow: number | null;
}

export function readLogQuery(search: URLSearchParams): LogQuery {
  const t = search.get('tab');
  const tab: LogTab = t === 'http' || t === 'tls' ? t : 'dns';
  const sort = search.get('sort') ?? 'ts';
  const page = Number(search.get('page') ?? '0');
  const flow = Number(search.get('flow') ?? '');
  return {
    tab,
    q: (search.get('q') ?? '').slice(0, 200),
    sort: LOG_SORTS[tab].includes(sort) ? sort : 'ts',
    order: search.get('order') === 'desc' ? 'desc' : 'asc',
    page: Number.isInteger(page) && page >= 0 ? page : 0,
    flow: Number.isInteger(flow) && flow >= 1 ? flow : null,
  };
}

export function writeLogQuery(search: URLSearchParams, q: LogQuery): URLSearchParams {
  const out = new URLSearchParams(search);
  const set = (k: string, v: string | null) => (v === null ? out.delete(k) : out.set(k, v));
  set('tab', q.tab === 'dns' ? null : q.tab);
  set('q', q.q === '' ? null : q.q);
  set('sort', q.sort === 'ts' ? null : q.sort);
  set('order', q.order === 'asc' ? null : q.order);
  set('page', q.page === 0 ? null : String(q.page));
  set('flow', q.flow === null ? null : String(q.flow));
  return out;
}

/** The API path of one page of a log. */
export function logsPath(sessionId: string, q: LogQuery): string {
  const p = new URLSearchParams({
    sort: q.sort,
    order: q.order,
    limit: String(LOG_PAGE_SIZE),
    offset: String(q.page * LOG_PAGE_SIZE),
  });
  if (q.q !== '') p.set('q', q.q);
  if (q.flow !== null) p.set('flow', String(q.flow));
  return `/api/sessions/${encodeURIComponent(sessionId)}/logs/${q.tab}?${p.toString()}`;
}
