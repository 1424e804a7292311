// Shapes of the HTTP API's answers (docs/API.md). Names are the API's, snake_case as served.

export type SessionStatus = 'queued' | 'processing' | 'completed' | 'failed';
export type Phase = 'queued' | 'reading' | 'detecting' | 'storing' | 'done';
export type Severity = 'low' | 'medium' | 'high' | 'critical';
export type Protocol = 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'other';

export interface Session {
  session_id: string;
  name: string;
  file_name: string;
  file_size: number | null;
  status: SessionStatus;
  phase: Phase | null;
  progress: number | null;
  error: string | null;
  packets: number | null;
  bytes: number | null;
  first_ts: string | null;
  last_ts: string | null;
  duration_s: number | null;
  window_length: number | null;
  window_count: number | null;
  created_at: string;
  finished_at: string | null;
  /** Whether GET …/packets can answer now, and why not (still loading, no longer kept, changed). */
  packets_available?: boolean;
  packets_note?: string | null;
  /** The capture is a copy the server keeps (an upload), and the disk it uses. */
  capture_kept?: boolean;
  kept_capture_bytes?: number;
}

export interface ProgressEvent {
  status: SessionStatus;
  phase: Phase;
  progress: number;
  bytes_read: number;
  bytes_total: number | null;
  packets: number;
}

export interface Talker {
  rank?: number;
  ip: string;
  bytes: number;
  packets: number;
  share: number;
  /** From the talkers endpoint (not the summary's rankings): null for a local address. */
  country?: string | null;
  asn?: number | null;
  as_name?: string | null;
}

/** One group of remote addresses on the "Remote countries / networks" card. */
export interface RemoteGroup {
  key: string | null;
  name: string | null;
  addresses: number;
  flows: number;
  bytes: number;
}

export interface RemoteSummary {
  addresses: number;
  with_country: number;
  with_asn: number;
  countries: RemoteGroup[];
  networks: RemoteGroup[];
}

export interface PortUsage {
  protocol: string;
  port: number;
  service: string | null;
  label: string;
  flows: number;
  packets: number;
  bytes: number;
  percentage: number;
}

export interface TcpHealth {
  syn: number;
  synack: number;
  ack: number;
  rst: number;
  fin: number;
  retransmissions: number;
  tcp_packets: number;
  syn_ack_ratio: number | null;
  rst_rate: number;
  retransmission_rate: number;
}

export interface Direction {
  local_networks: string[];
  inbound_bytes: number;
  outbound_bytes: number;
  internal_bytes: number;
  external_bytes: number;
  inbound_packets: number;
  outbound_packets: number;
  internal_packets: number;
  external_packets: number;
}

/** The `analyze --json` summary document (the README's table of its parts): the parts the pages read. */
export interface Summary {
  file: {
    path?: string;
    format: string;
    compression?: string | null;
    link_types: { id: number; name: string }[];
    packets: number;
    bytes: number;
    captured_bytes: number;
    first_ts: string | null;
    last_ts: string | null;
    duration_s: number;
    malformed_packets: number;
    unsupported_linktype_packets?: number;
    packets_without_timestamp?: number;
    truncated: boolean;
    warnings: string[];
  };
  protocols: {
    tcp: number;
    udp: number;
    icmp: number;
    icmpv6: number;
    other: number;
    non_ip: number;
    ipv4: number;
    ipv6: number;
  };
  tcp: {
    syn: number;
    synack: number;
    ack: number;
    rst: number;
    fin: number;
    retransmissions: number;
    syn_ack_ratio: number | null;
    rst_rate: number;
    retransmission_rate: number;
  };
  flows: {
    count: number;
    tcp: number;
    udp: number;
    icmp: number;
    other: number;
    /** Zeek connection states of every flow, whatever its transport. */
    conn_states?: Record<string, number>;
    /** The same of TCP flows only; absent from sessions analysed before it was kept. */
    tcp_conn_states?: Record<string, number>;
  };
  addresses?: { distinct: number; local: number; remote: number };
  top_talkers: Talker[];
  ports: PortUsage[];
  packet_size_distribution: Record<string, number>;
  flow_duration_distribution: Record<string, number>;
  direction: Direction;
  windows: { length_s: number; count: number; start_ts?: number | null };
  anomaly_model?: {
    threshold?: number;
    feature_descriptions?: Record<string, string>;
  };
}

export interface SessionDetail {
  session: Session;
  summary: Summary | null;
}

export interface TrafficWindow {
  window_id: number;
  start_ts: number;
  end_ts: number;
  packet_count: number;
  byte_count: number;
  bytes_per_sec: number;
  packets_per_sec: number;
  tcp_count: number;
  udp_count: number;
  icmp_count: number;
  other_count: number;
  new_flows?: number;
  unique_src_ips?: number;
  unique_dst_ips?: number;
  tcp_syn_count?: number;
  tcp_rst_count?: number;
  tcp_retransmissions?: number;
  inbound_bytes?: number;
  outbound_bytes?: number;
  internal_bytes?: number;
  external_bytes?: number;
}

export interface WindowsResponse {
  length_s: number;
  windows: TrafficWindow[];
}

export interface Flow {
  flow_id: number;
  window_id: number;
  src_ip: string;
  dst_ip: string;
  src_port: number | null;
  dst_port: number | null;
  protocol: string;
  packet_count: number;
  total_bytes: number;
  duration_seconds: number;
  start_timestamp: number;
  end_timestamp: number;
  src_packets: number;
  dst_packets: number;
  src_bytes: number;
  dst_bytes: number;
  conn_state: string;
  retransmissions: number;
  dns_query: string | null;
  dns_rcode: number | null;
  tls_sni: string | null;
  http_method: string | null;
  http_host: string | null;
  /** Zeek's history letters, upper case from the initiator (absent on sessions stored before them). */
  history?: string | null;
  /** Payload bytes each way by sequence space, as Zeek counts them (TCP only). */
  orig_bytes?: number | null;
  resp_bytes?: number | null;
  /** The Community ID flow hash ("1:…"), to find the flow in Zeek, Suricata or Arkime. */
  community_id?: string | null;
  src_country?: string | null;
  src_asn?: number | null;
  src_as_name?: string | null;
  dst_country?: string | null;
  dst_asn?: number | null;
  dst_as_name?: string | null;
}

export interface FlowsResponse {
  /** Matching flows; when `total_exact` is false, at least this many (the server stops counting). */
  total: number;
  total_exact?: boolean;
  limit: number;
  offset: number;
  /** The next page's `after` (keyset paging), null after the last page. */
  next_cursor?: string | null;
  flows: Flow[];
}

export type FlowSort =
  | 'total_bytes'
  | 'packet_count'
  | 'duration_seconds'
  | 'start_timestamp'
  | 'retransmissions';

export interface Contribution {
  feature: string;
  share: number;
  direction: 'higher' | 'lower';
  value?: number | null;
  baseline?: number | null;
  z?: number | null;
}

export interface Anomaly {
  window_id: number;
  start_ts: number;
  score: number;
  is_anomaly: boolean;
  /** Absent when asked for scores only (`contributions=false`). */
  contributing_features?: Contribution[];
}

export interface AnomaliesResponse {
  threshold: number;
  model?: {
    kind?: string;
    trees?: number;
    sample_size?: number;
    seed?: number;
    baseline_session_id?: string | null;
    feature_descriptions?: Record<string, string>;
    /** Windows with traffic among those the model was fitted on; below the minimum none is flagged. */
    active_training_windows?: number;
    min_active_windows?: number;
  };
  features?: string[];
  feature_descriptions?: Record<string, string>;
  anomalies: Anomaly[];
}

export interface Insight {
  id: number;
  insight_type: 'alert' | 'summary';
  alert_type: string | null;
  severity: Severity;
  summary: string;
  details: Record<string, unknown> | null;
  event_ts: number | null;
  window_start: number | null;
  window_end: number | null;
}

export interface InsightsResponse {
  insights: Insight[];
}

export interface Distributions {
  packet_size: Record<string, number>;
  flow_duration: Record<string, number>;
}

export interface AuthState {
  required: boolean;
  authenticated: boolean;
}

/** A flow a search found: the flow as the flows table has it, with its session. */
export interface SearchHit extends Flow {
  session_id: string;
}

export interface SearchGroupRow {
  key: string | number;
  flows: number;
  bytes: number;
  packets: number;
}

/** GET /api/search: a page of hits across sessions, newest first, and the group-by if asked. */
export interface SearchResponse {
  query: string;
  /** Hits; when `total_exact` is false, at least this many (the server stops counting). */
  total: number;
  total_exact: boolean;
  hits: SearchHit[];
  next_cursor: string | null;
  group: { field: string; by: 'flows' | 'bytes' | 'packets'; rows: SearchGroupRow[] } | null;
}
