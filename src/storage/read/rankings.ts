import type { Db } from '../db/db.js';

export type TalkerDirection = 'both' | 'sent' | 'received';

export interface TalkerRecord {
  rank: number;
  ip: string;
  bytes: number;
  packets: number;
  share: number;
}

/** A session's top talkers in one direction, by rank. */
export async function getTopTalkers(
  db: Db,
  sessionId: string,
  direction: TalkerDirection,
  limit: number,
): Promise<TalkerRecord[]> {
  return db.query<TalkerRecord>(
    `SELECT rank, ip, bytes::float8 AS bytes, packets::float8 AS packets, share
       FROM top_ips WHERE session_id = $1 AND direction = $2 ORDER BY rank LIMIT $3`,
    [sessionId, direction, limit],
  );
}

export interface PortRecord {
  protocol: string;
  port: number;
  service: string | null;
  flows: number;
  packets: number;
  bytes: number;
  percentage: number;
}

/** A session's service ports, most packets first. */
export async function getPorts(db: Db, sessionId: string, limit: number): Promise<PortRecord[]> {
  return db.query<PortRecord>(
    `SELECT protocol, port, service, flows::float8 AS flows, packets::float8 AS packets, bytes::float8 AS bytes,
            percentage
       FROM port_stats WHERE session_id = $1 ORDER BY packets DESC, protocol, port LIMIT $2`,
    [sessionId, limit],
  );
}
