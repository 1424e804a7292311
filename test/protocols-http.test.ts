import { describe, expect, it } from 'vitest';
import {
  ByteBudget,
  emptyHttpStats,
  HTTP_GAVE_UP,
  HTTP_LINE_MAX,
  HTTP_NO_REQUEST,
  HTTP_NO_RESPONSE,
  HTTP_REQUEST_HEAD_CUT,
  HTTP_RESPONSE_BODY_CUT,
  HTTP_TEXT_CUT,
  HttpFlow,
  type HttpTransaction,
} from '../src/protocols/index.js';

const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_ACK = 0x10;

/** An HTTP flow fed segment by segment; side 0 is the client. */
function httpFlow(budget = new ByteBudget(1 << 20)) {
  const clock = new Float64Array(1);
  const stats = emptyHttpStats();
  const rows: HttpTransaction[] = [];
  const flow = new HttpFlow(3, clock, budget, stats, (row) => rows.push(row));
  const next = [1, 1];
  flow.segment(0, 0, TCP_SYN, 0, null, 0, 0);
  flow.segment(1, 0, TCP_SYN | TCP_ACK, 0, null, 0, 0);
  const segment = (
    side: number,
    bytes: Buffer | null,
    length: number,
    t: number,
    seq: number,
    flags: number,
  ) => {
    clock[0] = t;
    flow.segment(side, seq, flags, length, bytes, 0, bytes === null ? 0 : bytes.length);
    next[side] = Math.max(next[side], seq + length);
  };
  return {
    flow,
    stats,
    rows,
    budget,
    /** `text` from `side` at time `t` as one segment (at `seq` when given). */
    send(side: number, text: string | Buffer, t: number, seq = next[side]) {
      const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1');
      segment(side, bytes, bytes.length, t, seq, TCP_ACK);
    },
    /** A segment of `length` bytes that came without them (the analysis did not attach them). */
    sendBare(side: number, length: number, t: number, seq = next[side]) {
      segment(side, null, length, t, seq, TCP_ACK);
    },
    fin(side: number, t: number) {
      segment(side, null, 0, t, next[side], TCP_FIN | TCP_ACK);
    },
    /** Skips `n` sequence numbers of `side` (a segment the capture lost). */
    lose(side: number, n: number) {
      next[side] += n;
    },
  };
}

const GET = (uri: string, host = 'www.example.com', extra = '') =>
  `GET ${uri} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: test/1.0\r\n${extra}\r\n`;
const OK = (body: string, extra = '') =>
  `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;

describe('HTTP transactions', () => {
  it('keep-alive: each request and its response make a row with every field', () => {
    const h = httpFlow();
    h.send(0, GET('/a?x=1', 'www.example.com', 'Referer: http://ref.example/\r\n'), 1);
    h.send(1, OK('hello'), 1.05);
    const post =
      'POST /form HTTP/1.0\r\nHost: api.example\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{"a":1}';
    h.send(0, post, 2);
    h.send(1, 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n', 2.2);
    expect(h.rows).toEqual([
      {
        ts: 1,
        flowId: 3,
        clientSide: 0,
        method: 'GET',
        uri: '/a?x=1',
        version: '1.1',
        responseVersion: '1.1',
        host: 'www.example.com',
        userAgent: 'test/1.0',
        referrer: 'http://ref.example/',
        requestContentType: null,
        requestBodyLength: 0,
        status: 200,
        reason: 'OK',
        infoStatus: null,
        responseContentType: 'text/plain',
        responseBodyLength: 5,
        rtt: expect.closeTo(0.05, 9),
        flags: 0,
      },
      expect.objectContaining({
        method: 'POST',
        uri: '/form',
        version: '1.0',
        host: 'api.example',
        requestContentType: 'application/json',
        requestBodyLength: 7,
        status: 404,
        reason: 'Not Found',
        responseBodyLength: 0,
        rtt: expect.closeTo(0.2, 9),
      }),
    ]);
    expect(h.stats).toMatchObject({ requests: 2, responses: 2, resyncs: 0 });
  });

  it('pipelining: responses answer requests in order; HEAD, 204 and 304 responses have no body', () => {
    const h = httpFlow();
    h.send(0, `${GET('/1')}HEAD /2 HTTP/1.1\r\nHost: h\r\n\r\n${GET('/3')}${GET('/4')}`, 1);
    h.send(
      1,
      `${OK('one')}HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n` +
        'HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n',
      1.1,
    );
    expect(h.rows.map((r) => [r.uri, r.status, r.responseBodyLength])).toEqual([
      ['/1', 200, 3],
      ['/2', 200, 0],
      ['/3', 204, 0],
      ['/4', 304, 0],
    ]);
  });

  it('a head split over segments anywhere (inside a line, between CR and LF) reads the same', () => {
    const text = GET('/split', 'split.example', 'Referer: r\r\n');
    for (const cut of [1, 5, 20, text.indexOf('\r\n') + 1, text.length - 1]) {
      const h = httpFlow();
      h.send(0, text.slice(0, cut), 1);
      h.send(0, text.slice(cut), 1.01);
      h.send(1, OK(''), 1.02);
      expect(h.rows.map((r) => [r.uri, r.host, r.referrer, r.status])).toEqual([
        ['/split', 'split.example', 'r', 200],
      ]);
      expect(h.budget.used).toBe(0);
    }
  });

  it('a Content-Length body is counted from segment lengths alone; the next response still reads', () => {
    const h = httpFlow();
    h.send(0, `${GET('/big')}${GET('/next')}`, 1);
    const head = 'HTTP/1.1 200 OK\r\nContent-Length: 250000\r\n\r\n';
    h.send(1, head, 1.1);
    for (let i = 0; i < 250; i++) h.sendBare(1, 1000, 1.2 + i / 1000);
    h.send(1, OK('x'), 2);
    expect(h.rows.map((r) => [r.uri, r.status, r.responseBodyLength])).toEqual([
      ['/big', 200, 250000],
      ['/next', 200, 1],
    ]);
  });

  it('a chunked body, its size lines split over segments, with extensions and trailers, is de-chunked', () => {
    const h = httpFlow();
    h.send(0, GET('/chunks'), 1);
    const body =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nTrailer: x\r\n\r\n';
    h.send(1, body.slice(0, 60), 1.1);
    h.send(1, body.slice(60, 70), 1.2);
    h.send(1, body.slice(70), 1.3);
    h.send(0, GET('/after'), 2);
    h.send(1, OK('ok'), 2.1);
    expect(h.rows.map((r) => [r.uri, r.responseBodyLength])).toEqual([
      ['/chunks', 31],
      ['/after', 2],
    ]);
    // A chunked request body as well.
    const g = httpFlow();
    g.send(0, 'PUT /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n', 1);
    g.send(1, OK(''), 1.1);
    expect(g.rows[0]).toMatchObject({ method: 'PUT', requestBodyLength: 3, status: 200 });
  });

  it('a response without a length ends when the server closes, and is counted to there', () => {
    const h = httpFlow();
    h.send(0, GET('/stream'), 1);
    h.send(1, 'HTTP/1.0 200 OK\r\nContent-Type: video/mp4\r\n\r\nabc', 1.1);
    h.sendBare(1, 5000, 1.2);
    expect(h.rows).toEqual([]);
    h.fin(1, 1.3);
    expect(h.rows.map((r) => [r.status, r.responseBodyLength, r.flags])).toEqual([[200, 5003, 0]]);
  });

  it('100 Continue is the interim status; the round trip is to the first response byte', () => {
    const h = httpFlow();
    h.send(0, 'POST /upload HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n', 1);
    h.send(1, 'HTTP/1.1 100 Continue\r\n\r\n', 1.01);
    h.send(0, 'data', 1.02);
    h.send(1, 'HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n', 1.5);
    expect(h.rows.map((r) => [r.infoStatus, r.status, r.requestBodyLength, r.rtt])).toEqual([
      [100, 201, 4, expect.closeTo(0.01, 9)],
    ]);
    expect(h.stats.responses).toBe(2);
  });

  it('after 101 Switching Protocols or a CONNECT tunnel the flow is done: what follows is not HTTP', () => {
    for (const [request, response] of [
      [
        'GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n',
        'HTTP/1.1 101 Switching Protocols\r\n\r\n',
      ],
      ['CONNECT host:443 HTTP/1.1\r\nHost: host:443\r\n\r\n', 'HTTP/1.1 200 Connection established\r\n\r\n'],
    ]) {
      const h = httpFlow();
      h.send(0, request, 1);
      h.send(1, response, 1.1);
      expect(h.flow.finished).toBe(true);
      h.send(0, '\x16\x03\x01 binary GET / HTTP/1.1\r\n\r\n', 1.2);
      h.flow.end();
      expect(h.rows).toHaveLength(1);
      expect(h.stats).toMatchObject({ requests: 1, responses: 1, resyncs: 0, notHttp: 0 });
    }
  });

  it('a response whose request was not captured, and a request that got no response, are rows flagged so', () => {
    const h = httpFlow();
    h.send(1, OK('late'), 1);
    h.send(0, GET('/unanswered'), 2);
    h.flow.end();
    expect(h.rows.map((r) => [r.method, r.status, r.flags])).toEqual([
      [null, 200, HTTP_NO_REQUEST],
      ['GET', null, HTTP_NO_RESPONSE],
    ]);
  });

  it('segments out of order and repeated are read once, in order', () => {
    const h = httpFlow();
    const text = GET('/order');
    h.send(0, text.slice(10), 1.001, 11);
    h.send(0, text.slice(0, 10), 1, 1);
    h.send(0, text.slice(0, 10), 1.002, 1);
    h.send(1, OK('x'), 1.1);
    expect(h.rows.map((r) => [r.uri, r.ts])).toEqual([['/order', 1]]);
    expect(h.flow.stream.retransmitted).toBe(1);
  });

  it('a lost segment inside a head: that request is cut, and the next segment that starts a request resynchronises', () => {
    const h = httpFlow();
    const text = GET('/lost');
    h.send(0, text.slice(0, 25), 1); // the request line and a little more
    h.lose(0, 10);
    for (let i = 0; i < 8; i++) h.sendBare(0, 1, 1.1 + i / 100); // the hole is declared when it does not fill
    h.send(0, GET('/found'), 2);
    h.send(1, `${OK('a')}${OK('b')}`, 2.1);
    h.flow.end();
    expect(h.stats).toMatchObject({ resyncs: 1, requests: 1, responses: 2 });
    expect(h.rows.map((r) => [r.uri, r.status, r.host, r.flags])).toEqual([
      ['/lost', 200, null, HTTP_REQUEST_HEAD_CUT],
      ['/found', 200, 'www.example.com', 0],
    ]);
  });

  it('a lost segment inside a Content-Length body costs nothing: the body is counted through the hole', () => {
    const h = httpFlow();
    h.send(0, GET('/holey'), 1);
    h.send(1, 'HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n', 1.1);
    h.sendBare(1, 1000, 1.2);
    h.lose(1, 1000);
    h.sendBare(1, 1000, 1.3);
    h.flow.end();
    expect(h.rows.map((r) => [r.status, r.responseBodyLength, r.flags])).toEqual([[200, 3000, 0]]);
    expect(h.stats.resyncs).toBe(0);
  });

  it('a server-side hole: the next response answers the last request, the older ones are unanswered', () => {
    const h = httpFlow();
    h.send(0, GET('/1'), 1);
    h.send(1, 'HTTP/1.1 2', 1.1); // the status line is cut by the hole
    h.lose(1, 100);
    h.send(0, GET('/2'), 2);
    for (let i = 0; i < 8; i++) h.sendBare(1, 1, 2.1); // late bytes after the hole, not a message start
    h.send(1, OK('2'), 2.2);
    h.flow.end();
    expect(h.rows.map((r) => [r.uri, r.status, r.flags])).toEqual([
      ['/1', null, HTTP_NO_RESPONSE],
      ['/2', 200, 0],
    ]);
  });

  it('a client that is not HTTP after all (an SSH banner) stops the flow', () => {
    const h = httpFlow();
    h.send(0, 'SSH-2.0-OpenSSH_9.6\r\n', 1);
    expect(h.flow.finished).toBe(true);
    expect(h.stats.notHttp).toBe(1);
    h.flow.end();
    expect(h.rows).toEqual([]);
  });

  it('HTTP/0.9: a GET without a version, answered by the body alone until the server closes', () => {
    const h = httpFlow();
    h.send(0, 'GET /old.html\r\n\r\n', 1);
    h.send(1, '<html>old</html>', 1.2);
    h.fin(1, 1.3);
    expect(h.rows.map((r) => [r.uri, r.version, r.status, r.responseBodyLength])).toEqual([
      ['/old.html', '0.9', null, 16],
    ]);
    expect(h.stats).toMatchObject({ requests: 1, responses: 0 });
  });
});

describe('hostile HTTP streams', () => {
  it('a 1 MB header line gives up on the flow without holding more than a line', () => {
    const h = httpFlow();
    h.send(0, `GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(1000)}`, 1);
    for (let i = 0; i < 1000 && !h.flow.finished; i++) {
      h.send(0, 'a'.repeat(1000), 1 + i / 1000);
      expect(h.budget.used).toBeLessThanOrEqual(HTTP_LINE_MAX);
    }
    expect(h.flow.finished).toBe(true);
    expect(h.stats.gaveUp).toBe(1);
    h.flow.end();
    expect(h.rows.map((r) => r.flags & HTTP_GAVE_UP)).toEqual([HTTP_GAVE_UP]);
    expect(h.budget.used).toBe(0);
  });

  it('1 MB of short header lines gives up at the head cap', () => {
    const h = httpFlow();
    h.send(0, 'GET / HTTP/1.1\r\n', 1);
    for (let i = 0; i < 1000 && !h.flow.finished; i++) h.send(0, 'X-A: b\r\n'.repeat(128), 1);
    expect(h.flow.finished).toBe(true);
    expect(h.stats.gaveUp).toBe(1);
  });

  it('a head that comes a byte a segment is read, and holds no more than its line', () => {
    const h = httpFlow();
    const text = GET('/slow', 'slow.example', `Cookie: ${'c'.repeat(3000)}\r\n`);
    for (let i = 0; i < text.length; i++) {
      h.send(0, text[i], 1 + i / 1e4);
      expect(h.budget.used).toBeLessThanOrEqual(4096);
    }
    h.send(1, OK(''), 2);
    expect(h.rows.map((r) => [r.uri, r.host])).toEqual([['/slow', 'slow.example']]);
  });

  it('markup, NUL and invalid UTF-8 in the URI and headers are text: NUL and bad bytes as U+FFFD', () => {
    const h = httpFlow();
    const request = Buffer.concat([
      Buffer.from(
        'GET /<script>alert(1)</script>?a=\x00 HTTP/1.1\r\nHost: <b>h</b>\r\nUser-Agent: ',
        'latin1',
      ),
      Buffer.from([0xc3, 0x28, 0x61, 0x00, 0xe2, 0x82, 0xac]),
      Buffer.from('\r\n\r\n'),
    ]);
    h.send(0, request, 1);
    h.send(1, OK(''), 1.1);
    expect(h.rows[0]).toMatchObject({
      uri: '/<script>alert(1)</script>?a=\uFFFD',
      host: '<b>h</b>',
      userAgent: '\uFFFD(a\uFFFD\u20ac',
    });
  });

  it('a URI longer than what is kept is cut and flagged', () => {
    const h = httpFlow();
    h.send(0, GET(`/${'u'.repeat(10000)}`), 1);
    h.send(1, OK(''), 1.1);
    expect(h.rows[0].uri).toHaveLength(8192);
    expect(h.rows[0].flags).toBe(HTTP_TEXT_CUT);
  });

  it('a cut response body at the end of the capture is flagged', () => {
    const h = httpFlow();
    h.send(0, GET('/cut'), 1);
    h.send(1, 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc', 1.1);
    h.flow.end();
    expect(h.rows.map((r) => [r.responseBodyLength, r.flags])).toEqual([[3, HTTP_RESPONSE_BODY_CUT]]);
  });
});
