import type { Summary } from '../../api/types.js';

/** One connection state's line under TCP health: its flows and their share (percent) of `total`. */
export interface ConnStateRow {
  state: string;
  flows: number;
  share: number;
}

export interface ConnStateTable {
  /** `tcp`: TCP flows only; `all`: every transport (sessions analysed before TCP's were kept apart). */
  scope: 'tcp' | 'all';
  /** The flows the shares are out of: the TCP flows, or every flow. */
  total: number;
  /** Most flows first. */
  rows: ConnStateRow[];
}

/**
 * The connection states TCP health shows: the summary's TCP-only counts when it has them, else
 * (older sessions) the counts over every transport, which the page must say they are. Shares are
 * out of the counts' own total. Null when the summary has neither.
 */
export function connStateTable(flows: Summary['flows']): ConnStateTable | null {
  const scope = flows.tcp_conn_states ? 'tcp' : 'all';
  const counts = flows.tcp_conn_states ?? flows.conn_states;
  if (!counts) return null;
  const entries = Object.entries(counts).filter(([, n]) => n > 0);
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  const rows = entries
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([state, n]) => ({ state, flows: n, share: total ? (n / total) * 100 : 0 }));
  return { scope, total, rows };
}

/** Zeek's conn_state values, as its documentation words them. */
export const CONN_STATE_TEXTS: Record<string, string> = {
  S0: 'attempt seen, no reply',
  S1: 'established, not terminated',
  SF: 'normal establishment and termination',
  REJ: 'attempt rejected',
  S2: 'established, close attempt by originator only',
  S3: 'established, close attempt by responder only',
  RSTO: 'established, originator aborted (RST)',
  RSTR: 'responder sent a RST',
  RSTOS0: 'originator sent SYN then RST, no SYN-ACK',
  RSTRH: 'responder sent SYN-ACK then RST, no SYN seen',
  SH: 'originator sent SYN then FIN, no SYN-ACK',
  SHR: 'responder sent SYN-ACK then FIN, no SYN seen',
  OTH: 'no SYN seen, midstream traffic',
};
