import type { Migration } from './migration.js';

export const migration: Migration = {
  version: 12,
  name: "each session's flows indexed by address as inet too, for the search's networks",
  // The search matches a network as a range of the inet form (`src_ip::inet BETWEEN $1 AND $2`,
  // src/search/compile.ts), which the text indexes on src_ip/dst_ip cannot serve: over ten
  // sessions of 2M flows `ip in 10.1.0.0/16` read every row (bench/search.ts; figures in
  // docs/FILTERS.md). Two expression indexes per session serve it. Sessions already indexed are
  // marked for indexing again; the indexer adds only what is missing (IF NOT EXISTS).
  sql: `
CREATE OR REPLACE FUNCTION flowlens_index_flows(sid text, kind text) RETURNS void LANGUAGE plpgsql AS $$
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
    WHEN 'src_inet' THEN '(src_ip::inet)'
    WHEN 'dst_inet' THEN '(dst_ip::inet)'
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

UPDATE pcap_sessions SET flows_indexed_at = NULL WHERE status = 'completed';
`,
};
