import type { DnsLogEntry, HttpLogEntry, TlsLogEntry } from '../analysis/index.js';
import type { IntelEntry } from './intel.js';

/**
 * The protocol transactions of a capture as the rules read them: plain records, no parser types.
 * The analysis pass keeps them bounded (`report.logRows`, src/analysis/log-rows.ts), with the
 * flow's originator as client; any other source may hand the same shape over. Optional: without
 * them the rules that read logs find nothing. Times are capture time (seconds since the epoch,
 * fractional); addresses in text form as the flows store them.
 */
export type { DnsLogEntry, HttpLogEntry, TlsLogEntry };

export interface LogTransactions {
  dns: readonly DnsLogEntry[];
  http: readonly HttpLogEntry[];
  tls: readonly TlsLogEntry[];
  /** Rows left out of these lists (a cap), named in the detection's warnings. */
  dropped?: { dns: number; http: number; tls: number };
}

/** Anything a caller may give the detection besides the analysis: log transactions, intel lists. */
export interface DetectExtras {
  logs?: LogTransactions | null;
  /** Entries of the intel lists to match (see intel.ts), as plain data (it crosses threads). */
  intel?: readonly IntelEntry[] | null;
}
