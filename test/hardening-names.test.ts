import { describe, expect, it } from 'vitest';
import { parseDns, parseHttpRequest, parseTlsClientHello } from '../src/analysis/app-hints.js';
import { cleanName } from '../src/format/text.js';
import { tlsClientHello } from './helpers/packets.js';

/** Issue #22 item 7: names from captures decoded as their protocols say, and bidi controls. */

/** A DNS query whose name is given as raw label bytes (UTF-8 or not). */
function dnsQueryBytes(labels: Buffer[]): Buffer {
  const header = Buffer.from([0, 1, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  const name = labels.flatMap((l) => [Buffer.from([l.length]), l]);
  return Buffer.concat([header, ...name, Buffer.from([0, 0, 1, 0, 1])]);
}

describe('names from captures', () => {
  it('reads a UTF-8 DNS name as UTF-8 (mDNS and many resolvers carry it), invalid bytes as U+FFFD', () => {
    const q = dnsQueryBytes([Buffer.from('bücher'), Buffer.from('example')]);
    expect(parseDns(q, 0, q.length, false)?.queryName).toBe('bücher.example');
    const bad = dnsQueryBytes([Buffer.from([0x61, 0xff, 0x62]), Buffer.from('example')]);
    expect(parseDns(bad, 0, bad.length, false)?.queryName).toBe('a\uFFFDb.example');
  });

  it('reads a UTF-8 HTTP Host as UTF-8, and a TLS server name (an A-label, ASCII) with other bytes as U+FFFD', () => {
    const req = Buffer.from('GET / HTTP/1.1\r\nHost: bücher.de\r\nUser-Agent: x\r\n\r\n');
    expect(parseHttpRequest(req, 0, req.length)).toEqual({ method: 'GET', host: 'bücher.de' });
    const hello = tlsClientHello('bücher.de');
    expect(parseTlsClientHello(hello, 0, hello.length)?.sni).toBe('b\uFFFD\uFFFDcher.de');
  });

  it('strips bidi controls from a name, so "x\\u202Egpj.exe" cannot show as "xexe.jpg"', () => {
    expect(cleanName('invoice\u202Egpj.exe')).toBe('invoicegpj.exe');
    expect(cleanName('\u2067a\u2069\u200f')).toBe('a');
    expect(cleanName('שלום.pcap')).toBe('שלום.pcap'); // right-to-left letters themselves stay
  });
});
