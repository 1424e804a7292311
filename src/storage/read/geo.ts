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

// Every flow with a remote end, once per remote end (UNION ALL of the two sides, each a join on
// the session's address key).
const REMOTE_FLOWS = `
  SELECT g.address, g.country, g.asn, g.as_name, f.flow_id, f.total_bytes
    FROM host_geo g JOIN flows f ON f.session_id = g.session_id AND f.src_ip = g.address
   WHERE g.session_id = $1
  UNION ALL
  SELECT g.address, g.country, g.asn, g.as_name, f.flow_id, f.total_bytes
    FROM host_geo g JOIN flows f ON f.session_id = g.session_id AND f.dst_ip = g.address
   WHERE g.session_id = $1`;

// A group's addresses, and its flows counted once each: a flow between two remote hosts of the
// same country counts once for it (its bytes are not doubled), one across two countries for both.
const groupSql = (key: string, name: string) => `
  WITH r AS (${REMOTE_FLOWS}),
  hosts AS (SELECT ${key} AS key, ${name} AS name, count(DISTINCT address)::int AS addresses FROM r GROUP BY 1),
  traffic AS (SELECT key, count(*)::float8 AS flows, sum(total_bytes)::float8 AS bytes
                FROM (SELECT DISTINCT ${key} AS key, flow_id, total_bytes FROM r) d GROUP BY key)
  SELECT h.key, h.name, h.addresses, t.flows, t.bytes
    FROM hosts h JOIN traffic t ON t.key IS NOT DISTINCT FROM h.key
   ORDER BY t.bytes DESC, h.key LIMIT $2`;

const COUNTRIES_SQL = groupSql('country', 'NULL::text');
const NETWORKS_SQL = groupSql('asn::text', 'min(as_name)');

/** The remote side of a session by country and by network (AS), most bytes first. */
export async function getRemoteSummary(db: Db, sessionId: string, limit: number): Promise<RemoteSummary> {
  const [totals, countries, networks] = await Promise.all([
    db.query<{ addresses: number; with_country: number; with_asn: number }>(
      `SELECT count(*)::int AS addresses, count(country)::int AS with_country, count(asn)::int AS with_asn
         FROM host_geo WHERE session_id = $1`,
      [sessionId],
    ),
    db.query<RemoteGroup>(COUNTRIES_SQL, [sessionId, limit]),
    db.query<RemoteGroup>(NETWORKS_SQL, [sessionId, limit]),
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
