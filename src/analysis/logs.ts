import { TCP_SYN } from '../decode/index.js';
import {
  type AttachStats,
  ByteBudget,
  DnsLog,
  type DnsLogStats,
  DnsTcpFlow,
  type DnsTransaction,
  emptyHttpStats,
  emptyTlsStats,
  HttpFlow,
  type HttpLogStats,
  type HttpTransaction,
  isDnsPort,
  methodEnd,
  type TcpFlowParser,
  TlsFlow,
  type TlsLogStats,
  type TlsTransaction,
} from '../protocols/index.js';

/**
 * The protocol logs in the flow half of the one pass (docs/PROTOCOLS.md): DNS messages go to one
 * `DnsLog`; a TCP flow gets a parser at its first attached payload that starts a message (a DNS
 * port, a TLS handshake record, an HTTP start line) and from then on every segment of the flow,
 * mostly as a sequence number and a length, until the parser is finished. Rows go to a sink as
 * they are made (nothing is kept here but the summary's counters), so memory is the parsers'
 * (bounded by one byte budget) and the bounded tallies.
 */

/** Receives every transaction as it is made (in whichever thread runs the flow half). */
export interface LogSink {
  dns(row: DnsTransaction): void;
  http(row: HttpTransaction): void;
  tls(row: TlsTransaction): void;
}

/** Bytes all parsers of one flow half may hold at once (gathered lines, hellos, early segments). */
const LOG_BUDGET = 64 * 1024 * 1024;
/** Distinct names a tally keeps; later new names are counted in `others` only. */
const TALLY_MAX = 10_000;

/** Counts by text, with a bound on the distinct texts (plain data: it crosses threads). */
export interface Tally {
  counts: Record<string, number>;
  distinct: number;
  /** Rows whose text came after the tally was full. */
  others: number;
}

function newTally(): Tally {
  return { counts: Object.create(null) as Record<string, number>, distinct: 0, others: 0 };
}

function count(t: Tally, key: string | null): void {
  if (key === null || key === '') return;
  const n = t.counts[key];
  if (n !== undefined) t.counts[key] = n + 1;
  else if (t.distinct < TALLY_MAX) {
    t.counts[key] = 1;
    t.distinct++;
  } else t.others++;
}

/** The most counted texts, ties by text. */
export function topOf(t: Tally, n: number): { name: string; count: number }[] {
  return Object.entries(t.counts)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, n)
    .map(([name, c]) => ({ name, count: c }));
}

/** What the logs give the summary: the parsers' counters and tallies of the rows. */
export interface LogTotals {
  dns: DnsLogStats & { rows: number; answeredRows: number; nxdomain: number; names: Tally };
  http: HttpLogStats & { rows: number; statusClasses: number[]; hosts: Tally; userAgents: Tally };
  tls: TlsLogStats & { rows: number; snis: Tally; ja4: Tally };
  /** What the packet half attached (filled in by the packet half). */
  attach: AttachStats | null;
}

/** The parsers and counters of one flow half. */
export class FlowLogs {
  /** The time of the record being read, set before every parser call (a double argument is boxed). */
  readonly clock = new Float64Array(1);
  readonly totals: LogTotals;
  private readonly budget = new ByteBudget(LOG_BUDGET);
  private readonly dnsLog: DnsLog;
  private readonly onDns: (row: DnsTransaction) => void;
  private readonly onHttp: (row: HttpTransaction) => void;
  private readonly onTls: (row: TlsTransaction) => void;
  /** A TCP flow's parser by flow index (null: none yet, or none wanted). */
  private parsers: (TcpFlowParser | null)[] = [];
  /** The flow index of each live flow with log traffic, by flow id (rows name their flow by id). */
  private readonly slots = new Map<number, number>();

  constructor(sink: LogSink | null) {
    const http = {
      ...emptyHttpStats(),
      rows: 0,
      statusClasses: [0, 0, 0, 0, 0, 0],
      hosts: newTally(),
      userAgents: newTally(),
    };
    const tls = { ...emptyTlsStats(), rows: 0, snis: newTally(), ja4: newTally() };
    // The DNS log's own stats object gains the row tallies (filled in below, once it exists).
    let dnsTotals = { rows: 0, answeredRows: 0, nxdomain: 0, names: newTally() };
    this.onDns = (row) => {
      dnsTotals.rows++;
      if (row.rcode !== null) {
        dnsTotals.answeredRows++;
        if (row.rcode === 3) dnsTotals.nxdomain++;
      }
      if (row.querySeen) count(dnsTotals.names, row.query);
      sink?.dns(row);
    };
    this.onHttp = (row) => {
      http.rows++;
      // 0: no response; 1-5: 1xx-5xx (a status outside 100-599 counts as none).
      const s = row.status;
      http.statusClasses[s !== null && s >= 100 && s < 600 ? Math.floor(s / 100) : 0]++;
      if (row.method !== null) {
        count(http.hosts, row.host);
        count(http.userAgents, row.userAgent);
      }
      sink?.http(row);
    };
    this.onTls = (row) => {
      tls.rows++;
      if (row.client !== null) {
        count(tls.snis, row.client.serverName);
        count(tls.ja4, row.ja4);
      }
      sink?.tls(row);
    };
    this.dnsLog = new DnsLog(this.clock, this.onDns);
    const dns = Object.assign(this.dnsLog.stats, dnsTotals);
    dnsTotals = dns;
    this.totals = { dns, http, tls, attach: null };
  }

  /** Flow index `f` (id `flowId`) has its first log traffic: once per flow, never per packet. */
  started(f: number, flowId: number): void {
    this.slots.set(flowId, f);
  }

  /** The flow index of a live flow with log traffic (until `ended` returns), or -1. */
  slotOf(flowId: number): number {
    return this.slots.get(flowId) ?? -1;
  }

  /** Whether flow index `f` has a parser (every TCP segment of it must then be fed). */
  has(f: number): boolean {
    return f < this.parsers.length && this.parsers[f] !== null;
  }

  /** A DNS message over UDP (its payload attached). */
  udp(flowId: number, side: number, buf: Uint8Array, off: number, len: number): void {
    this.dnsLog.message(flowId, side, 17, buf, off, len);
  }

  /**
   * One TCP segment of flow index `f`. `captured` is the attached byte count (0: none). `isn` are
   * the flow's SYN sequence numbers per side, `isnSet` bit 0/1 says which were seen: a parser made
   * now learns where each side's bytes start.
   */
  tcp(
    f: number,
    flowId: number,
    side: number,
    flags: number,
    seq: number,
    length: number,
    buf: Uint8Array,
    off: number,
    captured: number,
    ports: number,
    isnA: number,
    isnB: number,
    isnSet: number,
  ): void {
    let parser = f < this.parsers.length ? this.parsers[f] : null;
    if (parser === null) {
      if (captured <= 0) return;
      parser = this.parserFor(flowId, ports, buf, off, captured);
      if (parser === null) return;
      while (this.parsers.length <= f) this.parsers.push(null);
      this.parsers[f] = parser;
      if ((isnSet & 1) !== 0) parser.segment(0, isnA, TCP_SYN, 0, null, 0, 0);
      if ((isnSet & 2) !== 0) parser.segment(1, isnB, TCP_SYN, 0, null, 0, 0);
    }
    parser.segment(side, seq, flags, length, captured > 0 ? buf : null, off, captured);
  }

  private parserFor(
    flowId: number,
    ports: number,
    b: Uint8Array,
    off: number,
    n: number,
  ): TcpFlowParser | null {
    if (isDnsPort(ports >>> 16) || isDnsPort(ports & 0xffff))
      return new DnsTcpFlow(flowId, this.dnsLog, this.clock, this.budget);
    if (b[off] === 0x16 && n >= 6 && b[off + 1] === 3)
      return new TlsFlow(flowId, this.clock, this.budget, this.totals.tls, this.onTls);
    if (
      methodEnd(b, off, off + n) > 0 ||
      (n >= 5 &&
        b[off] === 0x48 &&
        b[off + 1] === 0x54 &&
        b[off + 2] === 0x54 &&
        b[off + 3] === 0x50 &&
        b[off + 4] === 0x2f)
    )
      return new HttpFlow(flowId, this.clock, this.budget, this.totals.http, this.onHttp);
    return null;
  }

  /**
   * Flow index `f` (id `flowId`), which had log traffic, ended: its parser writes what is
   * outstanding and lets go, and its DNS queries still waiting are written unanswered (the flow's
   * slot still holds its ends meanwhile).
   */
  ended(f: number, flowId: number): void {
    if (f < this.parsers.length) {
      const p = this.parsers[f];
      if (p !== null) {
        p.end();
        this.parsers[f] = null;
      }
    }
    this.dnsLog.flowEnded(flowId);
    this.slots.delete(flowId);
  }

  /** Outstanding DNS queries past their timeout are written unanswered (with the flow sweep). */
  expire(): void {
    this.dnsLog.expire();
  }

  /** The end of the capture (after every flow ended). */
  finish(): void {
    this.dnsLog.flush();
  }
}
