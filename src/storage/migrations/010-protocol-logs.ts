import type { Migration } from './migration.js';

export const migration: Migration = {
  version: 10,
  name: 'protocol logs: dns_log, http_log and tls_log, keyed to session and flow',
  // One row per DNS query (answered or not; a response whose query was not seen is a row of its
  // own), per HTTP request, per TLS handshake, as Zeek's dns.log, http.log and ssl.log. flow_id is
  // the flows table's; a row's addresses and ports are its flow's (a join). Deleting a session
  // deletes its rows (the foreign key's cascade).
  sql: `
CREATE TABLE dns_log (
  session_id   text NOT NULL REFERENCES pcap_sessions (session_id) ON DELETE CASCADE,
  flow_id      bigint NOT NULL,
  ts           double precision NOT NULL,
  transport    text NOT NULL,
  trans_id     integer NOT NULL,
  query        text,
  qclass       integer NOT NULL,
  qtype        integer NOT NULL,
  qtype_name   text,
  rcode        integer,
  rcode_name   text,
  aa           boolean NOT NULL,
  tc           boolean NOT NULL,
  rd           boolean NOT NULL,
  ra           boolean NOT NULL,
  answers      jsonb NOT NULL,
  ttls         jsonb NOT NULL,
  rtt          double precision,
  query_seen   boolean NOT NULL,
  answered     boolean NOT NULL,
  malformed    integer NOT NULL
);
CREATE INDEX idx_dns_log_flow ON dns_log (session_id, flow_id);
CREATE INDEX idx_dns_log_ts ON dns_log (session_id, ts);

CREATE TABLE http_log (
  session_id            text NOT NULL REFERENCES pcap_sessions (session_id) ON DELETE CASCADE,
  flow_id               bigint NOT NULL,
  ts                    double precision NOT NULL,
  method                text,
  host                  text,
  uri                   text,
  version               text,
  user_agent            text,
  referrer              text,
  request_content_type  text,
  request_body_len      bigint NOT NULL,
  status_code           integer,
  status_msg            text,
  info_code             integer,
  response_content_type text,
  response_body_len     bigint NOT NULL,
  rtt                   double precision,
  flags                 integer NOT NULL
);
CREATE INDEX idx_http_log_flow ON http_log (session_id, flow_id);
CREATE INDEX idx_http_log_ts ON http_log (session_id, ts);

CREATE TABLE tls_log (
  session_id       text NOT NULL REFERENCES pcap_sessions (session_id) ON DELETE CASCADE,
  flow_id          bigint NOT NULL,
  ts               double precision NOT NULL,
  version          text,
  version_num      integer,
  record_version   integer,
  cipher           text,
  cipher_id        integer,
  server_name      text,
  alpn             jsonb,
  next_protocol    text,
  ja3              text,
  ja3s             text,
  ja4              text,
  client_hello     boolean NOT NULL,
  server_hello     boolean NOT NULL,
  subject          text,
  issuer           text,
  not_valid_before double precision,
  not_valid_after  double precision,
  san_dns          jsonb,
  cert_sha256      text
);
CREATE INDEX idx_tls_log_flow ON tls_log (session_id, flow_id);
CREATE INDEX idx_tls_log_ts ON tls_log (session_id, ts);
`,
};
