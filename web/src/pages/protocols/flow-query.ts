// The parsers behind the flows route's address check (canonicalIp), so the page refuses exactly
// what the server would.
import { parseIpv4, parseIpv6 } from '../../../../src/analysis/local-nets.js';
import { sessionPath } from '../../api/request.js';
import type { FlowSort } from '../../api/types.js';

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
/** The largest `offset` the flows endpoint accepts (docs/API.md); a larger one is refused (400). */
export const MAX_OFFSET = 100_000_000;

export interface FlowQuery {
  sort: FlowSort;
  order: 'asc' | 'desc';
  ip: string;
  port: string;
  protocol: string;
  /** Flows that started in windows wfrom..wto (inclusive); '' for all. */
  wfrom: string;
  wto: string;
  /** A filter expression of the search language (docs/FILTERS.md), '' for none. */
  expr: string;
  page: number;
  size: number;
  /**
   * The cursor that reaches `page` by key (the previous page's next_cursor), '' to reach it by
   * offset: Next pages by key, so a deep page answers as fast as the first.
   */
  after: string;
}

export function readQuery(q: URLSearchParams): FlowQuery {
  const sort = (Object.values(SORTABLE) as string[]).includes(q.get('sort') ?? '')
    ? (q.get('sort') as FlowSort)
    : 'total_bytes';
  const size = Number(q.get('size'));
  const query: FlowQuery = {
    sort,
    order: q.get('order') === 'asc' ? 'asc' : 'desc',
    ip: q.get('ip') ?? '',
    port: q.get('port') ?? '',
    protocol: q.get('protocol') ?? '',
    wfrom: /^\d+$/.test(q.get('window_from') ?? '') ? (q.get('window_from') as string) : '',
    wto: /^\d+$/.test(q.get('window_to') ?? '') ? (q.get('window_to') as string) : '',
    expr: (q.get('q') ?? '').slice(0, 10_000),
    page: 0,
    size: PAGE_SIZES.includes(size) ? size : 50,
    after: /^-?[0-9.eE+-]{1,40}:[0-9]{1,15}$/.test(q.get('after') ?? '') ? (q.get('after') as string) : '',
  };
  // The URL's page is 0-based. Anything but a whole number (1e20, -3, 2.5, abc) is the first page; a
  // huge one is held to the last page the API can be asked for, then to the table's last page once
  // its count is known (see clampPage).
  const page = q.get('page') ?? '';
  if (/^\d+$/.test(page)) query.page = Math.min(Number(page), maxPage(query.size));
  return query;
}

/**
 * The URL's query with the flows table's `query` written into it, as readQuery reads it back;
 * defaults are left out, so an untouched table keeps a short address.
 */
export function writeQuery(search: URLSearchParams, query: FlowQuery): URLSearchParams {
  const s = new URLSearchParams(search);
  const put = (k: string, v: string, dflt: string) => (v && v !== dflt ? s.set(k, v) : s.delete(k));
  put('sort', query.sort, 'total_bytes');
  put('order', query.order, 'desc');
  put('ip', query.ip, '');
  put('port', query.port, '');
  put('protocol', query.protocol, '');
  put('window_from', query.wfrom, '');
  put('window_to', query.wto, '');
  put('q', query.expr, '');
  put('page', String(query.page), '0');
  put('size', String(query.size), '50');
  put('after', query.after, '');
  return s;
}

/** The last 0-based page of `size` rows whose offset the flows endpoint accepts. */
export function maxPage(size: number): number {
  return Math.floor(MAX_OFFSET / size);
}

/**
 * The page to show when `total` flows match (`exact` false: at least that many): `page` itself when
 * it has rows, else the last page that has (the first when nothing matches).
 */
export function clampPage(page: number, size: number, total: number): number {
  const last = Math.max(0, Math.ceil(total / size) - 1);
  return Math.max(0, Math.min(page, last, maxPage(size)));
}

/** The flows endpoint's address for `query`. */
export function flowsPath(sessionId: string, query: FlowQuery): string {
  const params = new URLSearchParams({
    sort: query.sort,
    order: query.order,
    limit: String(query.size),
    offset: query.after ? '0' : String(Math.min(query.page, maxPage(query.size)) * query.size),
  });
  if (query.after) params.set('after', query.after);
  if (query.ip) params.set('ip', query.ip);
  if (query.port) params.set('port', query.port);
  if (query.protocol) params.set('protocol', query.protocol);
  if (query.wfrom) params.set('window_from', query.wfrom);
  if (query.wto) params.set('window_to', query.wto);
  if (query.expr.trim()) params.set('q', query.expr.trim());
  return sessionPath(sessionId, `/flows?${params}`);
}

/**
 * Why the flows table's address filter would be refused, or null when the API takes it: one IPv4
 * or IPv6 address (at most 45 characters; no zone, no prefix), as the server's `ip` check reads it.
 */
export function addressProblem(text: string): string | null {
  const a = text.trim();
  if (a === '') return null;
  if (a.includes('/'))
    return 'Address: one address is expected, such as 10.0.0.1 or 2001:db8::1; networks (CIDR) are not supported.';
  if (
    a.length <= 45 &&
    /^[0-9a-fA-F.:]+$/.test(a) &&
    (parseIpv4(a) !== null || (a.includes(':') && parseIpv6(a) !== null))
  )
    return null;
  return `Address: '${a}' is not an IPv4 or IPv6 address. Enter one address, such as 10.0.0.1 or 2001:db8::1.`;
}
