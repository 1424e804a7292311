import { describe, expect, it } from 'vitest';
import { analyzeCapture, resolveSettings } from '../src/analysis/index.js';
import type { DnsTransaction, HttpTransaction, TlsTransaction } from '../src/protocols/index.js';
import { protocolLogs } from './helpers/protocol-feed.js';
import { hasSharedPcaps, realCaptures, SHARED_PCAPS } from './helpers/shared.js';

/**
 * The protocol logs made inside the analysis' one pass (payload attached by the packet half, the
 * parsers in the flow half, flow ids from the flow table) against the parsers fed every byte of
 * every packet by a test-side flow table (test/helpers/protocol-feed.ts), which
 * protocols-real.test.ts checks against tshark. Flow ids (and the client's end of the key) follow
 * each side's own flow table: they are compared as groups (the same transactions in the same flows).
 */
function withoutFlow<T extends { flowId: number; clientSide: number }>(rows: T[]): string[] {
  // Bytes compare as bytes (one side's are a Buffer, the other's a view of a record batch).
  const bytes = (_k: string, v: unknown) =>
    v instanceof Uint8Array
      ? [...v]
      : (v as { type?: string })?.type === 'Buffer'
        ? (v as { data: number[] }).data
        : v;
  // The client's end of the flow key follows each flow table's own canonical order.
  return rows.map(({ flowId: _f, clientSide: _c, ...rest }) => JSON.stringify(rest, bytes)).sort();
}

function groups<T extends { flowId: number; ts: number }>(rows: T[]): string[] {
  const by = new Map<number, number[]>();
  for (const r of rows) by.set(r.flowId, [...(by.get(r.flowId) ?? []), r.ts]);
  return [...by.values()].map((ts) => ts.sort((a, b) => a - b).join(',')).sort();
}

describe.skipIf(!hasSharedPcaps)('protocol logs from the analysis of the real captures', () => {
  it.each(realCaptures())('%s: the same transactions as the parsers given every byte', async (file) => {
    const path = `${SHARED_PCAPS}/real/${file}`;
    const dns: DnsTransaction[] = [];
    const http: HttpTransaction[] = [];
    const tls: TlsTransaction[] = [];
    const flows = new Map<number, { proto: number; ports: number[] }>();
    const result = await analyzeCapture(path, {
      pipeline: false,
      onFlow: (f) => flows.set(f.flowId, { proto: f.proto, ports: [f.srcPort, f.dstPort] }),
      onLog: { dns: (r) => dns.push(r), http: (r) => http.push(r), tls: (r) => tls.push(r) },
    });
    const all = await protocolLogs(path);
    expect(withoutFlow(dns)).toEqual(withoutFlow(all.dns));
    expect(withoutFlow(http)).toEqual(withoutFlow(all.http));
    expect(withoutFlow(tls)).toEqual(withoutFlow(all.tls));
    expect(groups(dns)).toEqual(groups(all.dns));
    expect(groups(http)).toEqual(groups(all.http));
    expect(groups(tls)).toEqual(groups(all.tls));
    // Each row names a flow of the flows table: DNS on a DNS port, HTTP and TLS over TCP.
    for (const r of dns)
      expect(flows.get(r.flowId)?.ports.some((p) => [53, 5353, 5355].includes(p))).toBe(true);
    for (const r of [...http, ...tls]) expect(flows.get(r.flowId)?.proto).toBe(6);
    const totals = result.report.logs!;
    expect(totals.dns.queries).toBe(all.dnsLog.stats.queries);
    expect(totals.dns.responses).toBe(all.dnsLog.stats.responses);
    expect(totals.http.requests).toBe(all.httpStats.requests);
    expect(totals.http.responses).toBe(all.httpStats.responses);
    expect(totals.tls.clientHellos).toBe(all.tlsStats.clientHellos);
    expect(totals.tls.serverHellos).toBe(all.tlsStats.serverHellos);
    // The summary's row tallies are the rows'.
    expect(totals.dns.rows).toBe(dns.length);
    expect(totals.dns.answeredRows).toBe(dns.filter((r) => r.rcode !== null).length);
    expect(totals.dns.nxdomain).toBe(dns.filter((r) => r.rcode === 3).length);
    expect(totals.http.rows).toBe(http.length);
    expect(totals.tls.rows).toBe(tls.length);
  });
});

describe('--no-logs', () => {
  it.skipIf(!hasSharedPcaps)('leaves the logs out and the flows as they were', async () => {
    const path = `${SHARED_PCAPS}/real/eth-dns-http-v4v6_wikipedia.pcap`;
    const rows: unknown[] = [];
    const off = await analyzeCapture(path, {
      pipeline: false,
      settings: resolveSettings({ logs: false }),
      onLog: { dns: (r) => rows.push(r), http: (r) => rows.push(r), tls: (r) => rows.push(r) },
    });
    const on = await analyzeCapture(path, { pipeline: false });
    expect(rows).toEqual([]);
    expect(off.report.logs).toBeNull();
    expect(on.report.logs?.dns.queries).toBeGreaterThan(0);
    expect(off.report.topFlows).toEqual(on.report.topFlows);
    expect(off.analyzer.flowCounts).toEqual(on.analyzer.flowCounts);
  });
});
