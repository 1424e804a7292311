import { sessionPath } from './request.js';

// The per-session answers the pages read, one spelling each, so the cache and the prefetch share
// their keys.
/**
 * The window columns the pages draw (one list for all, so they share one cached answer): the
 * distributions and the rest stay on the server, which makes the answer a third of the size.
 */
const WINDOW_FIELDS = [
  'end_ts',
  'packet_count',
  'byte_count',
  'bytes_per_sec',
  'packets_per_sec',
  'tcp_count',
  'udp_count',
  'icmp_count',
  'other_count',
  'new_flows',
  'unique_src_ips',
  'unique_dst_ips',
  'tcp_syn_count',
  'tcp_rst_count',
  'tcp_retransmissions',
  'inbound_bytes',
  'outbound_bytes',
  'internal_bytes',
  'external_bytes',
];
/** A session and its summary; the per-window anomalies come from …/anomalies where a page needs them. */
export const sessionDetailPath = (id: string) => sessionPath(id, '?anomalies=false');
export const windowsPath = (id: string) => sessionPath(id, `/windows?fields=${WINDOW_FIELDS.join(',')}`);
export const anomaliesPath = (id: string) => sessionPath(id, '/anomalies');
/** Scores only, for the overview's timeline: the explanations are most of the answer. */
export const anomalyScoresPath = (id: string) => sessionPath(id, '/anomalies?contributions=false');
export const insightsPath = (id: string) => sessionPath(id, '/insights');
/** The top talkers' directions (docs/API.md); the overview's URL carries one as `talkers`. */
export const TALKER_DIRECTIONS = ['both', 'sent', 'received'] as const;
export type TalkerDirection = (typeof TALKER_DIRECTIONS)[number];
export function readTalkerDirection(search: URLSearchParams): TalkerDirection {
  const d = search.get('talkers');
  return (TALKER_DIRECTIONS as readonly string[]).includes(d ?? '') ? (d as TalkerDirection) : 'both';
}
export const talkersPath = (id: string, direction: TalkerDirection = 'both') =>
  sessionPath(id, `/talkers?direction=${direction}&limit=10`);
/** Remote addresses by country and network (AS). */
export const remotePath = (id: string) => sessionPath(id, '/remote?limit=8');
export const portsPath = (id: string) => sessionPath(id, '/ports?limit=200');
export const tcpHealthPath = (id: string) => sessionPath(id, '/tcp-health');
export const distributionsPath = (id: string) => sessionPath(id, '/distributions');
export const directionPath = (id: string) => sessionPath(id, '/direction');
