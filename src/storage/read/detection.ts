import type { Db } from '../db/db.js';
import { json } from './windows.js';

export interface AnomalyRecord {
  window_id: number;
  start_ts: number;
  score: number;
  is_anomaly: boolean;
  threshold: number;
  contributing_features?: unknown;
}

const ANOMALIES = `SELECT a.window_id, w.start_ts, a.anomaly_score AS score, a.is_anomaly, a.threshold`;
const ANOMALIES_FROM = `
       FROM anomaly_results a JOIN traffic_windows w USING (session_id, window_id)
      WHERE a.session_id = $1 ORDER BY a.window_id`;

/** Every window's anomaly score, in window order; with the features that drove it unless told not to. */
export async function getAnomalies(
  db: Db,
  sessionId: string,
  withContributions = true,
): Promise<AnomalyRecord[]> {
  const rows = await db.query<AnomalyRecord>(
    withContributions ? `${ANOMALIES}, a.contributing_features${ANOMALIES_FROM}` : ANOMALIES + ANOMALIES_FROM,
    [sessionId],
  );
  if (withContributions) for (const r of rows) r.contributing_features = json(r.contributing_features);
  return rows;
}

export interface InsightRecord {
  id: number;
  insight_type: 'alert' | 'summary';
  alert_type: string | null;
  severity: 'low' | 'medium' | 'high' | 'critical';
  summary: string;
  details: unknown;
  event_ts: number | null;
  window_start: number | null;
  window_end: number | null;
}

/** A session's insights in capture-time order, optionally of one type and at least one severity. */
export async function getInsights(
  db: Db,
  sessionId: string,
  type: 'alert' | 'summary' | null,
  severities: string[] | null,
): Promise<InsightRecord[]> {
  const rows = await db.query<InsightRecord>(
    `SELECT id::float8 AS id, insight_type, alert_type, severity, summary, details, event_ts, window_start, window_end
       FROM insights
      WHERE session_id = $1 AND ($2::text IS NULL OR insight_type = $2)
        AND ($3::text[] IS NULL OR severity = ANY ($3::text[]))
      ORDER BY event_ts NULLS LAST, id`,
    [sessionId, type, severities],
  );
  for (const r of rows) r.details = json(r.details);
  return rows;
}
