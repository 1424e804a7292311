import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../src/detect/forest.js';
import {
  ByteBudget,
  DnsLog,
  DnsTcpFlow,
  type DnsTransaction,
  emptyHttpStats,
  emptyTlsStats,
  HttpFlow,
  type HttpTransaction,
  parseClientHello,
  parseDnsMessage,
  parseServerHello,
  readCertificate,
  type TcpFlowParser,
  TlsFlow,
  type TlsTransaction,
} from '../src/protocols/index.js';
import { message, name, overTcp, pointer, QUESTION, rdata } from './helpers/dns-messages.js';
import {
  certificateMessage,
  clientHello,
  ext,
  RECORD_HANDSHAKE,
  records,
  serverHello,
  serverHelloDone,
} from './helpers/tls-messages.js';

/**
 * Seeded fuzzing of every protocol parser: random bytes and mutations of valid messages, fed whole
 * and as TCP streams cut at random, with segments lost, repeated, swapped, cut by a snaplen or
 * sent without their bytes. Nothing may throw, the memory budget must hold (and be given back when
 * the flow ends), and every text kept must stay within its cap. A failure names its seed.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261207);
const CASES = Number(process.env.FUZZ_PROTOCOL_CASES ?? 300);
const INTERESTING = [0, 1, 0x3f, 0x40, 0x7f, 0x80, 0xc0, 0xff];

type Rnd = () => number;
const pick = (rnd: Rnd, n: number) => Math.floor(rnd() * n);

function mutate(src: Buffer, rnd: Rnd): Buffer {
  const buf = Buffer.from(src);
  for (let round = 1 + pick(rnd, 3); round > 0 && buf.length > 0; round--) {
    switch (pick(rnd, 5)) {
      case 0:
        buf[pick(rnd, buf.length)] ^= 1 << pick(rnd, 8);
        break;
      case 1:
        buf[pick(rnd, buf.length)] = INTERESTING[pick(rnd, INTERESTING.length)];
        break;
      case 2: {
        // A length-like 16-bit field set to something large.
        const at = pick(rnd, buf.length - 1);
        if (at >= 0) buf.writeUInt16BE([0xffff, 0x4000, 0xc00c, 0x0100][pick(rnd, 4)], at);
        break;
      }
      case 3:
        return buf.subarray(0, pick(rnd, buf.length + 1));
      default: {
        const at = pick(rnd, buf.length);
        const junk = Buffer.from(Array.from({ length: 1 + pick(rnd, 16) }, () => pick(rnd, 256)));
        return Buffer.concat([buf.subarray(0, at), junk, buf.subarray(at)]);
      }
    }
  }
  return buf;
}

function randomBytes(rnd: Rnd, max: number): Buffer {
  return Buffer.from(Array.from({ length: pick(rnd, max) }, () => pick(rnd, 256)));
}

/**
 * Feeds two byte streams (client, server) to a TCP parser as segments cut at random, interleaved,
 * with the damage the analysis can hand it. Holds the budget to its limit on every segment.
 */
function feedStreams(
  parser: TcpFlowParser,
  streams: [Buffer, Buffer],
  rnd: Rnd,
  clock: Float64Array,
  budget: ByteBudget,
) {
  type Segment = { side: number; seq: number; bytes: Buffer };
  const bySide: Segment[][] = [[], []];
  for (const side of [0, 1]) {
    const stream = streams[side];
    const base = side === 0 ? 1000 : 0x7ffffff0; // the server's numbers pass 2^31
    for (let p = 0; p < stream.length; ) {
      const n = Math.min(stream.length - p, 1 + pick(rnd, 1500));
      bySide[side].push({ side, seq: (base + p) | 0, bytes: stream.subarray(p, p + n) });
      p += n;
    }
  }
  // The sides interleaved at random, each in order; then damaged below.
  const segments: Segment[] = [];
  while (bySide[0].length + bySide[1].length > 0) {
    const side = bySide[1].length === 0 || (bySide[0].length > 0 && rnd() < 0.5) ? 0 : 1;
    segments.push(bySide[side].shift() as Segment);
  }
  parser.segment(0, 999, 0x02, 0, null, 0, 0);
  parser.segment(1, 0x7fffffef, 0x12, 0, null, 0, 0);
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i];
    clock[0] += rnd() / 100;
    const r = rnd();
    if (r < 0.05) continue; // lost
    if (r < 0.1 && i + 1 < segments.length) [segments[i], segments[i + 1]] = [segments[i + 1], segments[i]];
    const bare = r > 0.9;
    const captured = r > 0.85 && r <= 0.9 ? pick(rnd, s.bytes.length + 1) : s.bytes.length;
    parser.segment(s.side, s.seq, 0x18, s.bytes.length, bare ? null : s.bytes, 0, captured);
    if (r > 0.8 && r <= 0.85) parser.segment(s.side, s.seq, 0x18, s.bytes.length, s.bytes, 0, s.bytes.length);
    expect(budget.used).toBeLessThanOrEqual(budget.limit);
  }
  if (rnd() < 0.5) parser.segment(0, 0, 0x04, 0, null, 0, 0); // a reset
  parser.end();
  expect(budget.used).toBe(0);
}

// Valid material to mutate.
const dnsMessages = [
  message({ id: 1, questions: [{ name: name(['www', 'example', 'com']), type: 1 }] }),
  message({
    id: 2,
    response: true,
    questions: [{ name: name(['a', 'example']), type: 1 }],
    answers: [
      { name: pointer(QUESTION), type: 5, data: name(['b'], pointer(QUESTION + 2)) },
      { name: pointer(QUESTION), type: 1, data: Buffer.from([1, 2, 3, 4]) },
      { name: pointer(QUESTION), type: 16, data: rdata.txt('text', 'more') },
      {
        name: pointer(QUESTION),
        type: 33,
        data: Buffer.concat([rdata.u16(1), rdata.u16(2), rdata.u16(3), name(['s'])]),
      },
      { name: pointer(QUESTION), type: 28, data: Buffer.alloc(16, 1) },
    ],
  }),
];
const httpStreams: [string, string][] = [
  [
    'GET /a HTTP/1.1\r\nHost: h\r\nUser-Agent: u\r\n\r\nPOST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello' +
      'PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\n' +
      'Transfer-Encoding: chunked\r\n\r\n4;x=y\r\nwxyz\r\n0\r\nT: 1\r\n\r\nHTTP/1.0 200 OK\r\n\r\nuntil close',
  ],
];
const tlsStreams = (): [Buffer, Buffer] => [
  records(
    RECORD_HANDSHAKE,
    clientHello({
      ciphers: [0x0a0a, 0x1301, 0xc02b],
      extensions: [
        ext.sni('fuzz.example'),
        ext.alpn(['h2']),
        ext.groups([29]),
        ext.supportedVersions([0x0304, 0x0303]),
      ],
      padding: 1200,
    }),
    700,
  ),
  records(
    RECORD_HANDSHAKE,
    Buffer.concat([
      serverHello({ cipher: 0xc02b, extensions: [ext.raw(0xff01, Buffer.from([0]))] }),
      certificateMessage([
        Buffer.from([0x30, 0x82, 0x01, 0x00, ...Array.from({ length: 256 }, (_, i) => i)]),
      ]),
      serverHelloDone(),
    ]),
    500,
  ),
];

let rowsSeen = 0;

function textsWithinCaps(row: DnsTransaction | HttpTransaction | TlsTransaction): void {
  rowsSeen++;
  for (const value of Object.values(row)) {
    if (typeof value === 'string') {
      expect(value.length).toBeLessThanOrEqual(8192);
      expect(value.includes('\0')).toBe(false);
    }
  }
}

describe('protocol parsers under fuzzing never throw and stay within their memory', () => {
  it('DNS messages (UDP and TCP): random and mutated', () => {
    const rnd = mulberry32(SEED);
    const clock = new Float64Array(1);
    const log = new DnsLog(clock, textsWithinCaps, { maxPerFlow: 8, maxPending: 64 });
    for (let c = 0; c < CASES * 10; c++) {
      const bytes =
        rnd() < 0.3 ? randomBytes(rnd, 600) : mutate(dnsMessages[pick(rnd, dnsMessages.length)], rnd);
      clock[0] += 0.01;
      expect(() => parseDnsMessage(bytes, 0, bytes.length), `seed ${SEED} case ${c}`).not.toThrow();
      log.message(pick(rnd, 4), pick(rnd, 2), 17, bytes, 0, bytes.length);
      expect(log.outstanding).toBeLessThanOrEqual(64);
    }
    for (let c = 0; c < CASES; c++) {
      const budget = new ByteBudget(64 * 1024);
      const flow = new DnsTcpFlow(c, log, clock, budget);
      const stream = (i: number) =>
        Buffer.concat(
          Array.from({ length: 3 }, () => mutate(overTcp(dnsMessages[i % dnsMessages.length]), rnd)),
        );
      feedStreams(flow, [stream(0), stream(1)], rnd, clock, budget);
    }
    log.flush();
    expect(log.outstanding).toBe(0);
    expect(log.stats.responses).toBeGreaterThan(CASES);
  });

  it('HTTP streams: mutated requests and responses cut, lost, repeated and swapped', () => {
    const rnd = mulberry32(SEED + 1);
    const clock = new Float64Array(1);
    const stats = emptyHttpStats();
    for (let c = 0; c < CASES; c++) {
      const budget = new ByteBudget(64 * 1024);
      const flow = new HttpFlow(c, clock, budget, stats, textsWithinCaps);
      const [request, response] = httpStreams[pick(rnd, httpStreams.length)];
      const streams: [Buffer, Buffer] =
        rnd() < 0.1
          ? [randomBytes(rnd, 4000), randomBytes(rnd, 4000)]
          : [mutate(Buffer.from(request), rnd), mutate(Buffer.from(response), rnd)];
      feedStreams(flow, streams, rnd, clock, budget);
    }
    expect(stats.requests + stats.responses).toBeGreaterThan(CASES);
  });

  it('TLS handshakes: mutated hellos, records and certificates', () => {
    const rnd = mulberry32(SEED + 2);
    const clock = new Float64Array(1);
    const stats = emptyTlsStats();
    for (let c = 0; c < CASES; c++) {
      const budget = new ByteBudget(256 * 1024);
      const flow = new TlsFlow(c, clock, budget, stats, textsWithinCaps);
      const [client, server] = tlsStreams();
      feedStreams(flow, [mutate(client, rnd), mutate(server, rnd)], rnd, clock, budget);
    }
    expect(stats.clientHellos).toBeGreaterThan(CASES / 2);
    expect(rowsSeen).toBeGreaterThan(CASES);
    // The hello and certificate readers on their own, on every kind of damage.
    const hello = clientHello({
      ciphers: [0x1301],
      extensions: [ext.sni('x.example'), ext.alpn(['h2', 'http/1.1'])],
    });
    const reply = serverHello({ cipher: 0x1301, extensions: [ext.selectedVersion(0x0304)] });
    for (let c = 0; c < CASES * 4; c++) {
      const h = mutate(hello, rnd);
      const s = mutate(reply, rnd);
      const cert = mutate(Buffer.from([0x30, 0x82, 0x01, 0x0a, ...randomBytes(rnd, 300)]), rnd);
      expect(
        () => parseClientHello(h, 4, pick(rnd, 0x20000), h.length - 4),
        `seed ${SEED + 2} case ${c}`,
      ).not.toThrow();
      expect(() => parseServerHello(s, 4, pick(rnd, 0x200), s.length - 4)).not.toThrow();
      expect(readCertificate(cert, 0, cert.length)).toBeNull();
    }
  });
});
