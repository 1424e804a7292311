import type { Db } from '../db/db.js';

export interface HostGeoRecord {
  address: string;
  country: string | null;
  asn: number | null;
  as_name: string | null;
}

/** Country and AS of the given addresses of a session (local ones have no row). */
export async function getHostGeo(
  db: Db,
  sessionId: string,
  addresses: string[],
): Promise<Map<string, HostGeoRecord>> {
  if (addresses.length === 0) return new Map();
  // The list goes as one JSON parameter: constant SQL whatever its length, on both servers.
  const rows = await db.query<HostGeoRecord>(
    `SELECT address, country, asn, as_name FROM host_geo
      WHERE session_id = $1 AND address IN (SELECT jsonb_array_elements_text($2::jsonb))`,
    [sessionId, JSON.stringify([...new Set(addresses)])],
  );
  return new Map(rows.map((r) => [r.address, { ...r, asn: r.asn === null ? null : Number(r.asn) }]));
}

export interface RemoteGroup {
  /** Country code, or AS number as text; null for addresses the data does not cover. */
  key: string | null;
  /** The AS name (networks only). */
  name: string | null;
  addresses: number;
  flows: number;
  bytes: number;
}

export interface RemoteSummary {
  /** Non-local addresses, and how many of them the data places in a country / an AS. */
  addresses: number;
  with_country: number;
  with_asn: number;
  countries: RemoteGroup[];
  networks: RemoteGroup[];
}

// Every flow with a remote end, once per remote end (a flow between two remote hosts counts for
// both): UNION ALL of the two sides, each a join on the session's address key.
const REMOTE_FLOWS = `
  SELECT g.address, g.country, g.asn, g.as_name, f.total_bytes
    FROM host_geo g JOIN flows f ON f.session_id = g.session_id AND f.src_ip = g.address
   WHERE g.session_id = $1
  UNION ALL
  SELECT g.address, g.country, g.asn, g.as_name, f.total_bytes
    FROM host_geo g JOIN flows f ON f.session_id = g.session_id AND f.dst_ip = g.address
   WHERE g.session_id = $1`;

/** The remote side of a session by country and by network (AS), most bytes first. */
export async function getRemoteSummary(db: Db, sessionId: string, limit: number): Promise<RemoteSummary> {
  const [totals, countries, networks] = await Promise.all([
    db.query<{ addresses: number; with_country: number; with_asn: number }>(
      `SELECT count(*)::int AS addresses, count(country)::int AS with_country, count(asn)::int AS with_asn
         FROM host_geo WHERE session_id = $1`,
      [sessionId],
    ),
    db.query<RemoteGroup>(
      `SELECT country AS key, NULL::text AS name, count(DISTINCT address)::int AS addresses,
              count(*)::float8 AS flows, sum(total_bytes)::float8 AS bytes
         FROM (${REMOTE_FLOWS}) r GROUP BY country ORDER BY bytes DESC, key LIMIT $2`,
      [sessionId, limit],
    ),
    db.query<RemoteGroup>(
      `SELECT asn::text AS key, min(as_name) AS name, count(DISTINCT address)::int AS addresses,
              count(*)::float8 AS flows, sum(total_bytes)::float8 AS bytes
         FROM (${REMOTE_FLOWS}) r GROUP BY asn ORDER BY bytes DESC, key LIMIT $2`,
      [sessionId, limit],
    ),
  ]);
  const t = totals[0] ?? { addresses: 0, with_country: 0, with_asn: 0 };
  return {
    addresses: Number(t.addresses),
    with_country: Number(t.with_country),
    with_asn: Number(t.with_asn),
    countries,
    networks,
  };
}
