import { describe, expect, it } from 'vitest';
import {
  ByteBudget,
  DNS_A,
  DNS_AAAA,
  DNS_CNAME,
  DNS_M_LABEL_TYPE,
  DNS_M_NAME_TOO_LONG,
  DNS_M_POINTER_LOOP,
  DNS_M_POINTER_OUT_OF_RANGE,
  DNS_M_RDATA,
  DNS_M_TRUNCATED,
  DNS_MALFORMED,
  DNS_MX,
  DNS_NS,
  DNS_PTR,
  DNS_SRV,
  DNS_TXT,
  DnsLog,
  type DnsLogOptions,
  DnsTcpFlow,
  type DnsTransaction,
  dnsRcodeName,
  dnsTypeName,
  parseDnsMessage,
} from '../src/protocols/index.js';
import { message, name, overTcp, pointer, QUESTION, rdata } from './helpers/dns-messages.js';

const UDP = 17;
const TCP = 6;

function dnsLog(options: DnsLogOptions = {}) {
  const clock = new Float64Array(1);
  const rows: DnsTransaction[] = [];
  const log = new DnsLog(clock, (row) => rows.push(row), options);
  return {
    log,
    rows,
    clock,
    /** `msg` from `side` of flow `flow` at time `t`, over UDP. */
    send(flow: number, side: number, msg: Buffer, t: number) {
      clock[0] = t;
      log.message(flow, side, UDP, msg, 0, msg.length);
    },
  };
}

const query = (id: number, qname = 'www.example.com', type = DNS_A) =>
  message({ id, questions: [{ name: name(qname.split('.')), type }] });

describe('DNS transactions', () => {
  it('a query and its response make one row with the round-trip time, the flags and every answer type', () => {
    const d = dnsLog();
    d.send(1, 0, query(0x1234), 10);
    const q = pointer(QUESTION);
    const response = message({
      id: 0x1234,
      response: true,
      flags: 0x0400 | 0x0100 | 0x0080,
      questions: [{ name: name(['www', 'example', 'com']), type: DNS_A }],
      answers: [
        { name: q, type: DNS_CNAME, data: name(['edge'], pointer(QUESTION + 4)) },
        { name: name(['edge', 'example', 'com']), type: DNS_A, ttl: 60, data: Buffer.from([192, 0, 2, 7]) },
        { name: q, type: DNS_AAAA, data: Buffer.from('20010db8000000000000000000000001', 'hex') },
        {
          name: q,
          type: DNS_MX,
          data: Buffer.concat([rdata.u16(10), name(['mail'], pointer(QUESTION + 4))]),
        },
        { name: q, type: DNS_TXT, data: rdata.txt('v=spf1 -all', 'second') },
        { name: q, type: DNS_NS, data: name(['ns1'], pointer(QUESTION + 4)) },
        { name: q, type: DNS_PTR, data: name(['host', 'example']) },
        {
          name: q,
          type: DNS_SRV,
          data: Buffer.concat([
            rdata.u16(1),
            rdata.u16(5),
            rdata.u16(5060),
            name(['sip'], pointer(QUESTION + 4)),
          ]),
        },
        { name: q, type: 99, data: Buffer.from('opaque') },
      ],
    });
    d.send(1, 1, response, 10.025);
    expect(d.rows).toHaveLength(1);
    const row = d.rows[0];
    expect(row).toMatchObject({
      ts: 10,
      flowId: 1,
      clientSide: 0,
      transport: UDP,
      id: 0x1234,
      query: 'www.example.com',
      qtype: DNS_A,
      qclass: 1,
      rd: true,
      aa: true,
      ra: true,
      tc: false,
      rcode: 0,
      querySeen: true,
      answered: true,
      malformed: 0,
    });
    expect(row.rtt).toBeCloseTo(0.025, 9);
    expect(row.answers.map((a) => [a.name, dnsTypeName(a.type), a.ttl, a.data])).toEqual([
      ['www.example.com', 'CNAME', 300, 'edge.example.com'],
      ['edge.example.com', 'A', 60, '192.0.2.7'],
      ['www.example.com', 'AAAA', 300, '2001:db8::1'],
      ['www.example.com', 'MX', 300, 'mail.example.com'],
      ['www.example.com', 'TXT', 300, 'v=spf1 -all second'],
      ['www.example.com', 'NS', 300, 'ns1.example.com'],
      ['www.example.com', 'PTR', 300, 'host.example'],
      ['www.example.com', 'SRV', 300, 'sip.example.com'],
      ['www.example.com', 'TYPE99', 300, null],
    ]);
    expect(row.answers[3].priority).toBe(10);
    expect(row.answers[4].texts).toEqual(['v=spf1 -all', 'second']);
    expect(row.answers[7]).toMatchObject({ priority: 1, weight: 5, port: 5060 });
    expect(d.log.stats).toMatchObject({
      messages: 2,
      queries: 1,
      responses: 1,
      unanswered: 0,
      unsolicited: 0,
    });
  });

  it('an unanswered query is written once the timeout passes, or when its flow or the capture ends', () => {
    const d = dnsLog({ timeout: 5 });
    d.send(1, 0, query(1), 100);
    d.send(2, 0, query(2), 101);
    d.send(3, 0, query(3), 102);
    d.clock[0] = 105.5;
    d.log.expire();
    expect(d.rows.map((r) => r.id)).toEqual([1]);
    d.log.flowEnded(3);
    expect(d.rows.map((r) => r.id)).toEqual([1, 3]);
    d.log.flush();
    expect(d.rows.map((r) => [r.id, r.answered, r.rcode, r.rtt])).toEqual([
      [1, false, null, null],
      [3, false, null, null],
      [2, false, null, null],
    ]);
    expect(d.log.stats.unanswered).toBe(3);
    expect(d.log.outstanding).toBe(0);
  });

  it('a response needs the same flow, the other side, the id and the question (its case aside)', () => {
    const d = dnsLog();
    d.send(1, 0, query(7, 'Case.Example'), 1);
    d.send(
      1,
      1,
      message({ id: 8, response: true, questions: [{ name: name(['case', 'example']), type: DNS_A }] }),
      2,
    );
    d.send(
      2,
      1,
      message({ id: 7, response: true, questions: [{ name: name(['case', 'example']), type: DNS_A }] }),
      2,
    );
    d.send(
      1,
      0,
      message({ id: 7, response: true, questions: [{ name: name(['case', 'example']), type: DNS_A }] }),
      2,
    );
    d.send(
      1,
      1,
      message({ id: 7, response: true, questions: [{ name: name(['case', 'example']), type: DNS_AAAA }] }),
      2,
    );
    expect(d.rows.every((r) => !r.querySeen)).toBe(true);
    expect(d.log.stats.unsolicited).toBe(4);
    d.send(
      1,
      1,
      message({
        id: 7,
        response: true,
        rcode: 3,
        questions: [{ name: name(['cASE', 'eXAMPLE']), type: DNS_A }],
      }),
      3,
    );
    const row = d.rows[d.rows.length - 1];
    expect(row).toMatchObject({ query: 'Case.Example', querySeen: true, answered: true, rcode: 3, rtt: 2 });
    expect(dnsRcodeName(row.rcode as number)).toBe('NXDOMAIN');
  });

  it('a repeated query is one row, timed from the first; a response without its query is a row of its own', () => {
    const d = dnsLog();
    d.send(1, 0, query(5), 1);
    d.send(1, 0, query(5), 2);
    d.send(
      1,
      1,
      message({ id: 5, response: true, questions: [{ name: name(['www', 'example', 'com']), type: DNS_A }] }),
      2.5,
    );
    d.send(
      4,
      1,
      message({ id: 6, response: true, questions: [{ name: name(['late', 'example']), type: DNS_A }] }),
      3,
    );
    expect(d.rows.map((r) => [r.query, r.rtt, r.querySeen, r.clientSide])).toEqual([
      ['www.example.com', 1.5, true, 0],
      ['late.example', null, false, 0],
    ]);
    expect(d.log.stats).toMatchObject({ queries: 2, repeatedQueries: 1, responses: 2, unsolicited: 1 });
  });

  it('mDNS class bits (unicast-response, cache-flush) do not stop a match', () => {
    const d = dnsLog();
    d.send(
      1,
      0,
      message({ id: 0, questions: [{ name: name(['printer', 'local']), type: DNS_A, class: 0x8001 }] }),
      1,
    );
    d.send(
      1,
      1,
      message({
        id: 0,
        response: true,
        questions: [{ name: name(['printer', 'local']), type: DNS_A, class: 1 }],
      }),
      1.1,
    );
    expect(d.rows).toHaveLength(1);
    expect(d.rows[0]).toMatchObject({ querySeen: true, answered: true, qclass: 0x8001 });
  });

  it('outstanding queries are bounded per flow and in all: the oldest is written as unanswered', () => {
    const d = dnsLog({ maxPerFlow: 2, maxPending: 3 });
    for (let id = 1; id <= 3; id++) d.send(1, 0, query(id), id);
    expect(d.rows.map((r) => r.id)).toEqual([1]);
    d.send(2, 0, query(10), 4);
    d.send(3, 0, query(20), 5);
    expect(d.rows.map((r) => r.id)).toEqual([1, 2]);
    expect(d.log.outstanding).toBe(3);
    expect(d.log.stats).toMatchObject({ evicted: 2, unanswered: 2 });
    // A bound never loses a query: each is still one row.
    for (let id = 0; id < 10_000; id++) d.send(9, 0, query(id), 6 + id);
    expect(d.log.outstanding).toBeLessThanOrEqual(3);
    d.log.flush();
    expect(d.rows).toHaveLength(10_005);
  });
});

describe('DNS names and damaged messages', () => {
  const withName = (n: Buffer) => {
    const msg = message({ id: 1, questions: [{ name: n, type: DNS_A }] });
    return parseDnsMessage(msg, 0, msg.length);
  };

  it('a compression loop, a forward or out-of-range pointer, a long name, an unknown label type: malformed, never thrown', () => {
    expect(withName(pointer(QUESTION))?.malformed).toBe(DNS_M_POINTER_LOOP);
    expect(withName(name(['a'], pointer(QUESTION)))?.malformed).toBe(DNS_M_POINTER_LOOP);
    expect(withName(pointer(QUESTION + 2))?.malformed).toBe(DNS_M_POINTER_LOOP);
    expect(withName(pointer(0x3fff))?.malformed).toBe(DNS_M_POINTER_OUT_OF_RANGE);
    expect(withName(name(Array.from({ length: 5 }, () => 'x'.repeat(63))))?.malformed).toBe(
      DNS_M_NAME_TOO_LONG,
    );
    expect(
      withName(name(Array.from({ length: 3 }, () => 'x'.repeat(63)).concat(['x'.repeat(61)])))?.malformed,
    ).toBe(0);
    expect(withName(Buffer.from([0x41, 0]))?.malformed).toBe(DNS_M_LABEL_TYPE);
    // A loop of two pointers through the answers: the second points back at the first.
    const loop = message({
      id: 2,
      response: true,
      questions: [],
      answers: [{ name: pointer(QUESTION + 2), type: DNS_A, data: Buffer.from([1, 2, 3, 4]) }],
    });
    loop.writeUInt16BE(0xc000 | QUESTION, QUESTION + 2);
    expect(parseDnsMessage(loop, 0, loop.length)?.malformed).toBe(DNS_M_POINTER_LOOP);
    for (const code of [DNS_M_POINTER_LOOP, DNS_M_POINTER_OUT_OF_RANGE, DNS_M_NAME_TOO_LONG]) {
      expect(DNS_MALFORMED[code]).not.toBe('');
    }
  });

  it('record data that does not fit its type is malformed; the records before it are kept', () => {
    const msg = message({
      id: 3,
      response: true,
      questions: [{ name: name(['a', 'example']), type: DNS_A }],
      answers: [
        { name: pointer(QUESTION), type: DNS_A, data: Buffer.from([10, 0, 0, 1]) },
        { name: pointer(QUESTION), type: DNS_A, data: Buffer.from([10, 0, 0, 1, 9]) },
        { name: pointer(QUESTION), type: DNS_CNAME, data: name(['x'], pointer(0x3000)) },
      ],
    });
    const parsed = parseDnsMessage(msg, 0, msg.length);
    expect(parsed?.malformed).toBe(DNS_M_RDATA);
    expect(parsed?.answers.map((a) => a.data)).toEqual(['10.0.0.1', null, null]);
  });

  it('every truncation of a message (a snaplen cut) reads as far as it goes, and a header alone is too short to be one', () => {
    const msg = message({
      id: 4,
      response: true,
      questions: [{ name: name(['cut', 'example', 'org']), type: DNS_TXT }],
      answers: [{ name: pointer(QUESTION), type: DNS_TXT, data: rdata.txt('x'.repeat(100)) }],
    });
    for (let n = 0; n <= msg.length; n++) {
      const cut = Buffer.concat([msg.subarray(0, n), Buffer.alloc(64, 0xc0)]);
      const parsed = parseDnsMessage(cut, 0, n);
      if (n < 12) expect(parsed).toBeNull();
      else expect(parsed?.malformed).toBe(n === msg.length ? 0 : DNS_M_TRUNCATED);
    }
    const d = dnsLog();
    d.send(1, 0, Buffer.alloc(11), 1);
    expect(d.log.stats).toMatchObject({ messages: 1, notDns: 1, queries: 0 });
  });

  it('names with markup, NUL, invalid UTF-8 and a dot in a label are text: NUL and bad bytes as U+FFFD', () => {
    const labels = [
      Buffer.from('<script>alert(1)</script>'),
      Buffer.from([0x61, 0, 0x62]),
      Buffer.from([0xff, 0xfe]),
      'a.b',
    ];
    expect(withName(name(labels))?.questions[0].name).toBe(
      '<script>alert(1)</script>.a\uFFFDb.\uFFFD\uFFFD.a.b',
    );
    expect(withName(name(['caf\u00e9', 'example']))?.questions[0].name).toBe('caf\u00e9.example');
    expect(withName(Buffer.from([0]))?.questions[0].name).toBe('.');
  });

  it('a message of many answers keeps the first 32 and a TXT record keeps its first 16 strings', () => {
    const answers = Array.from({ length: 40 }, (_, i) => ({
      name: pointer(QUESTION),
      type: DNS_A,
      data: Buffer.from([10, 0, 0, i]),
    }));
    const msg = message({
      id: 5,
      response: true,
      questions: [{ name: name(['many']), type: DNS_A }],
      answers,
    });
    const parsed = parseDnsMessage(msg, 0, msg.length);
    expect(parsed?.answerCount).toBe(40);
    expect(parsed?.answers).toHaveLength(32);
    expect(parsed?.malformed).toBe(0);
    const strings = rdata.txt(...Array.from({ length: 30 }, () => 'y'));
    const txt = message({
      id: 6,
      response: true,
      questions: [],
      answers: [{ name: name(['t']), type: DNS_TXT, data: strings }],
    });
    expect(parseDnsMessage(txt, 0, txt.length)?.answers[0].texts).toHaveLength(16);
  });
});

describe('DNS over TCP', () => {
  function tcpFlow(budget = new ByteBudget(1 << 20)) {
    const d = dnsLog();
    const flow = new DnsTcpFlow(9, d.log, d.clock, budget);
    const next = [100, 500];
    flow.segment(0, 99, 0x02, 0, null, 0, 0);
    flow.segment(1, 499, 0x12, 0, null, 0, 0);
    return {
      ...d,
      flow,
      budget,
      send(side: number, bytes: Buffer, t: number, seq = next[side]) {
        d.clock[0] = t;
        flow.segment(side, seq, 0x18, bytes.length, bytes, 0, bytes.length);
        next[side] = Math.max(next[side], seq + bytes.length);
      },
    };
  }

  const answer = (id: number) =>
    message({
      id,
      response: true,
      questions: [{ name: name(['www', 'example', 'com']), type: DNS_A }],
      answers: [{ name: pointer(QUESTION), type: DNS_A, data: Buffer.from([192, 0, 2, id]) }],
    });

  it('messages after their 2-byte lengths: two in one segment, one split over three (its length too)', () => {
    const t = tcpFlow();
    t.send(0, Buffer.concat([overTcp(query(1)), overTcp(query(2))]), 1);
    const both = Buffer.concat([overTcp(answer(1)), overTcp(answer(2))]);
    t.send(1, both.subarray(0, 1), 1.1);
    t.send(1, both.subarray(1, 20), 1.2);
    t.send(1, both.subarray(20), 1.3);
    expect(t.rows.map((r) => [r.id, r.transport, r.answers[0]?.data, r.rtt])).toEqual([
      [1, TCP, '192.0.2.1', expect.closeTo(0.3, 9)],
      [2, TCP, '192.0.2.2', expect.closeTo(0.3, 9)],
    ]);
    t.flow.end();
    expect(t.budget.used).toBe(0);
  });

  it('segments out of order are put back in order', () => {
    const t = tcpFlow();
    t.send(0, overTcp(query(3)), 1);
    const bytes = overTcp(answer(3));
    t.send(1, bytes.subarray(10), 1.2, 510);
    t.send(1, bytes.subarray(0, 10), 1.1, 500);
    expect(t.rows).toHaveLength(1);
    expect(t.rows[0].answered).toBe(true);
  });

  it('a hole stops that direction; the message it cut is read as far as it goes', () => {
    const t = tcpFlow();
    t.send(0, overTcp(query(4)), 1);
    const bytes = overTcp(answer(4));
    t.send(1, bytes.subarray(0, 40), 1.1);
    t.flow.segment(1, 540 + 5, 0x18, 10, null, 0, 0); // a segment after a lost one
    t.flow.end();
    expect(t.rows).toHaveLength(1);
    expect(t.rows[0]).toMatchObject({ answered: true, query: 'www.example.com', malformed: DNS_M_TRUNCATED });
    expect(t.budget.used).toBe(0);
  });
});
