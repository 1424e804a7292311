import { sessionPath } from './request';
import type { FlowSort } from './types';

// The flows table's query as the protocols page's URL carries it (sort, order, filters, page): read
// by the page and, before the app has loaded, by the page's entry to fetch the table's rows early.

export const SORTABLE: Record<string, FlowSort> = {
  start: 'start_timestamp',
  duration: 'duration_seconds',
  packets: 'packet_count',
  bytes: 'total_bytes',
  retrans: 'retransmissions',
};
export const SORT_TO_COLUMN = Object.fromEntries(Object.entries(SORTABLE).map(([k, v]) => [v, k]));
export const PAGE_SIZES = [25, 50, 100, 250];

export interface FlowQuery {
  sort: FlowSort;
  order: 'asc' | 'desc';
  ip: string;
  port: string;
  protocol: string;
  /** Flows that started in windows wfrom..wto (inclusive); '' for all. */
  wfrom: string;
  wto: string;
  page: number;
  size: number;
}

export function readQuery(q: URLSearchParams): FlowQuery {
  const sort = (Object.values(SORTABLE) as string[]).includes(q.get('sort') ?? '')
    ? (q.get('sort') as FlowSort)
    : 'total_bytes';
  const size = Number(q.get('size'));
  return {
    sort,
    order: q.get('order') === 'asc' ? 'asc' : 'desc',
    ip: q.get('ip') ?? '',
    port: q.get('port') ?? '',
    protocol: q.get('protocol') ?? '',
    wfrom: /^\d+$/.test(q.get('window_from') ?? '') ? (q.get('window_from') as string) : '',
    wto: /^\d+$/.test(q.get('window_to') ?? '') ? (q.get('window_to') as string) : '',
    page: Math.max(0, Number.parseInt(q.get('page') ?? '0', 10) || 0),
    size: PAGE_SIZES.includes(size) ? size : 50,
  };
}

/** The flows endpoint's address for `query`. */
export function flowsPath(sessionId: string, query: FlowQuery): string {
  const params = new URLSearchParams({
    sort: query.sort,
    order: query.order,
    limit: String(query.size),
    offset: String(query.page * query.size),
  });
  if (query.ip) params.set('ip', query.ip);
  if (query.port) params.set('port', query.port);
  if (query.protocol) params.set('protocol', query.protocol);
  if (query.wfrom) params.set('window_from', query.wfrom);
  if (query.wto) params.set('window_to', query.wto);
  return sessionPath(sessionId, `/flows?${params}`);
}
