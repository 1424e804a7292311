import { describe, expect, it } from 'vitest';
import { analyzeCapture, buildSummary } from '../src/analysis/index.js';
import { hasSharedPcaps, realCaptures, SHARED_PCAPS } from './helpers/shared.js';
import { hasTshark, tsharkFields } from './helpers/tshark.js';

/**
 * The summary's dns, http and tls counts on every public capture against tshark's:
 * `dns.flags.response` 0 and 1, `http.request`, `http.response`, `tls.handshake.type` 1 and 2.
 * As in protocols-real.test.ts: tshark reassembles out-of-order segments, is told the port of
 * the HTTP request sent to an SSH server, and what it finds inside ICMP errors or VXLAN is not a
 * transaction (Flowlens' view of a packet is its first transport header, as for the flows);
 * mDNS and LLMNR share DNS's fields (tshark's `dns` filter leaves them out) and are counted.
 */
const DECODE_AS: Record<string, string[]> = {
  'eth-nsec-http-to-ssh_get-to-ssh-server.pcap': ['-d', 'tcp.port==22,http'],
};
const FILTER = '((dns.flags.response && !icmp && !icmpv6) || (http && tcp) || tls.handshake.type) && !vxlan';
const FIELDS = ['dns.flags.response', 'http.request', 'http.response', 'tls.handshake.type'];

describe.skipIf(!hasSharedPcaps || !hasTshark)('the summary’s protocol counts equal tshark’s', () => {
  it.each(realCaptures())('%s', async (file) => {
    const path = `${SHARED_PCAPS}/real/${file}`;
    const frames = tsharkFields(path, FILTER, FIELDS, [
      '-o',
      'tcp.reassemble_out_of_order:TRUE',
      ...(DECODE_AS[file] ?? []),
    ]);
    const want = {
      queries: 0,
      responses: 0,
      requests: 0,
      httpResponses: 0,
      clientHellos: 0,
      serverHellos: 0,
    };
    for (const [dns, request, response, hs] of frames) {
      for (const r of dns) {
        if (r === '0' || r === 'False') want.queries++;
        else want.responses++;
      }
      want.requests += request.length;
      want.httpResponses += response.length;
      for (const t of hs) {
        if (t === '1') want.clientHellos++;
        if (t === '2') want.serverHellos++;
      }
    }
    const summary = buildSummary(await analyzeCapture(path, { pipeline: false }));
    expect({
      queries: summary.dns?.queries,
      responses: summary.dns?.responses,
      requests: summary.http?.requests,
      httpResponses: summary.http?.responses,
      clientHellos: summary.tls?.client_hellos,
      serverHellos: summary.tls?.server_hellos,
    }).toEqual(want);
  });
});
