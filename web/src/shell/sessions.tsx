import { createContext, type ReactNode, useCallback, useContext, useEffect, useRef, useState } from 'react';
import { type ApiError, forgetSession, getFresh, sessionPath } from '../api/request';
import type { ProgressEvent, Session } from '../api/types';

interface SessionsContextValue {
  sessions: Session[] | undefined;
  error: ApiError | undefined;
  reload: () => void;
  /** Live progress of queued and running analyses, from their event streams. */
  progress: Record<string, ProgressEvent>;
  /** Removes a deleted session from the list and the data cache. */
  removed: (sessionId: string) => void;
}

const SessionsContext = createContext<SessionsContextValue | null>(null);

export function useSessions(): SessionsContextValue {
  const v = useContext(SessionsContext);
  if (!v) throw new Error('useSessions outside SessionsProvider');
  return v;
}

const ACTIVE = new Set(['queued', 'processing']);

/**
 * The session list shared by the header's selector and the Sessions page. Every session still
 * queued or being analysed gets an EventSource on `GET /api/sessions/:id/events`; its `end` event
 * carries the final session, which replaces the row.
 */
export function SessionsProvider({ children }: { children: ReactNode }) {
  const [sessions, setSessions] = useState<Session[] | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  const [progress, setProgress] = useState<Record<string, ProgressEvent>>({});
  const [tick, setTick] = useState(0);
  const streams = useRef(new Map<string, EventSource>());
  const retry = useRef<ReturnType<typeof setTimeout> | null>(null);

  const reload = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    void tick;
    let live = true;
    getFresh<{ sessions: Session[] }>('/api/sessions').then(
      (r) => {
        if (!live) return;
        setSessions(r.sessions);
        setError(undefined);
      },
      (err: ApiError) => live && setError(err),
    );
    return () => {
      live = false;
    };
  }, [tick]);

  const scheduleReload = useCallback(() => {
    if (retry.current) return;
    retry.current = setTimeout(() => {
      retry.current = null;
      setTick((t) => t + 1);
    }, 2000);
  }, []);

  useEffect(() => {
    const map = streams.current;
    const active = new Set((sessions ?? []).filter((s) => ACTIVE.has(s.status)).map((s) => s.session_id));
    for (const [id, es] of map) {
      if (!active.has(id)) {
        es.close();
        map.delete(id);
      }
    }
    for (const id of active) {
      if (map.has(id)) continue;
      const es = new EventSource(sessionPath(id, '/events'));
      map.set(id, es);
      es.addEventListener('progress', (e) => {
        try {
          const p = JSON.parse((e as MessageEvent<string>).data) as ProgressEvent;
          setProgress((old) => ({ ...old, [id]: p }));
        } catch {
          // ignore a malformed event; the next one will do
        }
      });
      es.addEventListener('end', (e) => {
        es.close();
        map.delete(id);
        try {
          const s = JSON.parse((e as MessageEvent<string>).data) as Session;
          setSessions((old) => old?.map((x) => (x.session_id === id ? { ...x, ...s } : x)));
        } catch {
          // the list reload below brings the final state
        }
        setProgress((old) => {
          const { [id]: _, ...rest } = old;
          return rest;
        });
        setTick((t) => t + 1);
      });
      es.onerror = () => {
        // The browser reconnects by itself unless the stream was refused (e.g. deleted session).
        if (es.readyState === EventSource.CLOSED) {
          map.delete(id);
          scheduleReload();
        }
      };
    }
  }, [sessions, scheduleReload]);

  useEffect(() => {
    const map = streams.current;
    return () => {
      for (const es of map.values()) es.close();
      map.clear();
      if (retry.current) clearTimeout(retry.current);
    };
  }, []);

  const removed = useCallback((sessionId: string) => {
    forgetSession(sessionId);
    setSessions((old) => old?.filter((s) => s.session_id !== sessionId));
    if (rememberedSession() === sessionId) localStorage.removeItem(REMEMBER_KEY);
  }, []);

  return (
    <SessionsContext.Provider value={{ sessions, error, reload, progress, removed }}>
      {children}
    </SessionsContext.Provider>
  );
}

const REMEMBER_KEY = 'flowlens.session';

/** The session last looked at, so the navigation can return to it. */
export function rememberSession(sessionId: string): void {
  try {
    localStorage.setItem(REMEMBER_KEY, sessionId);
  } catch {
    // storage unavailable (private mode): the URL still carries the session
  }
}

export function rememberedSession(): string | null {
  try {
    return localStorage.getItem(REMEMBER_KEY);
  } catch {
    return null;
  }
}

/** The session pages should open: the remembered one if it is completed, else the newest completed. */
export function defaultSession(sessions: Session[] | undefined): Session | undefined {
  if (!sessions) return undefined;
  const done = sessions.filter((s) => s.status === 'completed');
  const remembered = rememberedSession();
  return done.find((s) => s.session_id === remembered) ?? done[0];
}
