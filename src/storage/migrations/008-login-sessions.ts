import type { Migration } from './migration.js';

export const migration: Migration = {
  version: 8,
  name: 'dashboard login sessions: a random id per login, kept server-side with an expiry',
  // Only the id's SHA-256 is stored, so the table alone logs nobody in. token_digest ties a login
  // to the token it was made with: a changed token ends every login made with the old one.
  sql: `CREATE TABLE login_sessions (
    id_digest text PRIMARY KEY,
    token_digest text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
  );
  CREATE INDEX login_sessions_expires ON login_sessions (expires_at);`,
};
