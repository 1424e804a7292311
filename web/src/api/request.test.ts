import { describe, expect, it } from 'vitest';
import { isSessionId, normalizeSessionId } from './request.js';

const ID = '1b4e28ba-2fa1-41d2-883f-0016d3cca427';

describe('session ids from the address', () => {
  it('a pasted id with a trailing space or capitals is the same session', () => {
    expect(normalizeSessionId(`${ID} `)).toBe(ID);
    expect(normalizeSessionId(` ${ID.toUpperCase()}\n`)).toBe(ID);
    expect(isSessionId(normalizeSessionId(`${ID.toUpperCase()} `))).toBe(true);
  });
  it('a string that is no UUID names no session (not asked of the server)', () => {
    for (const bad of ['not-a-session', 'zzz', '', `${ID}x`, ID.slice(1)])
      expect(isSessionId(bad)).toBe(false);
  });
});
