import type { Db } from './db/db.js';

/** Dashboard logins (migration 8): digests only, so the table alone logs nobody in. */

export async function createLogin(db: Db, idDigest: string, tokenDigest: string, ttlSeconds: number) {
  // Expired logins go as new ones come, so the table stays as small as the live ones.
  await db.query('DELETE FROM login_sessions WHERE expires_at < now()');
  await db.query(
    `INSERT INTO login_sessions (id_digest, token_digest, expires_at)
     VALUES ($1, $2, now() + make_interval(secs => $3::integer))`,
    [idDigest, tokenDigest, ttlSeconds],
  );
}

/** Seconds until the login expires, or null when there is no live login with this id and token. */
export async function loginSecondsLeft(
  db: Db,
  idDigest: string,
  tokenDigest: string,
): Promise<number | null> {
  const rows = await db.query<{ left_s: number | string }>(
    `SELECT EXTRACT(EPOCH FROM expires_at - now())::float8 AS left_s FROM login_sessions
      WHERE id_digest = $1 AND token_digest = $2 AND expires_at > now()`,
    [idDigest, tokenDigest],
  );
  return rows.length === 0 ? null : Number(rows[0].left_s);
}

export async function deleteLogin(db: Db, idDigest: string): Promise<void> {
  await db.query('DELETE FROM login_sessions WHERE id_digest = $1', [idDigest]);
}
