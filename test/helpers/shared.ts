import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The public capture corpus lives in ../shared/pcaps beside the project and is never copied into
 * it. A user's clone may not have it: those tests then skip with a message. In CI it must be there.
 */
export const SHARED_PCAPS = fileURLToPath(new URL('../../../shared/pcaps', import.meta.url));
export const hasSharedPcaps = existsSync(`${SHARED_PCAPS}/real`);

if (!hasSharedPcaps) {
  if (process.env.CI) throw new Error(`CI needs the capture corpus at ${SHARED_PCAPS}, and it is missing`);
  console.warn(`skipped: tests on real captures (${SHARED_PCAPS} not found)`);
}

export function realCaptures(): string[] {
  return hasSharedPcaps ? readdirSync(`${SHARED_PCAPS}/real`).sort() : [];
}

export function malformedCaptures(): string[] {
  return hasSharedPcaps ? readdirSync(`${SHARED_PCAPS}/malformed`).sort() : [];
}

/** tshark's values for one real capture (see ../shared/pcaps/README.md). */
export interface TsharkExpected {
  file_size: number;
  packets: number;
  bytes: number;
  captured_bytes: number;
  first_ts: string | null;
  last_ts: string | null;
  min_ts: string | null;
  max_ts: string | null;
  packets_without_timestamp: number;
  first_l4: { tcp: number; udp: number; icmp: number; icmpv6: number; none: number };
  tcp_syn_only: number;
  tcp_synack: number;
  tcp_rst: number;
  tcp_fin: number;
  ip_frames: { ipv4_outer: number; ipv6_outer: number; ipv4_fragments: number; ipv6_fragment_header: number };
  distinct_ip_addrs: number;
  tcp_conversations: number;
  udp_conversations: number;
  tshark_tcp_analysis: Record<string, number>;
}

export function expectedFor(file: string): TsharkExpected {
  return JSON.parse(readFileSync(`${SHARED_PCAPS}/expected/${file}.json`, 'utf8'));
}
