import { describe, expect, it } from 'vitest';
import { canonicalIp } from '../../../../src/analysis/options.js';
import { addressProblem, clampPage, flowsPath, MAX_OFFSET, readQuery, writeQuery } from './flow-query.js';

/** The flows route's `ip` checks (src/server/routes/data.ts): its schema pattern, then canonicalIp. */
const serverTakes = (a: string) =>
  a.length <= 45 && /^([0-9]{1,3}(\.[0-9]{1,3}){3}|[0-9A-Fa-f:.]{2,45})$/.test(a) && canonicalIp(a) !== null;
const query = (s: string) => readQuery(new URLSearchParams(s));
const offsetOf = (s: string) =>
  Number(new URL(flowsPath('x', query(s)), 'http://h').searchParams.get('offset'));

describe('flows table paging', () => {
  it('an odd page in the URL (1e20, -3, 2.5, abc, empty) opens the first page', () => {
    for (const p of ['1e20', '-3', '2.5', 'abc', '', '0x10', ' 4'])
      expect(query(`page=${encodeURIComponent(p)}`).page, p).toBe(0);
    expect(query('page=7').page).toBe(7);
  });

  it('a huge page never asks the API for an offset it refuses', () => {
    for (const size of [25, 50, 100, 250]) {
      for (const p of ['99999999', '100000000000000000000000']) {
        const offset = offsetOf(`page=${p}&size=${size}`);
        expect(offset).toBeLessThanOrEqual(MAX_OFFSET);
        expect(offset % size).toBe(0);
      }
    }
    expect(offsetOf('page=3&size=25')).toBe(75);
  });

  it('a page beyond the last goes to the last page; nothing matching goes to the first', () => {
    expect(clampPage(600, 50, 27_597)).toBe(551);
    expect(clampPage(99_999_999, 50, 27_597)).toBe(551);
    expect(clampPage(551, 50, 27_597)).toBe(551);
    expect(clampPage(3, 50, 27_597)).toBe(3);
    expect(clampPage(552, 50, 27_600)).toBe(551);
    expect(clampPage(5, 50, 0)).toBe(0);
    expect(clampPage(0, 50, 0)).toBe(0);
  });
});

describe('flows table address', () => {
  it('a sorted, filtered, paged table reads back the same from its URL after a reload', () => {
    const q = query(
      'sort=start_timestamp&order=asc&ip=10.0.0.5&port=443&protocol=tcp&window_from=3&window_to=7&page=2&size=100',
    );
    const url = writeQuery(new URLSearchParams('session=x'), q);
    expect(readQuery(url)).toEqual(q);
    expect(url.get('session')).toBe('x');
  });

  it('an untouched table keeps a short address: defaults stay out of the URL', () => {
    const url = writeQuery(new URLSearchParams('session=x&page=4&ip=10.0.0.1'), query(''));
    expect(url.toString()).toBe('session=x');
  });
});

describe('flows table address filter', () => {
  it('refuses "192.168.10." and other non-addresses before sending, as the server would', () => {
    for (const a of [
      '192.168.10.',
      '192.168.10',
      '256.1.1.1',
      '1.2.3.4.5',
      '1::2::3',
      '1:2:3:4:5:6:7',
      '12345::1',
      'fe80::1%eth0',
      'abc',
      ':::',
      '::ffff:1.2.3',
    ]) {
      expect(addressProblem(a), a).toMatch(/not an IPv4 or IPv6 address/);
      expect(serverTakes(a), a).toBe(false);
    }
  });

  it('takes every IPv4 and IPv6 literal the server takes', () => {
    for (const a of [
      '10.0.0.1',
      '192.168.010.55',
      '2001:db8::1',
      '::',
      '::1',
      'FE80::6600:6AFF:FE5B:8EB3',
      '2001:db8:1:0:306e:739d:dea6:99a4',
      '::ffff:192.0.2.1',
      '1:2:3:4:5:6:7::',
      ' 10.0.0.1 ',
      '',
    ]) {
      expect(addressProblem(a), a).toBeNull();
      if (a.trim()) expect(serverTakes(a.trim()), a).toBe(true);
    }
  });

  it('says a single address is expected when given a network (the API takes no CIDR)', () => {
    expect(addressProblem('192.168.10.0/24')).toMatch(/one address is expected.*CIDR/);
    expect(addressProblem('2001:db8::/32')).toMatch(/one address is expected/);
  });
});
