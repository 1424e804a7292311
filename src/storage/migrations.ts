import type { Db } from './db/db.js';

/**
 * Versioned schema changes, applied in order and recorded in `schema_migrations`. Never edit a
 * released migration: add the next one. The SQL runs unchanged on PostgreSQL 15 and PGlite (18).
 */
export const MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
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
  },
  {
    version: 2,
    name: 'summary kept as written (json keeps key order; jsonb sorts keys)',
    sql: `ALTER TABLE pcap_sessions ALTER COLUMN summary_json TYPE json USING summary_json::json;`,
  },
  {
    version: 3,
    name: 'flows partitioned by session, indexed once loaded',
    // A session's flows get a table of their own (a partition of flows): COPY fills it without
    // index upkeep, its indexes are built once it is complete (flowlens_index_flows), and it is
    // dropped whole with its session instead of deleted row by row. The functions quote the
    // partition's name in the database (format %I/%L), so the application never builds SQL text.
    sql: `
ALTER TABLE flows RENAME TO flows_v1;
ALTER INDEX idx_flows_window RENAME TO idx_flows_v1_window;
ALTER INDEX idx_flows_bytes RENAME TO idx_flows_v1_bytes;
CREATE TABLE flows (
  id               bigint NOT NULL,
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
) PARTITION BY LIST (session_id);
ALTER SEQUENCE flows_id_seq OWNED BY flows.id;
ALTER TABLE flows ALTER COLUMN id SET DEFAULT nextval('flows_id_seq');
ALTER TABLE pcap_sessions ADD COLUMN flows_indexed_at timestamptz;

CREATE FUNCTION flowlens_flow_partition(sid text) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT 'flows_' || replace(sid, '-', '') $$;

CREATE FUNCTION flowlens_create_flows(sid text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF flows FOR VALUES IN (%L)',
                 flowlens_flow_partition(sid), sid);
END $$;

CREATE FUNCTION flowlens_drop_flows(sid text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('DROP TABLE IF EXISTS %I', flowlens_flow_partition(sid));
END $$;

-- What the flows endpoint sorts and filters by (a descending index also serves ascending order),
-- one index per call so that other statements get their turn in between on PGlite.
CREATE FUNCTION flowlens_index_flows(sid text, kind text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  p text := flowlens_flow_partition(sid);
  columns text := CASE kind
    WHEN 'flow' THEN 'flow_id'
    WHEN 'bytes' THEN 'total_bytes DESC, flow_id DESC'
    WHEN 'proto' THEN 'protocol, total_bytes DESC, flow_id DESC'
    WHEN 'packets' THEN 'packet_count DESC, flow_id DESC'
    WHEN 'duration' THEN 'duration_seconds DESC, flow_id DESC'
    WHEN 'start' THEN 'start_timestamp, flow_id'
    WHEN 'retrans' THEN 'retransmissions DESC, flow_id DESC'
    WHEN 'src' THEN 'src_ip'
    WHEN 'dst' THEN 'dst_ip'
    WHEN 'sport' THEN 'src_port'
    WHEN 'dport' THEN 'dst_port'
  END;
BEGIN
  IF columns IS NULL THEN
    RAISE EXCEPTION 'unknown flow index %', kind;
  END IF;
  -- Two processes indexing one session (a server and an export) take turns.
  PERFORM pg_advisory_xact_lock(hashtext('flowlens_index_flows'), hashtext(sid));
  PERFORM set_config('maintenance_work_mem', '512MB', true);
  EXECUTE format('CREATE %s INDEX IF NOT EXISTS %I ON %I (%s)',
                 CASE WHEN kind = 'flow' THEN 'UNIQUE' ELSE '' END, p || '_' || kind, p, columns);
END $$;

CREATE FUNCTION flowlens_analyze_flows(sid text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ANALYZE %I', flowlens_flow_partition(sid));
END $$;

DO $$
DECLARE
  sid text;
BEGIN
  FOR sid IN SELECT session_id FROM pcap_sessions LOOP
    PERFORM flowlens_create_flows(sid);
  END LOOP;
END $$;
INSERT INTO flows SELECT id, session_id, flow_id, window_id, src_ip, dst_ip, src_port, dst_port, protocol,
  packet_count, total_bytes, duration_seconds, start_timestamp, end_timestamp, src_packets, dst_packets,
  src_bytes, dst_bytes, src_flags, dst_flags, conn_state, retransmissions, dns_query, dns_rcode, tls_sni,
  http_method, http_host FROM flows_v1;
DROP TABLE flows_v1;
`,
  },
  {
    version: 4,
    name: "a session's flows loaded into a table of their own, attached as its partition once complete",
    // Every row COPYed into a partition pays for its foreign-key check (a trigger per row: four
    // times the cost of the COPY itself). Loaded into a table that is not yet a partition, the
    // rows pay nothing, and attaching it checks the foreign key for all of them in one query;
    // the CHECK lets the attach skip its scan for the partition bound.
    sql: `
CREATE OR REPLACE FUNCTION flowlens_create_flows(sid text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE TABLE IF NOT EXISTS %I (LIKE flows INCLUDING DEFAULTS, CHECK (session_id = %L))',
                 flowlens_flow_partition(sid), sid);
END $$;

CREATE FUNCTION flowlens_attach_flows(sid text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  p text := flowlens_flow_partition(sid);
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass(quote_ident(p))) THEN
    EXECUTE format('ALTER TABLE flows ATTACH PARTITION %I FOR VALUES IN (%L)', p, sid);
  END IF;
END $$;

-- The session's flow table as an identifier quoted by the database, for COPY (which takes no
-- parameter for its table).
CREATE FUNCTION flowlens_flow_table(sid text) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT quote_ident(flowlens_flow_partition(sid)) $$;
`,
  },
  {
    version: 5,
    name: "a flow's id made from its session's block and its flow id, not a sequence call per row",
    // nextval() for every COPYed row cost about a sixth of the flows' COPY on PostgreSQL (2M rows:
    // 7.0 s with the default, 5.8 s with ids given). An ingest takes one block number instead and
    // writes id = block * 2^32 + flow_id (a session has fewer than 2^32 flows). Blocks start above
    // every id the old sequence handed out, so old and new ids never meet.
    sql: `
CREATE SEQUENCE flows_id_block_seq AS integer;
SELECT setval('flows_id_block_seq', ((SELECT last_value FROM flows_id_seq) >> 32)::int + 1, false);
-- No default any more: a row stored without its id is refused rather than numbered apart.
ALTER TABLE flows ALTER COLUMN id DROP DEFAULT;
`,
  },
  {
    version: 6,
    name: "a session's owner named by its presence lock on the server, so that any host can tell it ended",
    // owner_host and owner_pid can only be checked on the owner's own host: a session left by a
    // container that is gone (a new one has another hostname) stayed processing for ever. The
    // owner's number is the key of an advisory lock it holds while it runs (db/db.ts PRESENCE_LOCK).
    sql: `ALTER TABLE pcap_sessions ADD COLUMN owner_token integer;`,
  },
];

/** Any fixed number: the key of the advisory lock that serialises migrations on one server. */
const MIGRATION_LOCK = 7_461_203;

/**
 * Brings the schema up to date, all in one transaction. On PostgreSQL an advisory lock makes a
 * second process opening the same database wait instead of racing to create the same tables
 * (PGlite has one process by construction: its folder lock).
 */
export async function migrate(db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    if (tx.kind === 'postgres') await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await applyMigrations(tx);
  });
}

async function applyMigrations(db: Db): Promise<void> {
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const applied = new Set(
    (await db.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) =>
      Number(r.version),
    ),
  );
  for (const m of MIGRATIONS) {
    if (applied.has(m.version)) continue;
    await db.exec(m.sql);
    await db.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
  }
}
