import { describe, expect, it } from 'vitest';
import { parseDns, parseHttpRequest, parseTlsClientHello } from '../src/analysis/app-hints.js';
import { serviceLabel, serviceName } from '../src/analysis/services.js';
import { dnsQuery, tlsClientHello } from './helpers/packets.js';

describe('application hints', () => {
  it('a DNS query gives its name; a response its code; over TCP after the length prefix', () => {
    expect(parseDns(dnsQuery(1, 'WWW.Example.com'), 0, 33, false)).toEqual({
      queryName: 'www.example.com',
      rcode: null,
      isResponse: false,
    });
    const nx = dnsQuery(2, 'nope.example', true, 3);
    expect(parseDns(nx, 0, nx.length, false)).toMatchObject({
      queryName: 'nope.example',
      rcode: 3,
      isResponse: true,
    });
    // A NUL byte in a label reads as U+FFFD, as the database stores it.
    const nul = dnsQuery(4, 'a\0b.example');
    expect(parseDns(nul, 0, nul.length, false)?.queryName).toBe('a\uFFFDb.example');
    const q = dnsQuery(3, 'tcp.example');
    const overTcp = Buffer.concat([Buffer.from([0, q.length]), q]);
    expect(parseDns(overTcp, 0, overTcp.length, true)?.queryName).toBe('tcp.example');
  });

  it('a TLS ClientHello gives its server name; one without the extension gives null', () => {
    const hello = tlsClientHello('Example.ORG');
    expect(parseTlsClientHello(hello, 0, hello.length)).toEqual({ sni: 'example.org' });
    const withoutSni = Buffer.from(hello);
    withoutSni.writeUInt16BE(0x1234, hello.length - ('example.org'.length + 9)); // rename the extension
    expect(parseTlsClientHello(withoutSni, 0, withoutSni.length)).toEqual({ sni: null });
    expect(parseTlsClientHello(Buffer.from('GET / HTTP/1.1\r\n'), 0, 16)).toBeNull();
  });

  it('an HTTP request gives its method and Host; other payloads give null', () => {
    const get = Buffer.from('GET /a HTTP/1.1\r\nAccept: */*\r\nhost:  Example.com:8080 \r\n\r\n');
    expect(parseHttpRequest(get, 0, get.length)).toEqual({ method: 'GET', host: 'Example.com:8080' });
    const post = Buffer.from('POST /form HTTP/1.0\r\n\r\nHost: body.example\r\n');
    expect(parseHttpRequest(post, 0, post.length)).toEqual({ method: 'POST', host: null });
    expect(parseHttpRequest(Buffer.from('GETX / HTTP/1.1'), 0, 15)).toBeNull();
    expect(parseHttpRequest(Buffer.from('SSH-2.0-OpenSSH'), 0, 15)).toBeNull();
  });

  it('every truncation of a payload (a snaplen cut) gives a partial answer or null, never an exception', () => {
    const payloads: [Buffer, (b: Buffer, n: number) => unknown][] = [
      [dnsQuery(9, 'a.long.name.example.org'), (b, n) => parseDns(b, 0, n, false)],
      [tlsClientHello('cut.example.org'), (b, n) => parseTlsClientHello(b, 0, n)],
      [Buffer.from('GET / HTTP/1.1\r\nHost: cut.example\r\n\r\n'), (b, n) => parseHttpRequest(b, 0, n)],
    ];
    for (const [full, parse] of payloads) {
      for (let n = 0; n <= full.length; n++) {
        // The parser sees only n bytes: the rest of the buffer is garbage it must not read.
        const b = Buffer.concat([full.subarray(0, n), Buffer.alloc(64, 0xff)]);
        expect(() => parse(b, n)).not.toThrow();
      }
    }
    const hello = tlsClientHello('cut.example.org');
    expect(parseTlsClientHello(hello, 0, hello.length - 3)).toEqual({ sni: null });
  });
});

describe('service names', () => {
  it('shows well-known ports the way analysts say them, and unknown ports as numbers', () => {
    expect(serviceLabel('tcp', 443)).toBe('443 (HTTPS)');
    expect(serviceLabel('udp', 53)).toBe('53 (DNS)');
    expect(serviceLabel('tcp', 22)).toBe('22 (SSH)');
    expect(serviceLabel('tcp', 25)).toBe('25 (SMTP)');
    expect(serviceLabel('tcp', 49152)).toBe('49152');
    expect(serviceName('udp', 123)).toBe('ntp');
    // From IANA's registry, where Debian's /etc/services lacks them or differs.
    expect(serviceName('udp', 5355)).toBe('llmnr');
    expect(serviceName('udp', 1900)).toBe('ssdp');
    expect(serviceName('tcp', 7000)).toBe('afs3-fileserver');
    expect(serviceName('tcp', 6010)).toBe('x11'); // inside the registry's range 6000-6063
  });
});

describe('service names for every registered port', () => {
  it('names each port of the packed registry as the registry lists it, first and last entries included', async () => {
    const { TCP_SERVICES, UDP_SERVICES } = await import('../src/analysis/services-data.js');
    for (const [transport, packed] of [
      ['tcp', TCP_SERVICES],
      ['udp', UDP_SERVICES],
    ] as const) {
      for (const entry of packed.split(' ')) {
        const colon = entry.indexOf(':');
        expect(serviceName(transport, Number(entry.slice(0, colon)))).toBe(entry.slice(colon + 1));
      }
    }
    expect(serviceName('tcp', 65_536)).toBeNull();
    expect(serviceName('tcp', 1.5)).toBeNull();
  });
});
