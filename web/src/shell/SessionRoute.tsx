import { type ReactNode, useEffect } from 'react';
import { Link, Navigate, useParams, useSearchParams } from 'react-router';
import { formatPercent } from '../../../src/format/index.js';
import { sessionDetailPath } from '../api/endpoints';
import { useApi } from '../api/hooks';
import { isCached, isSessionId, prefetch, remember } from '../api/request';
import type { Session, SessionDetail, Summary } from '../api/types';
import { Empty, ErrorNote, Loading, ProgressBar, StatusBadge } from '../components/ui';
import { PAGE_DATA, type PageKey, pageUrl, urlSessionId } from '../routes';
import { defaultSession, rememberSession, useSessions } from './sessions';

/** A page about one analysed session: what the router hands it once the session is completed. */
export type SessionPage = (p: { session: Session; summary: Summary }) => ReactNode;

/** A page about one session: resolves the session from the URL, or sends to the default one. */
export function SessionRoute({ page, Page }: { page: PageKey; Page: SessionPage }) {
  const { sessionId } = useParams();
  const [search] = useSearchParams();
  const { sessions, error } = useSessions();
  const raw = sessionId ?? search.get('session');
  const id = urlSessionId(raw);
  // A pasted id with spaces or capitals: the address is put right, so the header's selector, the
  // links and the cache all see the id as the server spells it.
  if (id && raw !== id) {
    const rest = new URLSearchParams(search);
    rest.delete('session');
    return <Navigate to={pageUrl(page, id, Object.fromEntries(rest))} replace />;
  }
  if (!id) {
    if (error) return <ErrorNote error={error} />;
    if (!sessions) return <Loading />;
    const d = defaultSession(sessions);
    if (!d) {
      return (
        <Empty height={280}>
          <p>No analysed capture yet.</p>
          <Link to="/sessions" className="btn btn-primary">
            Upload a capture
          </Link>
        </Empty>
      );
    }
    return <Navigate to={pageUrl(page, d.session_id)} replace />;
  }
  return <SessionGate key={id} id={id} page={page} Page={Page} />;
}

/** Waits for the session to be analysed; shows progress, failure or 404; then the page. */
function SessionGate({ id, page, Page }: { id: string; page: PageKey; Page: SessionPage }) {
  // A string that cannot be a session id is not asked for: there is no such session.
  const valid = isSessionId(id);
  const key = valid ? sessionDetailPath(id) : null;
  // A completed session never changes: once seen, later pages take it from the cache.
  const detail = useApi<SessionDetail>(key, key !== null && isCached(key));
  const { sessions, progress } = useSessions();
  const listed = sessions?.find((s) => s.session_id === id);
  const status = detail.data?.session.status;
  const reload = detail.reload;
  // When the list learns the analysis finished, fetch the session again (summary included).
  useEffect(() => {
    if (listed && status && listed.status !== status && (status === 'queued' || status === 'processing'))
      reload();
  }, [listed, status, reload]);
  useEffect(() => {
    if (status === 'completed') rememberSession(id);
    if (status === 'completed' && key && detail.data && !isCached(key)) remember(key, detail.data);
  }, [status, id, key, detail.data]);
  // While the session is checked, start on what the page will ask for if the list says it is done.
  const listedDone = listed?.status === 'completed';
  const [search] = useSearchParams();
  const query = search.toString();
  useEffect(() => {
    if (listedDone) prefetch(PAGE_DATA[page](id, new URLSearchParams(query)));
  }, [listedDone, page, id, query]);

  // (A server that still refuses the id's spelling answers 400 about `params/id`: no such session.)
  const missing =
    !valid ||
    detail.error?.status === 404 ||
    (detail.error?.status === 400 && /params\/id\b/.test(detail.error.message));
  if (missing || detail.error) {
    if (missing) {
      return (
        <Empty height={260}>
          <p>
            {valid
              ? `There is no session ${id}. It may have been deleted.`
              : `There is no session “${id}”: that is not a session id.`}
          </p>
          <Link to="/sessions" className="btn">
            Go to the sessions
          </Link>
        </Empty>
      );
    }
    return detail.error && <ErrorNote error={detail.error} retry={detail.reload} />;
  }
  if (!detail.data) return <Loading label="Loading session…" />;
  const { session, summary } = detail.data;
  if (session.status === 'failed') {
    return (
      <div className="card state-failed">
        <h2>
          {session.name} <StatusBadge status="failed" />
        </h2>
        <p>The analysis failed: {session.error ?? 'no reason was recorded.'}</p>
        <Link to="/sessions" className="btn">
          Back to the sessions
        </Link>
      </div>
    );
  }
  if (session.status !== 'completed' || !summary) {
    const p = progress[id];
    const value = p?.progress ?? session.progress ?? null;
    return (
      <div className="card waiting">
        <h2>
          {session.name} <StatusBadge status={session.status} />
        </h2>
        <p>
          {session.status === 'queued' ? 'Waiting for its turn to be analysed.' : 'Analysing the capture'}
          {p?.phase && session.status !== 'queued' ? ` — ${p.phase}` : ''}
          {value !== null ? ` (${formatPercent(value * 100, 0)})` : ''}
        </p>
        <ProgressBar value={value} label="Analysis progress" />
        <p className="muted">This page opens by itself when the analysis is done.</p>
      </div>
    );
  }
  return <Page session={session} summary={summary} />;
}
