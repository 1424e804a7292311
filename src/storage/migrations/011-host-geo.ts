import type { Migration } from './migration.js';

export const migration: Migration = {
  version: 11,
  name: 'country and autonomous system of every non-local address of a session; intel lists',
  // One row per non-local address (nulls where the shipped data has no answer), written at ingest
  // by COPY; pages and the search join it by (session, address).
  sql: `CREATE TABLE host_geo (
  session_id text NOT NULL REFERENCES pcap_sessions (session_id) ON DELETE CASCADE,
  address    varchar(45) NOT NULL,
  country    text,
  asn        integer,
  as_name    text,
  PRIMARY KEY (session_id, address)
);
-- Intel lists kept for every analysis (the dashboard's settings page): entries parsed and checked
-- when saved, kept as JSON ([{kind, value, description, list}]).
CREATE TABLE intel_lists (
  list_id     serial PRIMARY KEY,
  name        text NOT NULL UNIQUE,
  entries     jsonb NOT NULL,
  entry_count integer NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);`,
};
