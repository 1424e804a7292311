import type { Migration } from './migration.js';

export const migration: Migration = {
  version: 1,
  name: 'sessions, windows, flows, rankings, anomalies, insights',
  sql: `
CREATE TABLE pcap_sessions (
  session_id      text PRIMARY KEY,
  name            text NOT NULL,
  file_name       text NOT NULL,
  file_size       bigint,
  sha256          text,
  format          text,
  link_types      jsonb,
  status          text NOT NULL CHECK (status IN ('queued', 'processing', 'completed', 'failed')),
  progress        double precision NOT NULL DEFAULT 0,
  error           text,
  packets         bigint,
  bytes           bigint,
  captured_bytes  bigint,
  first_ts        double precision,
  last_ts         double precision,
  first_ts_text   text,
  last_ts_text    text,
  window_length   double precision,
  window_count    integer,
  local_networks  jsonb,
  summary_json    jsonb,
  owner_host      text,
  owner_pid       integer,
  created_at      timestamptz NOT NULL DEFAULT now(),
  started_at      timestamptz,
  finished_at     timestamptz,
  analysis_seconds double precision,
  load_seconds    double precision
);
CREATE INDEX idx_sessions_created ON pcap_sessions (created_at DESC);

CREATE TABLE traffic_windows (
  session_id          text NOT NULL REFERENCES pcap_sessions (session_id) ON DELETE CASCADE,
  window_id           integer NOT NULL,
  start_ts            double precision NOT NULL,
  end_ts              double precision NOT NULL,
  packet_count        bigint NOT NULL,
  byte_count          bigint NOT NULL,
  bytes_per_sec       double precision NOT NULL,
  packets_per_sec     double precision NOT NULL,
  tcp_count           bigint NOT NULL,
  udp_count           bigint NOT NULL,
  icmp_count          bigint NOT NULL,
  other_count         bigint NOT NULL,
  tcp_ratio           double precision NOT NULL,
  udp_ratio           double precision NOT NULL,
  icmp_ratio          double precision NOT NULL,
  avg_packet_size     double precision NOT NULL,
  min_packet_size     double precision NOT NULL,
  max_packet_size     double precision NOT NULL,
  std_packet_size     double precision NOT NULL,
  unique_src_ips      integer NOT NULL,
  unique_dst_ips      integer NOT NULL,
  port_diversity      integer NOT NULL,
  new_flows           bigint NOT NULL,
  connection_rate     double precision NOT NULL,
  tcp_syn_count       bigint NOT NULL,
  tcp_synack_count    bigint NOT NULL,
  tcp_ack_count       bigint NOT NULL,
  tcp_rst_count       bigint NOT NULL,
  tcp_fin_count       bigint NOT NULL,
  tcp_retransmissions bigint NOT NULL,
  inbound_bytes       bigint NOT NULL,
  outbound_bytes      bigint NOT NULL,
  internal_bytes      bigint NOT NULL,
  external_bytes      bigint NOT NULL,
  inbound_packets     bigint NOT NULL,
  outbound_packets    bigint NOT NULL,
  internal_packets    bigint NOT NULL,
  external_packets    bigint NOT NULL,
  packet_size_distribution   jsonb NOT NULL,
  flow_duration_distribution jsonb NOT NULL,
  features_json       jsonb,
  PRIMARY KEY (session_id, window_id)
);

CREATE TABLE flows (
  id               bigserial PRIMARY KEY,
  session_id       text NOT NULL REFERENCES pcap_sessions (session_id) ON DELETE CASCADE,
  flow_id          bigint NOT NULL,
  window_id        integer NOT NULL,
  src_ip           varchar(45) NOT NULL,
  dst_ip           varchar(45) NOT NULL,
  src_port         integer,
  dst_port         integer,
  protocol         varchar(10) NOT NULL,
  packet_count     bigint NOT NULL,
  total_bytes      bigint NOT NULL,
  duration_seconds double precision NOT NULL,
  start_timestamp  double precision NOT NULL,
  end_timestamp    double precision NOT NULL,
  src_packets      bigint NOT NULL,
  dst_packets      bigint NOT NULL,
  src_bytes        bigint NOT NULL,
  dst_bytes        bigint NOT NULL,
  src_flags        integer NOT NULL,
  dst_flags        integer NOT NULL,
  conn_state       varchar(8) NOT NULL,
  retransmissions  integer NOT NULL,
  dns_query        text,
  dns_rcode        integer,
  tls_sni          text,
  http_method      varchar(10),
  http_host        text
);
-- (session_id, window_id) also serves lookups by session alone: no separate session index, which
-- would only slow every load.
CREATE INDEX idx_flows_window ON flows (session_id, window_id);
CREATE INDEX idx_flows_bytes ON flows (session_id, total_bytes DESC);

CREATE TABLE top_ips (
  session_id text NOT NULL REFERENCES pcap_sessions (session_id) ON DELETE CASCADE,
  direction  text NOT NULL CHECK (direction IN ('both', 'sent', 'received')),
  rank       integer NOT NULL,
  ip         varchar(45) NOT NULL,
  bytes      bigint NOT NULL,
  packets    bigint NOT NULL,
  share      double precision NOT NULL,
  PRIMARY KEY (session_id, direction, rank)
);

CREATE TABLE port_stats (
  session_id text NOT NULL REFERENCES pcap_sessions (session_id) ON DELETE CASCADE,
  protocol   varchar(4) NOT NULL,
  port       integer NOT NULL,
  service    text,
  flows      bigint NOT NULL,
  packets    bigint NOT NULL,
  bytes      bigint NOT NULL,
  percentage double precision NOT NULL,
  PRIMARY KEY (session_id, protocol, port)
);

CREATE TABLE anomaly_results (
  session_id            text NOT NULL REFERENCES pcap_sessions (session_id) ON DELETE CASCADE,
  window_id             integer NOT NULL,
  anomaly_score         double precision NOT NULL CHECK (anomaly_score >= 0 AND anomaly_score <= 1),
  is_anomaly            boolean NOT NULL,
  threshold             double precision NOT NULL,
  contributing_features jsonb NOT NULL,
  PRIMARY KEY (session_id, window_id),
  FOREIGN KEY (session_id, window_id) REFERENCES traffic_windows (session_id, window_id) ON DELETE CASCADE
);

CREATE TABLE insights (
  id           bigserial PRIMARY KEY,
  session_id   text NOT NULL REFERENCES pcap_sessions (session_id) ON DELETE CASCADE,
  insight_type text NOT NULL CHECK (insight_type IN ('alert', 'summary')),
  alert_type   text,
  severity     text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  summary      text NOT NULL,
  details      jsonb,
  event_ts     double precision,
  window_start integer,
  window_end   integer,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_insights_session ON insights (session_id, event_ts);
`,
};
