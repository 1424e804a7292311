import { describe, expect, it } from 'vitest';
import { packetsPath, readSearch, searchApiPath, searchUrl } from './search-query.js';

const ID = '7d4dd997-2435-475c-b225-6addaf02730b';

describe('the search page keeps its query in the URL', () => {
  it('a URL it wrote reads back as the same search', () => {
    const query = { q: 'port == 53 and bytes > 1k', groupBy: 'src', cursor: 'WyJzdGFydCJd', sessions: [ID] };
    const url = searchUrl(query);
    expect(readSearch(new URL(url, 'http://x').searchParams)).toEqual(query);
  });

  it('an unknown group-by, a malformed cursor or session id in a typed URL is dropped, not sent', () => {
    const q = readSearch(
      new URLSearchParams({
        q: 'ip == 10.0.0.1',
        group_by: 'bytes',
        cursor: "x'; --",
        sessions: `${ID},nope`,
      }),
    );
    expect(q).toEqual({ q: 'ip == 10.0.0.1', groupBy: '', cursor: '', sessions: [ID] });
  });

  it('the API path carries the expression as a parameter, encoded', () => {
    const path = searchApiPath({ q: 'tls.sni ~ "*.example.com" & x', groupBy: '', cursor: '', sessions: [] });
    expect(new URL(path, 'http://x').searchParams.get('q')).toBe('tls.sni ~ "*.example.com" & x');
    expect(path.startsWith('/api/search?')).toBe(true);
  });

  it("a hit's packets link names its session and flow", () => {
    expect(packetsPath(ID, 42)).toBe(`/api/sessions/${ID}/packets?flow=42`);
  });
});
