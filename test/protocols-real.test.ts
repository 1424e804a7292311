import { describe, expect, it } from 'vitest';
import {
  DNS_A,
  DNS_M_TRUNCATED,
  DNS_MAX_ANSWERS,
  HTTP_REQUEST_HEAD_CUT,
  HTTP_RESPONSE_HEAD_CUT,
} from '../src/protocols/index.js';
import { type ProtocolLogs, protocolLogs } from './helpers/protocol-feed.js';
import { hasSharedPcaps, realCaptures, SHARED_PCAPS } from './helpers/shared.js';
import { hasTshark, tsharkFields } from './helpers/tshark.js';

/**
 * The protocol logs of every public capture against tshark 4.0, field by field. tshark runs with
 * `tcp.reassemble_out_of_order`: without it tshark skips the bytes of a segment it takes for a
 * retransmission, such as the first data after an early segment, or a reply on a reused port (it
 * then misses four HTTP responses of the realistic Windows capture that are there). Where tshark
 * decodes by port what Flowlens finds by content, it is told the port:
 */
const DECODE_AS: Record<string, string[]> = {
  // An HTTP request sent to an SSH server: the capture's point; tshark decodes port 22 as SSH.
  'eth-nsec-http-to-ssh_get-to-ssh-server.pcap': ['-d', 'tcp.port==22,http'],
};

// DNS inside ICMP errors (a quoted datagram) is tshark's, not a transaction, and so is what it
// finds inside a VXLAN tunnel: Flowlens' view of a packet is its first transport header (README),
// as for the flows. mDNS and LLMNR share DNS's fields (and are other protocols to tshark's filter).
const FILTER = '((dns.flags.response && !icmp && !icmpv6) || (http && tcp) || tls.handshake.type) && !vxlan';
const FIELDS = [
  'dns.flags.response',
  'dns.qry.name',
  'dns.flags.rcode',
  'dns.count.answers',
  'dns.a',
  'http.request.method',
  'http.host',
  'http.request.uri',
  'http.response.code',
  'tls.handshake.type',
  'tls.handshake.extensions_server_name',
  'tls.handshake.ja3_full',
  'tls.handshake.ja3',
  'tls.handshake.ja3s_full',
  'tls.handshake.ja3s',
  'x509ce.dNSName',
  'x509af.utcTime',
] as const;
type Field = (typeof FIELDS)[number];

function sorted(xs: string[]): string[] {
  return [...xs].sort();
}

/** tshark writes the root name as <Root>; the parsers as "." (what the flow hints write). */
function dnsName(name: string | undefined): string {
  return name === undefined ? '' : name === '<Root>' ? '.' : name;
}

/** "2022-03-16 01:24:53 (UTC)" as seconds since the epoch. */
function utcSeconds(text: string): number {
  return Date.parse(`${text.replace(' (UTC)', '').replace(' ', 'T')}Z`) / 1000;
}

function httpRequestKey(method: string, host: string, uri: string): string {
  return `${method} ${host} ${uri}`;
}

type Frame = Record<Field, string[]>;

/**
 * DNS: every query and response message counted; each response is one row (its query's, or one
 * of its own) with the question's name and the response code, and its answers where it was whole.
 */
function checkDns(frames: Frame[], logs: ProtocolLogs): void {
  const responses: string[] = [];
  const answerCounts: string[] = [];
  const queryNames = new Set<string>();
  const aRecords = new Set<string>();
  let queries = 0;
  for (const f of frames) {
    f['dns.flags.response'].forEach((response, i) => {
      const name = dnsName(f['dns.qry.name'][i]);
      if (response === '0') {
        queries++;
        queryNames.add(name);
        return;
      }
      const key = `${name} rcode=${f['dns.flags.rcode'][i]}`;
      responses.push(key);
      answerCounts.push(`${key} answers=${Math.min(Number(f['dns.count.answers'][i]), DNS_MAX_ANSWERS)}`);
    });
    if (f['dns.flags.response'].includes('1')) for (const a of f['dns.a']) aRecords.add(a);
  }
  const stats = logs.dnsLog.stats;
  expect(stats.queries).toBe(queries);
  expect(stats.responses).toBe(responses.length);
  const answered = logs.dns.filter((r) => r.answered);
  expect(sorted(answered.map((r) => `${r.query ?? ''} rcode=${r.rcode}`))).toEqual(sorted(responses));
  const asked = logs.dns.filter((r) => r.querySeen);
  expect(new Set(asked.map((r) => r.query ?? ''))).toEqual(queryNames);
  expect(asked.length + stats.repeatedQueries).toBe(queries);
  // A response cut short (IP fragments are not reassembled: the first one is the packet) keeps its
  // header and question; its answers are compared where it was whole.
  for (const r of answered) {
    if (r.malformed === DNS_M_TRUNCATED) continue;
    expect(answerCounts).toContain(`${r.query ?? ''} rcode=${r.rcode} answers=${r.answers.length}`);
    for (const a of r.answers) if (a.type === DNS_A) expect(aRecords).toContain(a.data);
  }
}

/** HTTP: requests (method, Host, URI) and responses (status) whose heads were whole. */
function checkHttp(frames: Frame[], logs: ProtocolLogs): void {
  const requests: string[] = [];
  const statuses: string[] = [];
  for (const f of frames) {
    f['http.request.method'].forEach((method, i) => {
      requests.push(httpRequestKey(method, f['http.host'][i] ?? '', f['http.request.uri'][i] ?? ''));
    });
    statuses.push(...f['http.response.code']);
  }
  expect(logs.httpStats.requests).toBe(requests.length);
  expect(logs.httpStats.responses).toBe(statuses.length);
  const whole = logs.http.filter((r) => r.method !== null && (r.flags & HTTP_REQUEST_HEAD_CUT) === 0);
  expect(sorted(whole.map((r) => httpRequestKey(r.method ?? '', r.host ?? '', r.uri ?? '')))).toEqual(
    sorted(requests),
  );
  const ours = logs.http
    .filter((r) => (r.flags & HTTP_RESPONSE_HEAD_CUT) === 0)
    .flatMap((r) => [r.infoStatus, r.status].filter((s) => s !== null).map(String));
  expect(sorted(ours)).toEqual(sorted(statuses));
}

/**
 * TLS: every ClientHello with its server name, JA3 text and JA3; every ServerHello with JA3S; the
 * first certificate's alternative names and validity.
 */
function checkTls(frames: Frame[], logs: ProtocolLogs): void {
  const hellos: string[] = [];
  const serverHellos: string[] = [];
  const certificates: { san: string[]; validity: number[] }[] = [];
  for (const f of frames) {
    let client = 0;
    let server = 0;
    for (const t of f['tls.handshake.type']) {
      if (t === '1') {
        const i = client++;
        const sni = f['tls.handshake.extensions_server_name'][i] ?? '';
        hellos.push(`${sni} ${f['tls.handshake.ja3_full'][i]} ${f['tls.handshake.ja3'][i]}`);
      } else if (t === '2') {
        const i = server++;
        serverHellos.push(`${f['tls.handshake.ja3s_full'][i]} ${f['tls.handshake.ja3s'][i]}`);
      } else if (t === '11') {
        certificates.push({ san: f['x509ce.dNSName'], validity: f['x509af.utcTime'].map(utcSeconds) });
      }
    }
  }
  const stats = logs.tlsStats;
  expect(stats.clientHellos).toBe(hellos.length);
  expect(stats.serverHellos).toBe(serverHellos.length);
  expect(stats.certificates).toBe(certificates.length);
  const withClient = logs.tls.filter((r) => r.client !== null);
  expect(sorted(withClient.map((r) => `${r.client?.serverName ?? ''} ${r.ja3Text} ${r.ja3}`))).toEqual(
    sorted(hellos),
  );
  const withServer = logs.tls.filter((r) => r.server !== null);
  expect(sorted(withServer.map((r) => `${r.ja3sText} ${r.ja3s}`))).toEqual(sorted(serverHellos));
  for (const r of logs.tls) {
    const cert = r.certificate;
    if (cert === null) continue;
    // tshark lists the names of every certificate in the message: the first one's come first.
    const i = certificates.findIndex(
      (c) =>
        c.validity[0] === cert.notBefore &&
        c.validity[1] === cert.notAfter &&
        cert.sanDns.every((name, k) => c.san[k] === name),
    );
    expect(i, `certificate ${cert.subject}`).toBeGreaterThanOrEqual(0);
    certificates.splice(i, 1);
  }
  expect(certificates).toEqual([]);
}

describe.skipIf(!hasSharedPcaps || !hasTshark)(
  'protocol logs of the public captures agree with tshark',
  () => {
    it.each(realCaptures())('%s', async (file) => {
      const path = `${SHARED_PCAPS}/real/${file}`;
      const logs = await protocolLogs(path);
      const options = ['-o', 'tcp.reassemble_out_of_order:TRUE', ...(DECODE_AS[file] ?? [])];
      const frames = tsharkFields(path, FILTER, [...FIELDS], options).map(
        (row) => Object.fromEntries(FIELDS.map((f, i) => [f, row[i] ?? []])) as Frame,
      );
      checkDns(frames, logs);
      checkHttp(frames, logs);
      checkTls(frames, logs);
    });
  },
);
