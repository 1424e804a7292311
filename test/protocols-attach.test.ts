import { describe, expect, it } from 'vitest';
import { AttachPolicy } from '../src/protocols/index.js';
import { protocolLogs } from './helpers/protocol-feed.js';
import { hasSharedPcaps, realCaptures, SHARED_PCAPS } from './helpers/shared.js';
import {
  clientHello,
  ext,
  RECORD_APPLICATION_DATA,
  RECORD_HANDSHAKE,
  records,
} from './helpers/tls-messages.js';

const TCP = 6;
const UDP = 17;

/** Asks the policy about one payload of flow `hash`, side 0, at sequence number `seq`. */
function selected(
  policy: AttachPolicy,
  seq: number,
  payload: Buffer | string,
  hash = 42,
  ports = [50000, 443],
) {
  const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'latin1');
  return policy.select(TCP, ports[0], ports[1], hash, 0, seq, bytes, 0, bytes.length);
}

describe('what the packet half attaches for the protocol parsers', () => {
  it('every DNS payload, on UDP or TCP; nothing of other UDP', () => {
    const p = new AttachPolicy();
    const payload = Buffer.alloc(700, 1);
    expect(p.select(UDP, 53000, 53, 1, 0, 0, payload, 0, 700)).toBe(700);
    expect(p.select(UDP, 5353, 5353, 1, 0, 0, payload, 0, 700)).toBe(700);
    expect(p.select(TCP, 53, 40000, 1, 1, 9, payload, 0, 700)).toBe(700);
    expect(p.select(UDP, 40000, 443, 1, 0, 0, payload, 0, 700)).toBe(-1);
    expect(p.select(TCP, 40000, 5355, 1, 0, 0, payload, 0, 0)).toBe(-1);
  });

  it('a ClientHello over two segments: both attached, then the encrypted records are not', () => {
    const p = new AttachPolicy();
    const hello = records(
      RECORD_HANDSHAKE,
      clientHello({ ciphers: [0x1301], extensions: [ext.sni('a.example')], padding: 2000 }),
    );
    expect(selected(p, 1000, hello.subarray(0, 1400))).toBe(1400);
    expect(selected(p, 1000 + 1400, hello.subarray(1400))).toBe(hello.length - 1400);
    // The record ended with that payload: a repeat of it is not needed (the parsers have it).
    expect(selected(p, 1000 + 1400, hello.subarray(1400))).toBe(-1);
    const data = records(RECORD_APPLICATION_DATA, Buffer.alloc(3000));
    expect(selected(p, 1000 + hello.length, data.subarray(0, 1400))).toBe(-1);
    expect(selected(p, 1000 + hello.length + 1400, data.subarray(1400))).toBe(-1);
    expect(p.stats).toMatchObject({ started: 1, continued: 1, overwritten: 0 });
  });

  it('a handshake flight cut anywhere inside its records is followed to its last record', () => {
    const p = new AttachPolicy();
    const flight = Buffer.concat([
      records(RECORD_HANDSHAKE, Buffer.alloc(3000, 2), 1000),
      records(RECORD_HANDSHAKE, Buffer.alloc(200, 3)),
    ]);
    const cuts = [0, 900, 1020, 2500, 3100, flight.length];
    for (let i = 0; i + 1 < cuts.length; i++)
      expect(selected(p, 5000 + cuts[i], flight.subarray(cuts[i], cuts[i + 1]))).toBe(cuts[i + 1] - cuts[i]);
    expect(selected(p, 5000 + flight.length, Buffer.alloc(100, 9))).toBe(-1);
  });

  it('a record header cut in two keeps the window open to its end (128 KiB from the flight’s start)', () => {
    const p = new AttachPolicy();
    const flight = records(RECORD_HANDSHAKE, Buffer.alloc(3000, 2), 1000);
    expect(selected(p, 0, flight.subarray(0, 1007))).toBe(1007); // two bytes of the second header
    expect(selected(p, 1007, flight.subarray(1007))).toBe(flight.length - 1007);
    expect(selected(p, 100_000, Buffer.alloc(100, 9))).toBe(100);
    expect(selected(p, 128 * 1024, Buffer.alloc(100, 9))).toBe(-1);
  });

  it('an HTTP head over segments is followed to its blank line; a Content-Length body is not attached', () => {
    const p = new AttachPolicy();
    const head = `GET / HTTP/1.1\r\nHost: h\r\nCookie: ${'c'.repeat(2000)}\r\n\r\n`;
    expect(selected(p, 1, head.slice(0, 1000), 7, [40000, 80])).toBe(1000);
    expect(selected(p, 1001, head.slice(1000), 7, [40000, 80])).toBe(head.length - 1000);
    expect(selected(p, 1 + head.length, 'more bytes that follow', 7, [40000, 80])).toBe(-1);
    const response = 'HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n';
    expect(selected(p, 1, response, 8, [80, 40000])).toBe(response.length);
    expect(selected(p, 1 + response.length, 'x'.repeat(1400), 8, [80, 40000])).toBe(-1);
  });

  it('a chunked body is attached until its last chunk', () => {
    const p = new AttachPolicy();
    const head = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n';
    expect(selected(p, 1, head, 9)).toBe(head.length);
    const middle = `400\r\n${'m'.repeat(1024)}\r\n`;
    expect(selected(p, 1 + head.length, middle, 9)).toBe(middle.length);
    const last = '5\r\nhello\r\n0\r\n\r\n';
    expect(selected(p, 1 + head.length + middle.length, last, 9)).toBe(last.length);
    expect(selected(p, 1 + head.length + middle.length + last.length, 'not http', 9)).toBe(-1);
  });

  it('another flow’s continuation in the same slot replaces it, counted', () => {
    const p = new AttachPolicy(1);
    const hello = records(RECORD_HANDSHAKE, Buffer.alloc(3000, 1));
    expect(selected(p, 0, hello.subarray(0, 1000), 1)).toBe(1000);
    expect(selected(p, 0, hello.subarray(0, 1000), 2)).toBe(1000);
    expect(p.stats.overwritten).toBe(1);
    expect(selected(p, 1000, hello.subarray(1000, 2000), 1)).toBe(-1);
    expect(selected(p, 1000, hello.subarray(1000, 2000), 2)).toBe(1000);
  });
});

describe.skipIf(!hasSharedPcaps)(
  'the logs from the attached bytes alone equal the logs from every byte',
  () => {
    it.each(realCaptures())('%s', async (file) => {
      const path = `${SHARED_PCAPS}/real/${file}`;
      const all = await protocolLogs(path);
      const policy = new AttachPolicy();
      const attached = await protocolLogs(path, { attach: policy });
      expect(attached.dns).toEqual(all.dns);
      expect(attached.http).toEqual(all.http);
      expect(attached.tls).toEqual(all.tls);
      expect(attached.httpStats).toEqual(all.httpStats);
      expect(attached.tlsStats).toEqual(all.tlsStats);
    });
  },
);
