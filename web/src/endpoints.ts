import { sessionPath } from './api';
import type { PageKey } from './routes';

// The per-session answers the pages read, one spelling each, so the cache and the prefetch share
// their keys.
export const windowsPath = (id: string) => sessionPath(id, '/windows');
export const anomaliesPath = (id: string) => sessionPath(id, '/anomalies');
export const insightsPath = (id: string) => sessionPath(id, '/insights');
export const talkersPath = (id: string) => sessionPath(id, '/talkers?direction=both&limit=10');
export const portsPath = (id: string) => sessionPath(id, '/ports?limit=200');
export const tcpHealthPath = (id: string) => sessionPath(id, '/tcp-health');
export const distributionsPath = (id: string) => sessionPath(id, '/distributions');
export const directionPath = (id: string) => sessionPath(id, '/direction');

/** What each page asks for first; fetched while the session itself is being checked. */
export const PAGE_DATA: Record<PageKey, (id: string) => string[]> = {
  overview: (id) => [windowsPath(id), talkersPath(id), anomaliesPath(id), insightsPath(id)],
  protocols: (id) => [tcpHealthPath(id), portsPath(id)],
  traffic: (id) => [distributionsPath(id), directionPath(id), windowsPath(id)],
  timeline: (id) => [insightsPath(id), windowsPath(id)],
  anomalies: (id) => [anomaliesPath(id), windowsPath(id)],
};
