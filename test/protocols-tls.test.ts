import { describe, expect, it } from 'vitest';
import {
  ByteBudget,
  type ClientHello,
  emptyTlsStats,
  ja3Text,
  ja4,
  parseClientHello,
  parseServerHello,
  readCertificate,
  TLS_HANDSHAKE_MAX,
  TlsFlow,
  type TlsTransaction,
} from '../src/protocols/index.js';
import { TCP, tcpFrame, writeCapture } from './helpers/packets.js';
import { protocolLogs } from './helpers/protocol-feed.js';
import {
  certificateMessage,
  clientHello,
  type Extension,
  ext,
  RECORD_APPLICATION_DATA,
  RECORD_CHANGE_CIPHER_SPEC,
  RECORD_HANDSHAKE,
  records,
  serverHello,
  serverHelloDone,
} from './helpers/tls-messages.js';
import { hasTshark, tsharkFields } from './helpers/tshark.js';

const TCP_SYN = 0x02;
const TCP_ACK = 0x10;

/** A TLS flow fed segment by segment; side 0 is the client unless a test says otherwise. */
function tlsFlow(budget = new ByteBudget(1 << 20)) {
  const clock = new Float64Array(1);
  const stats = emptyTlsStats();
  const rows: TlsTransaction[] = [];
  const flow = new TlsFlow(7, clock, budget, stats, (row) => rows.push(row));
  const next = [1000, 5000];
  flow.segment(0, 999, TCP_SYN, 0, null, 0, 0);
  flow.segment(1, 4999, TCP_SYN | TCP_ACK, 0, null, 0, 0);
  return {
    flow,
    stats,
    rows,
    clock,
    budget,
    /** Sends `bytes` from `side` at time `t`, as one segment (or at `seq` when given). */
    send(side: number, bytes: Buffer, t: number, seq = next[side], captured = bytes.length) {
      clock[0] = t;
      flow.segment(side, seq, TCP_ACK, bytes.length, bytes, 0, captured);
      next[side] = Math.max(next[side], seq + bytes.length);
    },
  };
}

/** The JA4 specification's example ClientHello (technical_details/JA4.md), with GREASE added. */
const SPEC_CIPHERS = [
  0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d,
  0x002f, 0x0035,
];
const SPEC_EXTENSION_ORDER = [
  0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b, 0xff01,
  0x000b, 0x000a, 0x0015,
];
const SPEC_SIGNATURES = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];

function specExtension(type: number): Extension {
  switch (type) {
    case 0x0000:
      return ext.sni('clientservices.googleapis.com');
    case 0x0010:
      return ext.alpn(['h2', 'http/1.1']);
    case 0x000d:
      return ext.signatureAlgorithms(SPEC_SIGNATURES);
    case 0x002b:
      return ext.supportedVersions([0x7a7a, 0x0304, 0x0303]);
    case 0x000a:
      return ext.groups([0x3a3a, 0x001d, 0x0017, 0x0018]);
    case 0x000b:
      return ext.pointFormats([0]);
    default:
      return ext.raw(type, Buffer.from([0, 0]));
  }
}

function specHello(): ClientHello {
  const extensions = [ext.raw(0x0a0a), ...SPEC_EXTENSION_ORDER.map(specExtension), ext.raw(0xfafa)];
  const msg = clientHello({ ciphers: [0xdada, ...SPEC_CIPHERS], extensions });
  return parseClientHello(msg, 4, msg.length - 4, msg.length - 4);
}

function helloWith(extensions: Extension[] | null, ciphers = [0x1301]): ClientHello {
  const msg = clientHello({ ciphers, extensions });
  return parseClientHello(msg, 4, msg.length - 4, msg.length - 4);
}

describe('JA4 follows FoxIO’s published examples', () => {
  it('the specification’s ClientHello gives its JA4, JA4_r, JA4_o and JA4_ro, GREASE left out', () => {
    const hello = specHello();
    expect(ja4(hello)).toBe('t13d1516h2_8daaf6152771_e5627efa2ab1');
    expect(ja4(hello, { raw: true })).toBe(
      't13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_' +
        '0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_' +
        '0403,0804,0401,0503,0805,0501,0806,0601',
    );
    expect(ja4(hello, { original: true })).toBe('t13d1516h2_acb858a92679_18f69afefd3d');
    expect(ja4(hello, { original: true, raw: true })).toBe(
      't13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_' +
        '001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015_' +
        '0403,0804,0401,0503,0805,0501,0806,0601',
    );
  });

  it('a hello without signature algorithms hashes its extensions without the underscore', () => {
    // The specification's "0005,000a,…,ff01 = 6d807ffa2a79".
    const types = [
      0x0005, 0x000a, 0x000b, 0x000d, 0x0012, 0x0015, 0x0017, 0x001b, 0x0023, 0x002b, 0x002d, 0x0033,
    ];
    const extensions = [...types, 0x4469, 0xff01].map((t) =>
      t === 0x000d ? ext.signatureAlgorithms([]) : ext.raw(t),
    );
    expect(ja4(helloWith(extensions)).split('_')[2]).toBe('6d807ffa2a79');
  });

  it('the ALPN part takes the first value’s first and last character, or its hex digits', () => {
    const alpn = (first: Buffer | string) => ja4(helloWith([ext.alpn([first, 'h2'])])).slice(8, 10);
    expect(alpn(Buffer.from([0xab]))).toBe('ab');
    expect(alpn(Buffer.from([0xab, 0xcd]))).toBe('ad');
    expect(alpn(Buffer.from([0x30, 0xab]))).toBe('3b');
    expect(alpn(Buffer.from([0x30, 0x31, 0xab, 0xcd]))).toBe('3d');
    expect(alpn(Buffer.from([0x30, 0xab, 0xcd, 0x31]))).toBe('01');
    expect(alpn('http/1.1')).toBe('h1');
    expect(alpn('h')).toBe('hh');
    expect(alpn('')).toBe('00');
    expect(ja4(helloWith([ext.raw(0x0017)])).slice(8, 10)).toBe('00');
  });

  it('the first part says TLS version, SNI or not, and the counts (99 at most)', () => {
    expect(ja4(helloWith([ext.raw(0x0017)])).slice(0, 6)).toBe('t12i01');
    const old = clientHello({ version: 0x0301, ciphers: [0x002f], extensions: [ext.sni('a.example')] });
    expect(ja4(parseClientHello(old, 4, old.length - 4, old.length - 4)).slice(0, 6)).toBe('t10d01');
    expect(ja4(helloWith([ext.supportedVersions([0x0a0a, 0x7f1c])])).slice(1, 3)).toBe('00');
    const many = Array.from({ length: 120 }, (_, i) => 0x0100 + i);
    expect(ja4(helloWith([ext.raw(0x0017)], many)).slice(0, 6)).toBe('t12i99');
    // A hello with no extensions at all: the last part is twelve zeros, as is an empty cipher list.
    expect(ja4(helloWith(null, [])).split('_').slice(1)).toEqual(['000000000000', '000000000000']);
  });
});

describe('JA3 and JA3S', () => {
  it('leave GREASE out of ciphers, extensions and groups, and keep the order offered', () => {
    const hello = helloWith(
      [
        ext.raw(0x2a2a),
        ext.sni('a.example'),
        ext.groups([0x4a4a, 29, 23]),
        ext.pointFormats([0, 1]),
        ext.raw(0x0017),
      ],
      [0x1a1a, 0x1301, 0xc02b],
    );
    expect(ja3Text(hello)).toBe('771,4865-49195,0-10-11-23,29-23,0-1');
  });

  it('a hello without extensions ends in empty sections, as tshark writes it', () => {
    expect(ja3Text(helloWith(null, [0x002f, 0x0035]))).toBe('771,47-53,,,');
  });
});

describe.skipIf(!hasTshark)('JA3 and JA3S equal tshark’s on GREASE-laden hellos', () => {
  it('GREASE in ciphers, extensions, groups, signature algorithms and versions; a hello without extensions', async () => {
    const hello = clientHello({
      ciphers: [0x1a1a, 0x1301, 0xc02b, 0x00ff],
      extensions: [
        ext.raw(0x2a2a),
        ext.sni('grease.example'),
        ext.groups([0x4a4a, 29, 23]),
        ext.pointFormats([0, 1, 2]),
        ext.signatureAlgorithms([0x0a0a, 0x0403]),
        ext.supportedVersions([0x5a5a, 0x0304]),
        ext.raw(0xfafa, Buffer.from([0])),
      ],
    });
    const reply = serverHello({
      cipher: 0xc02b,
      extensions: [ext.raw(0xff01, Buffer.from([0])), ext.raw(0x3a3a), ext.raw(23)],
    });
    const bare = clientHello({ ciphers: [0x002f], extensions: null });
    const segment = (src: string, dst: string, sport: number, dport: number, payload: Buffer) =>
      tcpFrame(src, dst, { sport, dport, seq: 1, flags: TCP.ACK | TCP.PSH, payload });
    const path = writeCapture([
      {
        sec: 1,
        nsec: 0,
        data: segment('10.0.0.1', '10.0.0.2', 40000, 443, records(RECORD_HANDSHAKE, hello)),
      },
      {
        sec: 1,
        nsec: 1000,
        data: segment('10.0.0.2', '10.0.0.1', 443, 40000, records(RECORD_HANDSHAKE, reply)),
      },
      { sec: 2, nsec: 0, data: segment('10.0.0.1', '10.0.0.2', 40001, 443, records(RECORD_HANDSHAKE, bare)) },
    ]);
    const logs = await protocolLogs(path);
    const theirs = tsharkFields(path, 'tls.handshake.type', [
      'tls.handshake.ja3_full',
      'tls.handshake.ja3s_full',
    ]);
    expect(theirs.map((f) => f.flat().join(''))).toEqual([
      '771,4865-49195-255,0-10-11-13-43,29-23,0-1-2',
      '771,49195,65281-23',
      '771,47,,,',
    ]);
    expect(logs.tls.map((r) => [r.ja3Text, r.ja3sText])).toEqual([
      ['771,4865-49195-255,0-10-11-13-43,29-23,0-1-2', '771,49195,65281-23'],
      ['771,47,,,', null],
    ]);
  });
});

describe('TLS handshakes across segments and records', () => {
  const pqHello = () =>
    clientHello({
      ciphers: SPEC_CIPHERS,
      extensions: [ext.sni('pq.example'), ext.supportedVersions([0x0304]), ext.alpn(['h2'])],
      padding: 1200, // an ML-KEM key share's size: the hello spans two segments
    });

  it('a ClientHello split over two segments gives one row with its SNI, JA3 and JA4', () => {
    const t = tlsFlow();
    const rec = records(RECORD_HANDSHAKE, pqHello(), 16384, 0x0301);
    t.send(0, rec.subarray(0, 1000), 1);
    expect(t.rows).toEqual([]);
    t.send(0, rec.subarray(1000), 1.001);
    t.send(
      1,
      records(RECORD_HANDSHAKE, serverHello({ cipher: 0x1301, extensions: [ext.selectedVersion(0x0304)] })),
      1.05,
    );
    expect(t.rows).toHaveLength(1);
    const row = t.rows[0];
    expect(row).toMatchObject({ ts: 1, flowId: 7, clientSide: 0, recordVersion: 0x0301, version: 0x0304 });
    expect(row.client?.serverName).toBe('pq.example');
    expect(row.client?.complete).toBe(true);
    expect(row.ja4).toBe(ja4(row.client as ClientHello));
    expect(row.ja4?.startsWith('t13d1504h2_')).toBe(true);
    expect(row.ja3).toMatch(/^[0-9a-f]{32}$/);
    expect(row.ja3s).toMatch(/^[0-9a-f]{32}$/);
    // TLS 1.3: nothing after the ServerHello is in the clear.
    expect(t.flow.finished).toBe(true);
  });

  it('a hello split over several records, its segments out of order and one repeated, reads the same', () => {
    const t = tlsFlow();
    const rec = records(RECORD_HANDSHAKE, pqHello(), 300);
    t.send(0, rec.subarray(700), 1.002, 1700);
    t.send(0, rec.subarray(0, 700), 1, 1000);
    t.send(0, rec.subarray(0, 700), 1.003, 1000);
    t.flow.end();
    expect(t.rows).toHaveLength(1);
    expect(t.rows[0].client?.serverName).toBe('pq.example');
    expect(t.rows[0].ja4).toBe(ja4(t.rows[0].client as ClientHello));
    expect(t.stats.clientHellos).toBe(1);
  });

  it('a TLS 1.2 server’s certificate gives subject, issuer, validity and alternative names', () => {
    const t = tlsFlow();
    t.send(
      0,
      records(RECORD_HANDSHAKE, clientHello({ ciphers: [0xc02f], extensions: [ext.sni('cert.example')] })),
      1,
    );
    const flight = Buffer.concat([
      serverHello({ cipher: 0xc02f, extensions: [ext.raw(0xff01, Buffer.from([0]))] }),
      certificateMessage([CERT_DER, Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01])]),
      serverHelloDone(),
    ]);
    t.send(1, records(RECORD_HANDSHAKE, flight, 1000), 1.04);
    expect(t.flow.finished).toBe(true);
    expect(t.rows).toHaveLength(1);
    expect(t.rows[0].version).toBe(0x0303);
    expect(t.rows[0].certificate).toEqual(CERT_SUMMARY);
    expect(t.stats).toMatchObject({
      clientHellos: 1,
      serverHellos: 1,
      certificates: 1,
      unreadableCertificates: 0,
    });
  });

  it('a HelloRetryRequest makes two rows, one per ClientHello, and the handshake goes on after its CCS', () => {
    const t = tlsFlow();
    const hello = clientHello({
      ciphers: [0x1301],
      extensions: [ext.sni('hrr.example'), ext.supportedVersions([0x0304])],
    });
    t.send(0, records(RECORD_HANDSHAKE, hello), 1);
    const retry = serverHello({ cipher: 0x1301, retry: true, extensions: [ext.selectedVersion(0x0304)] });
    t.send(
      1,
      Buffer.concat([records(RECORD_HANDSHAKE, retry), records(RECORD_CHANGE_CIPHER_SPEC, Buffer.from([1]))]),
      1.1,
    );
    expect(t.flow.finished).toBe(false);
    t.send(
      0,
      Buffer.concat([records(RECORD_CHANGE_CIPHER_SPEC, Buffer.from([1])), records(RECORD_HANDSHAKE, hello)]),
      1.2,
    );
    t.send(
      1,
      records(RECORD_HANDSHAKE, serverHello({ cipher: 0x1301, extensions: [ext.selectedVersion(0x0304)] })),
      1.3,
    );
    expect(t.rows.map((r) => [r.ts, r.server?.retryRequest])).toEqual([
      [1, true],
      [1.2, false],
    ]);
    expect(t.stats).toMatchObject({ clientHellos: 2, serverHellos: 2 });
    expect(t.flow.finished).toBe(true);
  });

  it('a ClientHello cut by the snaplen still gives its SNI, without fingerprints', () => {
    const t = tlsFlow();
    const rec = records(RECORD_HANDSHAKE, pqHello());
    t.send(0, rec, 1, 1000, 200);
    t.flow.end();
    expect(t.rows).toHaveLength(1);
    expect(t.rows[0].client).toMatchObject({ serverName: 'pq.example', complete: false });
    expect(t.rows[0]).toMatchObject({ ja3: null, ja4: null });
    expect(t.stats).toMatchObject({ clientHellos: 1, incompleteHellos: 1 });
  });

  it('bytes that are not TLS records stop the parsing of that direction, counted', () => {
    const t = tlsFlow();
    t.send(0, Buffer.from('GET / HTTP/1.1\r\n\r\n'), 1);
    t.send(0, records(RECORD_HANDSHAKE, clientHello({ ciphers: [1], extensions: [] })), 2);
    t.flow.end();
    expect(t.rows).toEqual([]);
    expect(t.stats.notTls).toBe(1);
    // A record longer than TLS allows is not TLS either.
    const u = tlsFlow();
    u.send(0, Buffer.from([22, 3, 3, 0x50, 0x01]), 1);
    expect(u.stats.notTls).toBe(1);
  });

  it('the server’s encrypted records end the handshake in TLS 1.2 too (session resumed)', () => {
    const t = tlsFlow();
    t.send(0, records(RECORD_HANDSHAKE, clientHello({ ciphers: [0xc02f], extensions: [] })), 1);
    t.send(1, records(RECORD_HANDSHAKE, serverHello({ cipher: 0xc02f, extensions: [] })), 1.1);
    expect(t.flow.finished).toBe(false);
    t.send(1, records(RECORD_CHANGE_CIPHER_SPEC, Buffer.from([1])), 1.2);
    expect(t.flow.finished).toBe(true);
    expect(t.rows).toHaveLength(1);
    expect(t.rows[0].ja3sText).toBe('771,49199,');
    // Application data after that is not read.
    t.send(1, records(RECORD_APPLICATION_DATA, Buffer.alloc(100)), 1.3);
    expect(t.rows).toHaveLength(1);
  });

  it('a handshake message longer than the cap is counted and not gathered', () => {
    const budget = new ByteBudget(1 << 20);
    const t = tlsFlow(budget);
    const header = Buffer.from([1, (TLS_HANDSHAKE_MAX + 1) >> 16, ((TLS_HANDSHAKE_MAX + 1) >> 8) & 255, 1]);
    t.send(0, records(RECORD_HANDSHAKE, Buffer.concat([header, Buffer.alloc(10000)])), 1);
    expect(budget.used).toBe(0);
    expect(t.stats).toMatchObject({ clientHellos: 1, malformedHellos: 1 });
    t.flow.end();
    expect(t.rows).toEqual([]);
  });

  it('a flow with no memory left in the budget gives up, counted', () => {
    const t = tlsFlow(new ByteBudget(100));
    const rec = records(RECORD_HANDSHAKE, pqHello());
    t.send(0, rec.subarray(0, 500), 1);
    expect(t.stats.outOfMemory).toBe(1);
    expect(t.budget.used).toBe(0);
  });
});

describe('hostile hellos read as text and never throw', () => {
  it('an SNI with markup, NUL and bytes above 0x7f is kept as text, NUL and non-ASCII as U+FFFD', () => {
    const name = Buffer.concat([Buffer.from('<script>alert(1)</script>'), Buffer.from([0, 0xc3, 0xa9])]);
    const hello = helloWith([ext.sni(name)]);
    expect(hello.serverName).toBe('<script>alert(1)</script>\uFFFD\uFFFD\uFFFD');
  });

  it('inner lengths that overflow their extension mark the hello malformed', () => {
    const broken = ext.raw(0, Buffer.from([0x00, 0x40, 0x00, 0x00, 0x10, 0x61]));
    const hello = helloWith([broken, ext.raw(0x0017)]);
    expect(hello).toMatchObject({ malformed: true, complete: true, serverName: null });
    expect(hello.extensions).toEqual([0, 0x17]);
    const msg = clientHello({ ciphers: [1, 2], extensions: [ext.raw(0x0017)] });
    msg.writeUInt16BE(0xffff, 4 + 2 + 32 + 33); // the cipher list's length
    expect(parseClientHello(msg, 4, msg.length - 4, msg.length - 4)).toMatchObject({ malformed: true });
  });

  it('every truncation of a hello is read as far as it goes', () => {
    const msg = clientHello({ ciphers: SPEC_CIPHERS, extensions: SPEC_EXTENSION_ORDER.map(specExtension) });
    const sh = serverHello({
      cipher: 0x1301,
      extensions: [ext.selectedVersion(0x0304), ext.alpn(['h2'])],
    });
    for (let n = 0; n <= msg.length - 4; n++) {
      const cut = Buffer.concat([msg.subarray(0, 4 + n), Buffer.alloc(64, 0xff)]);
      const hello = parseClientHello(cut, 4, msg.length - 4, n);
      expect(hello.complete).toBe(n === msg.length - 4);
    }
    for (let n = 0; n <= sh.length - 4; n++) {
      expect(() => parseServerHello(sh, 4, sh.length - 4, n)).not.toThrow();
    }
    expect(parseServerHello(sh, 4, sh.length - 4, sh.length - 4)).toMatchObject({
      selectedVersion: 0x0304,
      alpn: 'h2',
      complete: true,
      malformed: false,
    });
  });

  it('a certificate that is not DER (garbage, PEM text, a cut one) reads as null', () => {
    for (const bad of [
      Buffer.alloc(0),
      Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'),
      CERT_DER.subarray(0, 300),
      Buffer.from([0x30, 0x82, 0xff, 0xff, 0x01]),
    ]) {
      expect(readCertificate(bad, 0, bad.length)).toBeNull();
    }
  });
});

// A self-signed certificate made with OpenSSL for these tests: markup in its CN, a comma in its O
// and in a DNS name, IPv4 and IPv6 names, an e-mail name (left out).
const CERT_DER = Buffer.from(
  'MIICCDCCAa6gAwIBAgIUFGb4LO6cbGQHdZQpMnVe/x9MZIAwCgYIKoZIzj0EAwIwUTELMAkGA1UEBhMCREUxFjAUBgNVBAoMDUV4' +
    'YW1wbGUsIEluYy4xKjAoBgNVBAMMITxzY3JpcHQ+YWxlcnQoMSk8L3NjcmlwdD4uZXhhbXBsZTAeFw0yNjEyMDcwMjIxMzBaFw0y' +
    'NzAxMDYwMjIxMzBaMFExCzAJBgNVBAYTAkRFMRYwFAYDVQQKDA1FeGFtcGxlLCBJbmMuMSowKAYDVQQDDCE8c2NyaXB0PmFsZXJ0' +
    'KDEpPC9zY3JpcHQ+LmV4YW1wbGUwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQhufugl1Bcw7nf9IwbNqn/5haTZ3s/N9T/R62q' +
    'AKWwUcHQ7XnvTJIJ8p9kyU9qvrQCzkhdFKE5NiI5yRVuvhwro2QwYjBBBgNVHREEOjA4gglhLmV4YW1wbGWCDGIsIGMuZXhhbXBs' +
    'ZYcECgAAAYcQIAENuAAAAAAAAAAAAAAAAYEFeEB5LnowHQYDVR0OBBYEFLy7Z8Pud54LNO7vxgZ4QnGXq+0KMAoGCCqGSM49BAMC' +
    'A0gAMEUCIEiFf1joCtyxP+AZk/2ubJ0oDbImRwshACA1W5homOoBAiEAyX0JzTOKcVLfZxd/68AqA74HOkVPnq1PdseSIrMeCWM=',
  'base64',
);
const CERT_NAME = 'CN=\\<script\\>alert(1)\\</script\\>.example,O=Example\\, Inc.,C=DE';
const CERT_SUMMARY = {
  subject: CERT_NAME,
  issuer: CERT_NAME,
  notBefore: Date.UTC(2026, 11, 7, 2, 21, 30) / 1000,
  notAfter: Date.UTC(2027, 0, 6, 2, 21, 30) / 1000,
  sanDns: ['a.example', 'b, c.example'],
  sanIp: ['10.0.0.1', '2001:db8::1'],
  serial: '1466f82cee9c6c640775942932755eff1f4c6480',
  sha256: '2d836bf76cc8c4262f39488554ad5d60e08477477a1224c293de8f74b9f6885a',
};

describe('the server certificate', () => {
  it('reads subject and issuer in RFC 4514 order with their escapes, as Zeek writes them', () => {
    expect(readCertificate(CERT_DER, 0, CERT_DER.length)).toEqual(CERT_SUMMARY);
  });
});
