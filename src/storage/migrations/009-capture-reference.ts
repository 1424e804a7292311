import type { Migration } from './migration.js';

export const migration: Migration = {
  version: 9,
  name: "the capture behind a session (kept copy or the user's file, with its size and time) and its packet index",
  // The index sits in a table of its own: listing sessions never reads it, and deleting the
  // session removes it (cascade). capture_freed_at marks a kept copy freed by retention.
  sql: `
ALTER TABLE pcap_sessions ADD COLUMN capture_path text;
ALTER TABLE pcap_sessions ADD COLUMN capture_kept boolean NOT NULL DEFAULT false;
ALTER TABLE pcap_sessions ADD COLUMN capture_mtime_ms double precision;
ALTER TABLE pcap_sessions ADD COLUMN capture_freed_at timestamptz;
CREATE TABLE packet_indexes (
  session_id  text PRIMARY KEY REFERENCES pcap_sessions (session_id) ON DELETE CASCADE,
  index_bytes bytea NOT NULL
);`,
};
