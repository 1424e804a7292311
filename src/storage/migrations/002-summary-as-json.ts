import type { Migration } from './migration.js';

export const migration: Migration = {
  version: 2,
  name: 'summary kept as written (json keeps key order; jsonb sorts keys)',
  sql: `ALTER TABLE pcap_sessions ALTER COLUMN summary_json TYPE json USING summary_json::json;`,
};
