import type { Migration } from './migration.js';

export const migration: Migration = {
  version: 13,
  name: "a processing session's lease: when its worker last said it still runs",
  // Workers on other hosts (flowlens worker) renew it every few seconds; a session whose worker
  // stopped renewing, or whose presence lock is free (owner_token), goes back to the queue.
  sql: `ALTER TABLE pcap_sessions ADD COLUMN heartbeat_at timestamptz;`,
};
