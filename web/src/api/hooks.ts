import { useCallback, useEffect, useState } from 'react';
import { anomaliesPath, anomalyScoresPath, insightsPath, windowsPath } from './endpoints';
import { ApiError, cachedGet, getFresh, settledAnswer } from './request';
import type { AnomaliesResponse, InsightsResponse, WindowsResponse } from './types';

export interface ApiState<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
}

/**
 * GETs `path` (null: nothing yet) and tracks loading and error. `cached` answers come from the
 * session cache (request.ts); others are fetched each time `path` or `reload` changes.
 */
export function useApi<T>(path: string | null, cached = true): ApiState<T> {
  const [state, setState] = useState<{ path: string | null; data?: T; error?: ApiError; n: number }>({
    path: null,
    n: 0,
  });
  const [n, setN] = useState(0);
  const reload = useCallback(() => setN((x) => x + 1), []);
  const hit = cached && n === 0 && path !== null ? settledAnswer<T>(path) : undefined;
  useEffect(() => {
    if (path === null || hit !== undefined) return;
    let live = true;
    const p = cached && n === 0 ? cachedGet<T>(path) : getFresh<T>(path);
    p.then(
      (data) => live && setState({ path, data, n }),
      (err: unknown) =>
        live &&
        setState({
          path,
          error: err instanceof ApiError ? err : new ApiError(0, String((err as Error)?.message ?? err)),
          n,
        }),
    );
    return () => {
      live = false;
    };
  }, [path, cached, n, hit]);
  if (hit !== undefined) return { data: hit, error: undefined, loading: false, reload };
  const current = state.path === path && state.n === n;
  return {
    data: current ? state.data : undefined,
    error: current ? state.error : undefined,
    loading: path !== null && !current,
    reload,
  };
}

// The answers several pages read, each behind one hook so they share one cached request.

export function useWindows(sessionId: string) {
  return useApi<WindowsResponse>(windowsPath(sessionId));
}

/** Every window's score with its explanation (the anomalies page). */
export function useAnomalies(sessionId: string) {
  return useApi<AnomaliesResponse>(anomaliesPath(sessionId));
}

/** Scores only: the overview's chart and the timeline's links do not show the explanations. */
export function useAnomalyScores(sessionId: string) {
  return useApi<AnomaliesResponse>(anomalyScoresPath(sessionId));
}

export function useInsights(sessionId: string) {
  return useApi<InsightsResponse>(insightsPath(sessionId));
}
