import type { Migration } from './migration.js';

export const migration: Migration = {
  version: 6,
  name: "a session's owner named by its presence lock on the server, so that any host can tell it ended",
  // owner_host and owner_pid can only be checked on the owner's own host: a session left by a
  // container that is gone (a new one has another hostname) stayed processing for ever. The
  // owner's number is the key of an advisory lock it holds while it runs (db/db.ts PRESENCE_LOCK).
  sql: `ALTER TABLE pcap_sessions ADD COLUMN owner_token integer;`,
};
