import { sessionPath } from '../api/request';
import type { Session } from '../api/types';

/** Whether a session's packets can be downloaded, and why not (from its packets_available/_note). */
export interface PacketsAvailability {
  available: boolean;
  note: string | null;
}

export function packetsOf(session: Session): PacketsAvailability {
  return {
    available: session.packets_available === true,
    note: session.packets_available ? null : (session.packets_note ?? 'packets are not available'),
  };
}

/** The URL of a selection's packets (GET …/packets, docs/API.md). */
export function packetsUrl(sessionId: string, query: Record<string, string | number>): string {
  const q = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
  return sessionPath(sessionId, `/packets?${q}`);
}

/**
 * "Packets": downloads the selection's packets as a pcap (named by the server for what it holds),
 * ready for Wireshark. Disabled, with the reason as its tooltip and accessible name, when the
 * session's packets are not available (no longer kept, the capture changed, still loading).
 */
export function PacketsLink({
  sessionId,
  packets,
  query,
  what,
  label = 'Packets',
  compact = false,
}: {
  sessionId: string;
  packets: PacketsAvailability;
  query: Record<string, string | number>;
  /** What the pcap holds, for the tooltip ("this flow"). */
  what: string;
  label?: string;
  /** A download arrow instead of the word, where room is short (named "Packets" all the same). */
  compact?: boolean;
}) {
  const text = compact ? '⤓' : label;
  if (!packets.available) {
    return (
      <button
        type="button"
        className={`btn btn-small packets-link${compact ? ' packets-compact' : ''}`}
        disabled
        title={packets.note ?? undefined}
        aria-label={`${label}: ${packets.note}`}
      >
        {text}
      </button>
    );
  }
  return (
    <a
      className={`btn btn-small packets-link${compact ? ' packets-compact' : ''}`}
      href={packetsUrl(sessionId, query)}
      download
      title={`Download the packets of ${what} as a pcap (opens in Wireshark)`}
      aria-label={compact ? label : undefined}
    >
      {text}
    </a>
  );
}
