import { readCapture } from '../../src/capture/index.js';
import { DecodedPacket, decodePacket, FRAME_IP, L4_TCP, L4_UDP, TCP_SYN } from '../../src/decode/index.js';
import {
  type AttachPolicy,
  ByteBudget,
  DnsLog,
  DnsTcpFlow,
  type DnsTransaction,
  emptyHttpStats,
  emptyTlsStats,
  HttpFlow,
  type HttpTransaction,
  isDnsPort,
  methodEnd,
  type TcpFlowParser,
  TlsFlow,
  type TlsTransaction,
} from '../../src/protocols/index.js';

/**
 * Feeds a capture's packets to the protocol parsers the way the analysis will, but with a simple
 * test-side flow table (a Map keyed by the 5-tuple in canonical order): the project's reader and
 * decoder find each packet's transport payload, UDP on a DNS port goes to the DNS log, and a TCP
 * flow gets the parser its first payload that starts a message asks for (a DNS port, a TLS
 * handshake record, an HTTP request or status line). Segments are fed in capture order; the
 * parsers order them.
 */
export interface ProtocolLogs {
  dns: DnsTransaction[];
  http: HttpTransaction[];
  tls: TlsTransaction[];
  dnsLog: DnsLog;
  httpStats: ReturnType<typeof emptyHttpStats>;
  tlsStats: ReturnType<typeof emptyTlsStats>;
  budget: ByteBudget;
}

interface TestFlow {
  id: number;
  /** Made by the first payload that starts a message (what the packet half attaches first). */
  parser: TcpFlowParser | null;
  /** Each side's SYN sequence number (-1 until seen): replayed to a parser created after it. */
  syn: [number, number];
}

function address(words: Uint32Array, v6: boolean): string {
  return v6 ? [...words].map((w) => w.toString(16)).join(':') : String(words[0]);
}

export interface FeedOptions {
  /**
   * Hand the parsers only the bytes this policy selects, as the analysis' packet half will (the
   * other segments come with their sequence numbers and lengths alone).
   */
  attach?: AttachPolicy;
  budgetBytes?: number;
}

/** A 32-bit hash of the test-side flow key (the analysis has one in each packet record). */
function keyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h | 0;
}

export async function protocolLogs(path: string, options: FeedOptions = {}): Promise<ProtocolLogs> {
  const budgetBytes = options.budgetBytes ?? 64 * 1024 * 1024;
  const attach = options.attach ?? null;
  const clock = new Float64Array(1);
  const budget = new ByteBudget(budgetBytes);
  const logs: ProtocolLogs = {
    dns: [],
    http: [],
    tls: [],
    dnsLog: new DnsLog(clock, (row) => logs.dns.push(row)),
    httpStats: emptyHttpStats(),
    tlsStats: emptyTlsStats(),
    budget,
  };
  const flows = new Map<string, TestFlow>();
  const pkt = new DecodedPacket();
  await readCapture(path, (rec) => {
    decodePacket(rec.buf, rec.offset, rec.capLen, rec.origLen, rec.linkType, pkt);
    if (pkt.frame !== FRAME_IP || pkt.malformed !== 0 || (pkt.l4 !== L4_TCP && pkt.l4 !== L4_UDP)) return;
    if (pkt.srcPort < 0 || pkt.dstPort < 0) return;
    clock[0] = rec.tsSec + rec.tsNsec / 1e9;
    const v6 = pkt.ip === 6;
    const src = `${address(pkt.src, v6)}/${pkt.srcPort}`;
    const dst = `${address(pkt.dst, v6)}/${pkt.dstPort}`;
    const side = src < dst ? 0 : 1;
    const key = `${pkt.l4}|${side === 0 ? src : dst}|${side === 0 ? dst : src}`;
    let flow = flows.get(key);
    if (flow === undefined) {
      flow = { id: flows.size + 1, parser: null, syn: [-1, -1] };
      flows.set(key, flow);
    }
    const off = pkt.payloadOffset;
    let captured = pkt.payloadCaptured;
    if (attach !== null) {
      const n = attach.select(
        pkt.l4,
        pkt.srcPort,
        pkt.dstPort,
        keyHash(key),
        side,
        pkt.seq,
        rec.buf,
        off,
        captured,
      );
      captured = Math.max(0, n);
    }
    if (pkt.l4 === L4_UDP) {
      if (captured > 0 && (isDnsPort(pkt.srcPort) || isDnsPort(pkt.dstPort)))
        logs.dnsLog.message(flow.id, side, 17, rec.buf, off, captured);
      return;
    }
    if ((pkt.tcpFlags & TCP_SYN) !== 0) flow.syn[side] = pkt.seq;
    if (flow.parser === null && captured > 0) {
      const b = rec.buf;
      const id = flow.id;
      if (isDnsPort(pkt.srcPort) || isDnsPort(pkt.dstPort))
        flow.parser = new DnsTcpFlow(id, logs.dnsLog, clock, budget);
      else if (b[off] === 0x16 && captured >= 6 && b[off + 1] === 3)
        flow.parser = new TlsFlow(id, clock, budget, logs.tlsStats, (row) => logs.tls.push(row));
      else if (methodEnd(b, off, off + captured) > 0 || b.toString('latin1', off, off + 5) === 'HTTP/')
        flow.parser = new HttpFlow(id, clock, budget, logs.httpStats, (row) => logs.http.push(row));
      else return;
      // The flow's SYNs tell the parser where each side's bytes start (a first data segment that
      // came out of order would otherwise be taken for the start).
      for (const s of [0, 1])
        if (flow.syn[s] >= 0) flow.parser?.segment(s, flow.syn[s], TCP_SYN, 0, null, 0, 0);
    }
    flow.parser?.segment(
      side,
      pkt.seq,
      pkt.tcpFlags,
      pkt.payloadLength,
      captured > 0 ? rec.buf : null,
      off,
      captured,
    );
  });
  for (const flow of flows.values()) flow.parser?.end();
  logs.dnsLog.flush();
  return logs;
}
