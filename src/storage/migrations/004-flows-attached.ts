import type { Migration } from './migration.js';

export const migration: Migration = {
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
};
