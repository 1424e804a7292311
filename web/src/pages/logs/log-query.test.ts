import { describe, expect, it } from 'vitest';
import { logsPath, readLogQuery, writeLogQuery } from './log-query.js';

describe('the Logs page’s URL', () => {
  it('reads what it wrote, and only what the server accepts', () => {
    const q = readLogQuery(new URLSearchParams('tab=http&q=bing&sort=status_code&order=desc&page=2&flow=7'));
    expect(q).toEqual({ tab: 'http', q: 'bing', sort: 'status_code', order: 'desc', page: 2, flow: 7 });
    expect(readLogQuery(writeLogQuery(new URLSearchParams('session=x'), q))).toEqual(q);
    // A DNS column is not an HTTP sort; a page or flow that is not a count is dropped.
    expect(readLogQuery(new URLSearchParams('tab=http&sort=query&page=-1&flow=0'))).toMatchObject({
      sort: 'ts',
      page: 0,
      flow: null,
    });
    expect(readLogQuery(new URLSearchParams('tab=smtp')).tab).toBe('dns');
  });

  it('asks the server for the page, the search and the flow', () => {
    const path = logsPath('s-1', { tab: 'tls', q: 'a&b', sort: 'ja4', order: 'asc', page: 1, flow: 3 });
    expect(path).toBe('/api/sessions/s-1/logs/tls?sort=ja4&order=asc&limit=50&offset=50&q=a%26b&flow=3');
  });
});
