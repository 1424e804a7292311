import type { DnsTransaction, HttpTransaction, TlsTransaction } from '../protocols/index.js';
import type { LogSink } from './logs.js';

/**
 * The protocol transactions the detection rules read (src/detect/rules: DNS tunnelling, NXDOMAIN
 * bursts, rare JA4, HTTP scans, intel matches), kept by the flow half as plain records so that they
 * cross threads with its state. Each row's client and server are its flow's originator and
 * responder (as the flows store them), resolved while the flow is still in the table. Bounded: at
 * most `cap` rows of each kind, the rest counted in `dropped`. Which rows are kept, and their order,
 * do not depend on when each transaction was written: the earliest `cap` by time, then by what the
 * row holds (`DNS_ORDER` and its twins), sorted (`settleLogRows`), so shards merge into what one
 * thread keeps.
 */

export interface DnsLogEntry {
  /** Capture time, seconds since the epoch (fractional). */
  ts: number;
  client: string;
  server: string;
  /** The question's name, as decoded (no trailing dot). */
  query: string;
  /** The response code, or null for a query never answered. */
  rcode: number | null;
}

export interface HttpLogEntry {
  ts: number;
  client: string;
  server: string;
  host: string | null;
  /** The request's URI ('' for a response whose request was not seen). */
  uri: string;
  /** The response's status, or null for a request never answered. */
  status: number | null;
}

export interface TlsLogEntry {
  ts: number;
  client: string;
  server: string;
  serverPort: number;
  sni: string | null;
  ja3: string | null;
  ja4: string | null;
}

export interface LogRows {
  dns: DnsLogEntry[];
  http: HttpLogEntry[];
  tls: TlsLogEntry[];
  /** Rows left out: past the cap, or (rarely) written when their flow was no longer known. */
  dropped: { dns: number; http: number; tls: number };
  /** The cap per kind these rows were kept under. */
  cap: number;
}

/** Rows of each kind kept for the detection (up to about 300 bytes each with long names: 200 MB at most for all three). */
export const LOG_ROW_CAP = 200_000;

/**
 * Finds a flow's ends by its id: writes the originator's and responder's address ids and the
 * responder's port into out[0..2]; false when the flow is not known (any more).
 */
export type FlowEndsResolver = (flowId: number, out: Int32Array) => boolean;

/** Keeps the rows (a `LogSink`, called per transaction, never per packet). */
export class LogRowCollector implements LogSink {
  readonly rows: LogRows;
  private readonly ends = new Int32Array(3);
  /** Address texts by id: rows of one host share one string. */
  private readonly names = new Map<number, string>();

  constructor(
    private readonly resolve: FlowEndsResolver,
    private readonly format: (addressId: number) => string,
    readonly cap: number = LOG_ROW_CAP,
  ) {
    this.rows = { dns: [], http: [], tls: [], dropped: { dns: 0, http: 0, tls: 0 }, cap };
  }

  private name(id: number): string {
    let s = this.names.get(id);
    if (s === undefined) {
      s = this.format(id);
      this.names.set(id, s);
    }
    return s;
  }

  /**
   * The largest row kept of each kind once the list has been cut to the cap: a later row past it
   * cannot be among the first `cap` (rows come mostly in time order, so most go at once).
   */
  private readonly last: { dns: unknown; http: unknown; tls: unknown } = { dns: null, http: null, tls: null };

  private keep<T>(list: T[], kind: 'dns' | 'http' | 'tls', order: (a: T, b: T) => number, row: T): void {
    const r = this.rows;
    const last = this.last[kind] as T | null;
    if (last !== null && order(row, last) > 0) {
      r.dropped[kind]++;
      return;
    }
    list.push(row);
    // A quarter over the cap before cutting: sorts stay rare and memory near the cap.
    if (list.length >= this.cap + Math.max(1, this.cap >> 2)) {
      settle(list, r, kind, order);
      this.last[kind] = list[list.length - 1];
    }
  }

  dns(row: DnsTransaction): void {
    // A response without a question names nothing a rule could read.
    if (row.query === null) return;
    const r = this.rows;
    if (!this.resolve(row.flowId, this.ends)) {
      r.dropped.dns++;
      return;
    }
    const e = this.ends;
    this.keep(r.dns, 'dns', DNS_ORDER, {
      ts: row.ts,
      client: this.name(e[0]),
      server: this.name(e[1]),
      query: row.query,
      rcode: row.rcode,
    });
  }

  http(row: HttpTransaction): void {
    const r = this.rows;
    if (!this.resolve(row.flowId, this.ends)) {
      r.dropped.http++;
      return;
    }
    const e = this.ends;
    this.keep(r.http, 'http', HTTP_ORDER, {
      ts: row.ts,
      client: this.name(e[0]),
      server: this.name(e[1]),
      host: row.host,
      uri: row.uri ?? '',
      status: row.status,
    });
  }

  tls(row: TlsTransaction): void {
    const r = this.rows;
    if (!this.resolve(row.flowId, this.ends)) {
      r.dropped.tls++;
      return;
    }
    const e = this.ends;
    this.keep(r.tls, 'tls', TLS_ORDER, {
      ts: row.ts,
      client: this.name(e[0]),
      server: this.name(e[1]),
      serverPort: e[2],
      sni: row.client?.serverName ?? null,
      ja3: row.ja3,
      ja4: row.ja4,
    });
  }
}

type Field = string | number | null;

/** Orders rows by their fields in turn (nulls first): a total order on what a row holds. */
function byFields<T>(fields: (keyof T)[]): (a: T, b: T) => number {
  return (a, b) => {
    for (const k of fields) {
      const x = a[k] as Field;
      const y = b[k] as Field;
      if (x === y) continue;
      if (x === null) return -1;
      if (y === null) return 1;
      return x < y ? -1 : 1;
    }
    return 0;
  };
}

const DNS_ORDER = byFields<DnsLogEntry>(['ts', 'client', 'server', 'query', 'rcode']);
const HTTP_ORDER = byFields<HttpLogEntry>(['ts', 'client', 'server', 'host', 'uri', 'status']);
const TLS_ORDER = byFields<TlsLogEntry>(['ts', 'client', 'server', 'serverPort', 'sni', 'ja3', 'ja4']);

/** Sorts a kind's rows and keeps the first `cap`, counting the rest as dropped. */
function settle<T>(
  list: T[],
  rows: LogRows,
  kind: 'dns' | 'http' | 'tls',
  order: (a: T, b: T) => number,
): void {
  list.sort(order);
  if (list.length > rows.cap) {
    rows.dropped[kind] += list.length - rows.cap;
    list.length = rows.cap;
  }
}

/** Puts the kept rows in their final order and bound (at the end of a flow half, and after merging shards). */
export function settleLogRows(rows: LogRows): void {
  settle(rows.dns, rows, 'dns', DNS_ORDER);
  settle(rows.http, rows, 'http', HTTP_ORDER);
  settle(rows.tls, rows, 'tls', TLS_ORDER);
}
