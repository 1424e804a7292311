/** One schema change. Never edit a released migration: add the next one. */
export interface Migration {
  version: number;
  name: string;
  /** Runs unchanged on PostgreSQL 15 and PGlite (18). */
  sql: string;
}
