import type { IntelEntry } from './intel.js';

/**
 * The protocol transactions of a capture as the rules read them: plain records, no parser types,
 * so that whichever pass decodes DNS, HTTP and TLS (src/protocols) can hand them over as they are
 * stored. Optional: without them the rules that read logs find nothing. Times are capture time
 * (seconds since the epoch, fractional); addresses in text form as the flows store them.
 */

export interface DnsLogEntry {
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

export interface LogTransactions {
  dns: readonly DnsLogEntry[];
  http: readonly HttpLogEntry[];
  tls: readonly TlsLogEntry[];
}

/** Anything a caller may give the detection besides the analysis: log transactions, intel lists. */
export interface DetectExtras {
  logs?: LogTransactions | null;
  /** Entries of the intel lists to match (see intel.ts), as plain data (it crosses threads). */
  intel?: readonly IntelEntry[] | null;
}
