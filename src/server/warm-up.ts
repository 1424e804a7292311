import {
  type Db,
  getAnomalies,
  getFlows,
  getInsights,
  getPorts,
  getSession,
  getSessionSummary,
  getSummaryPart,
  getTopTalkers,
  getWindows,
  listSessions,
} from '../storage/index.js';

/**
 * Reads the newest completed session once the way the pages do, just after the server starts.
 *
 * Why: a freshly opened database answers its first reads slowly: on PGlite the WebAssembly code of
 * each query path runs for the first time and the catalogue caches are empty (the first overview
 * after a start took 1.1–1.2 s against 0.6–0.8 s later, its API answers 0.5–0.9 s each against
 * 10–100 ms). Done here, that cost is paid before a person opens a page. Only reads; nothing is
 * kept in the answer cache; any failure is ignored (the real request reports it).
 */
export async function warmUp(db: Db): Promise<void> {
  const newest = (await listSessions(db)).find((s) => s.status === 'completed');
  if (!newest) return;
  const id = newest.session_id;
  await getSession(db, id);
  await getSessionSummary(db, id, { withoutAnomalies: true });
  await getWindows(db, id, 0, Math.max((newest.window_count ?? 0) - 1, 0));
  await getTopTalkers(db, id, 'both', 10);
  await getAnomalies(db, id, false);
  await getInsights(db, id, null, null);
  await getPorts(db, id, 200);
  await getSummaryPart(db, id, 'tcp');
  await getFlows(db, id, {
    sort: 'total_bytes',
    order: 'desc',
    ip: null,
    port: null,
    protocol: null,
    startFrom: null,
    startBefore: null,
    limit: 50,
    offset: 0,
  });
}
