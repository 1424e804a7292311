import type { Migration } from './migration.js';

export const migration: Migration = {
  version: 7,
  name: "Zeek's conn.log fields on every flow: history, orig_bytes, resp_bytes, community_id",
  // Added to the partitioned parent, so every session's table (and each new one, made LIKE flows)
  // has them; flows stored before stay NULL (unknown), which the exports write as Zeek's unset.
  sql: `
ALTER TABLE flows ADD COLUMN history text;
ALTER TABLE flows ADD COLUMN orig_bytes bigint;
ALTER TABLE flows ADD COLUMN resp_bytes bigint;
ALTER TABLE flows ADD COLUMN community_id text;
`,
};
