import { describe, expect, it } from 'vitest';
import { flowsPath, readQuery, writeQuery } from './flow-query.js';

const ID = '0d2c4a8e-6f1b-4c3d-9e5a-7b8c9d0e1f2a';

describe('flows table paging by key (issue #22)', () => {
  it('asks for the page after the cursor, not for an offset, when the URL carries one', () => {
    const q = readQuery(new URLSearchParams('page=20000&after=62%3A500001&sort=packet_count'));
    expect(q.after).toBe('62:500001');
    const url = new URL(flowsPath(ID, q), 'http://x');
    expect(url.searchParams.get('after')).toBe('62:500001');
    expect(url.searchParams.get('offset')).toBe('0');
    expect(url.searchParams.get('sort')).toBe('packet_count');
    expect(readQuery(writeQuery(new URLSearchParams(), q))).toEqual(q);
  });

  it('falls back to the offset for a cursor it cannot have written', () => {
    const q = readQuery(new URLSearchParams('page=3&after=drop%20table'));
    expect(q.after).toBe('');
    expect(new URL(flowsPath(ID, q), 'http://x').searchParams.get('offset')).toBe('150');
  });
});
