// The columns each table is loaded with (COPY) and read by, in the order the ingest writes them.

/** traffic_windows: one row per window, with the model's features. */
export const WINDOW_COLUMNS = [
  'session_id',
  'window_id',
  'start_ts',
  'end_ts',
  'packet_count',
  'byte_count',
  'bytes_per_sec',
  'packets_per_sec',
  'tcp_count',
  'udp_count',
  'icmp_count',
  'other_count',
  'tcp_ratio',
  'udp_ratio',
  'icmp_ratio',
  'avg_packet_size',
  'min_packet_size',
  'max_packet_size',
  'std_packet_size',
  'unique_src_ips',
  'unique_dst_ips',
  'port_diversity',
  'new_flows',
  'connection_rate',
  'tcp_syn_count',
  'tcp_synack_count',
  'tcp_ack_count',
  'tcp_rst_count',
  'tcp_fin_count',
  'tcp_retransmissions',
  'inbound_bytes',
  'outbound_bytes',
  'internal_bytes',
  'external_bytes',
  'inbound_packets',
  'outbound_packets',
  'internal_packets',
  'external_packets',
  'packet_size_distribution',
  'flow_duration_distribution',
  'features_json',
] as const;

/** flows: one row per finished flow (before its id, see STORED_FLOW_COLUMNS). */
export const FLOW_COLUMNS = [
  'session_id',
  'flow_id',
  'window_id',
  'src_ip',
  'dst_ip',
  'src_port',
  'dst_port',
  'protocol',
  'packet_count',
  'total_bytes',
  'duration_seconds',
  'start_timestamp',
  'end_timestamp',
  'src_packets',
  'dst_packets',
  'src_bytes',
  'dst_bytes',
  'src_flags',
  'dst_flags',
  'conn_state',
  'retransmissions',
  'dns_query',
  'dns_rcode',
  'tls_sni',
  'http_method',
  'http_host',
  'history',
  'orig_bytes',
  'resp_bytes',
  'community_id',
] as const;

/** The columns a flow is stored with: its id (see migration 5) and the rest. */
export const STORED_FLOW_COLUMNS = ['id', ...FLOW_COLUMNS] as const;

/** top_ips: the rankings, one row per address and direction. */
export const TOP_IP_COLUMNS = ['session_id', 'direction', 'rank', 'ip', 'bytes', 'packets', 'share'] as const;

/** port_stats: one row per protocol and port. */
export const PORT_COLUMNS = [
  'session_id',
  'protocol',
  'port',
  'service',
  'flows',
  'packets',
  'bytes',
  'percentage',
] as const;

/** anomaly_results: one row per window. */
export const ANOMALY_COLUMNS = [
  'session_id',
  'window_id',
  'anomaly_score',
  'is_anomaly',
  'threshold',
  'contributing_features',
] as const;

/** insights: the rule detectors' alerts and notes. */
export const INSIGHT_COLUMNS = [
  'session_id',
  'insight_type',
  'alert_type',
  'severity',
  'summary',
  'details',
  'event_ts',
  'window_start',
  'window_end',
] as const;

/** dns_log: one row per DNS query (answered or not), or per response whose query was not seen. */
export const DNS_LOG_COLUMNS = [
  'session_id',
  'flow_id',
  'ts',
  'transport',
  'trans_id',
  'query',
  'qclass',
  'qtype',
  'qtype_name',
  'rcode',
  'rcode_name',
  'aa',
  'tc',
  'rd',
  'ra',
  'answers',
  'ttls',
  'rtt',
  'query_seen',
  'answered',
  'malformed',
] as const;

/** http_log: one row per HTTP request (with its response), or per response without a request. */
export const HTTP_LOG_COLUMNS = [
  'session_id',
  'flow_id',
  'ts',
  'method',
  'host',
  'uri',
  'version',
  'user_agent',
  'referrer',
  'request_content_type',
  'request_body_len',
  'status_code',
  'status_msg',
  'info_code',
  'response_content_type',
  'response_body_len',
  'rtt',
  'flags',
] as const;

/** tls_log: one row per TLS handshake (ClientHello and its ServerHello). */
export const TLS_LOG_COLUMNS = [
  'session_id',
  'flow_id',
  'ts',
  'version',
  'version_num',
  'record_version',
  'cipher',
  'cipher_id',
  'server_name',
  'alpn',
  'next_protocol',
  'ja3',
  'ja3s',
  'ja4',
  'client_hello',
  'server_hello',
  'subject',
  'issuer',
  'not_valid_before',
  'not_valid_after',
  'san_dns',
  'cert_sha256',
] as const;

/** host_geo: country and autonomous system of each non-local address (migration 11). */
export const HOST_GEO_COLUMNS = ['session_id', 'address', 'country', 'asn', 'as_name'] as const;
