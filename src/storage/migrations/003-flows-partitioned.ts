import type { Migration } from './migration.js';

export const migration: Migration = {
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
};
