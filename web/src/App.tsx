import { type FormEvent, type ReactNode, useEffect, useState } from 'react';
import {
  createBrowserRouter,
  isRouteErrorResponse,
  Link,
  Navigate,
  NavLink,
  Outlet,
  RouterProvider,
  useLocation,
  useNavigate,
  useParams,
  useRouteError,
  useSearchParams,
} from 'react-router';
import { formatPercent, formatTimeRange, formatTimestampText } from '../../src/format/index.js';
import {
  ApiError,
  apiPostJson,
  getFresh,
  isCached,
  isSessionId,
  normalizeSessionId,
  onUnauthorized,
  prefetch,
  remember,
  sessionPath,
  useApi,
} from './api';
import { Empty, ErrorNote, Loading, ProgressBar, StatusBadge } from './components/ui';
import { PAGE_DATA } from './endpoints';
import { AnomaliesPage } from './pages/Anomalies';
import { OverviewPage } from './pages/Overview';
import { ProtocolsPage } from './pages/Protocols';
import { SessionsPage } from './pages/Sessions';
import { TimelinePage } from './pages/Timeline';
import { TrafficPage } from './pages/Traffic';
import { PAGES, type PageKey, pageUrl } from './routes';
import {
  defaultSession,
  rememberedSession,
  rememberSession,
  SessionsProvider,
  useSessions,
} from './sessions';
import type { AuthState, Session, SessionDetail, Summary } from './types';

/** A path segment decoded, or as it is when it is not valid percent-encoding. */
function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The session id a URL gives, as the server spells it (null: none). */
function urlSessionId(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  return normalizeSessionId(raw) || null;
}

/** Which page and session the current URL shows. */
function useCurrent(): { page: PageKey | 'sessions' | null; sessionId: string | null } {
  const { pathname, search } = useLocation();
  const q = urlSessionId(new URLSearchParams(search).get('session'));
  const m = /^\/sessions\/([^/]+)\/?$/.exec(pathname);
  if (m) return { page: 'overview', sessionId: urlSessionId(decodeSegment(m[1])) };
  if (pathname === '/sessions' || pathname === '/sessions/') return { page: 'sessions', sessionId: null };
  const key = pathname.replace(/^\/|\/$/g, '') as PageKey;
  if (PAGES.some((p) => p.key === key)) return { page: key, sessionId: q };
  return { page: null, sessionId: null };
}

function Logo() {
  return (
    <svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true">
      <circle cx="11" cy="11" r="7.5" fill="none" stroke="#8fb4ff" strokeWidth="2.2" />
      <path d="M5.5 12.5l2.6-2.6 2.2 2.2 3.1-3.8 2.6 2.4" fill="none" stroke="#fff" strokeWidth="1.8" />
      <path d="M16.5 16.5l5 5" stroke="#8fb4ff" strokeWidth="2.4" strokeLinecap="round" />
    </svg>
  );
}

function SideNav() {
  const { sessions } = useSessions();
  const current = useCurrent();
  const target = current.sessionId ?? defaultSession(sessions)?.session_id ?? null;
  return (
    <nav className="sidenav" aria-label="Pages">
      <Link to="/sessions" className="brand">
        <Logo />
        <span>Flowlens</span>
      </Link>
      <NavLink to="/sessions" end className="navlink">
        Sessions
      </NavLink>
      <div className="nav-group">Analysis</div>
      {PAGES.map((p) =>
        target ? (
          <NavLink
            key={p.key}
            to={pageUrl(p.key, target)}
            className={() => `navlink${current.page === p.key ? ' active' : ''}`}
          >
            {p.label}
          </NavLink>
        ) : (
          <span key={p.key} className="navlink disabled" title="Analyse a capture first">
            {p.label}
          </span>
        ),
      )}
      <div className="nav-foot">
        <a href="/api/openapi.json" target="_blank" rel="noreferrer">
          API (OpenAPI)
        </a>
      </div>
    </nav>
  );
}

function SessionSelector() {
  const { sessions } = useSessions();
  const current = useCurrent();
  const navigate = useNavigate();
  const [, setBump] = useState(0);
  const selected = current.sessionId ?? defaultSession(sessions)?.session_id ?? rememberedSession() ?? '';
  const options = sessions ?? [];
  const onChange = (id: string) => {
    rememberSession(id);
    if (current.page && current.page !== 'sessions') navigate(pageUrl(current.page, id));
    else setBump((x) => x + 1);
  };
  return (
    <label className="session-select">
      <span>Session</span>
      <select
        value={options.some((s) => s.session_id === selected) ? selected : ''}
        onChange={(e) => onChange(e.target.value)}
        disabled={options.length === 0}
      >
        {options.length === 0 && <option value="">{sessions ? 'No sessions yet' : 'Loading…'}</option>}
        {!options.some((s) => s.session_id === selected) && options.length > 0 && (
          <option value="">Choose a session…</option>
        )}
        {options.map((s) => (
          <option key={s.session_id} value={s.session_id} disabled={s.status !== 'completed'}>
            {s.name}
            {s.status !== 'completed' ? ` (${s.status})` : ''}
            {s.first_ts ? ` · ${formatTimestampText(s.first_ts).slice(0, 16)}` : ''}
          </option>
        ))}
      </select>
    </label>
  );
}

function HeaderBar() {
  const current = useCurrent();
  const { sessions } = useSessions();
  const title =
    current.page === 'sessions'
      ? 'Sessions'
      : (PAGES.find((p) => p.key === current.page)?.title ?? 'Flowlens');
  const s = sessions?.find((x) => x.session_id === current.sessionId);
  return (
    <header className="topbar">
      <div className="topbar-title">
        <h1>{title}</h1>
        {s && current.page !== 'sessions' && <SessionMeta session={s} />}
      </div>
      <SessionSelector />
    </header>
  );
}

function SessionMeta({ session: s }: { session: Session }) {
  const from = s.first_ts === null ? null : Number(s.first_ts);
  const to = s.last_ts === null ? null : Number(s.last_ts);
  return (
    <div className="topbar-meta" title={`${s.name} (${s.file_name})`}>
      {from !== null && to !== null && <span>{formatTimeRange(from, to)}</span>}
      {s.window_length !== null && <span>{s.window_length} s windows</span>}
    </div>
  );
}

function Layout() {
  return (
    <SessionsProvider>
      <div className="shell">
        <SideNav />
        <div className="main">
          <HeaderBar />
          <main className="content">
            <Outlet />
          </main>
        </div>
      </div>
    </SessionsProvider>
  );
}

function RouteError() {
  const err = useRouteError();
  const message = isRouteErrorResponse(err)
    ? `${err.status} ${err.statusText}`
    : err instanceof Error
      ? err.message
      : String(err);
  return (
    <div className="content">
      <ErrorNote error={new Error(message)} />
      <p>
        <a href="/sessions">Back to the sessions</a>
      </p>
    </div>
  );
}

function NotFound() {
  return (
    <Empty height={240}>
      <p>There is no page at this address.</p>
      <Link to="/sessions" className="btn">
        Go to the sessions
      </Link>
    </Empty>
  );
}

type PageProps = { session: Session; summary: Summary };

const PAGE_COMPONENTS: Record<PageKey, (p: PageProps) => ReactNode> = {
  overview: OverviewPage,
  protocols: ProtocolsPage,
  traffic: TrafficPage,
  timeline: TimelinePage,
  anomalies: AnomaliesPage,
};

/** A page about one session: resolves the session from the URL, or sends to the default one. */
function SessionRoute({ page }: { page: PageKey }) {
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
  return <SessionGate key={id} id={id} page={page} />;
}

/** Waits for the session to be analysed; shows progress, failure or 404; then the page. */
function SessionGate({ id, page }: { id: string; page: PageKey }) {
  // A string that cannot be a session id is not asked for: there is no such session.
  const valid = isSessionId(id);
  // The per-window anomalies come from …/anomalies where a page needs them: not in the summary.
  const key = valid ? sessionPath(id, '?anomalies=false') : null;
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
  const Page = PAGE_COMPONENTS[page];
  return <Page session={session} summary={summary} />;
}

function Login({ onDone }: { onDone: () => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await apiPostJson('/api/login', { token });
      onDone();
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401 ? 'That token is not right.' : (err as Error).message,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="login-page">
      <form className="card login" onSubmit={submit}>
        <div className="login-brand">
          <Logo />
          <span>Flowlens</span>
        </div>
        <h1>Sign in</h1>
        <p className="muted">This Flowlens server needs its access token (FLOWLENS_TOKEN).</p>
        <label className="field">
          <span>Token</span>
          <input
            type="password"
            autoComplete="current-password"
            value={token}
            onChange={(e) => setToken(e.target.value)}
            required
          />
        </label>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="btn btn-primary" disabled={busy || token === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}

const router = createBrowserRouter([
  {
    element: <Layout />,
    errorElement: <RouteError />,
    children: [
      { index: true, element: <Navigate to="/sessions" replace /> },
      { path: 'sessions', element: <SessionsPage /> },
      { path: 'sessions/:sessionId', element: <SessionRoute page="overview" /> },
      { path: 'overview', element: <SessionRoute page="overview" /> },
      { path: 'protocols', element: <SessionRoute page="protocols" /> },
      { path: 'traffic', element: <SessionRoute page="traffic" /> },
      { path: 'timeline', element: <SessionRoute page="timeline" /> },
      { path: 'anomalies', element: <SessionRoute page="anomalies" /> },
      { path: '*', element: <NotFound /> },
    ],
  },
]);

/** Asks the server whether a token is needed first; any later 401 brings the login form back. */
export function App() {
  const [auth, setAuth] = useState<AuthState | null>(null);
  const [authError, setAuthError] = useState<ApiError | null>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    void n;
    // (The early request, if any, answers the first time; a retry asks again.)
    getFresh<AuthState>('/api/auth').then(setAuth, (err: ApiError) => {
      // A server without the endpoint (404) has no authentication.
      if (err.status === 404) setAuth({ required: false, authenticated: true });
      else setAuthError(err);
    });
  }, [n]);
  useEffect(() => onUnauthorized(() => setAuth({ required: true, authenticated: false })), []);
  if (authError) {
    return (
      <div className="login-page">
        <ErrorNote
          error={authError}
          retry={() => {
            setAuthError(null);
            setN((x) => x + 1);
          }}
        />
      </div>
    );
  }
  if (!auth) return <Loading label="Connecting…" />;
  if (auth.required && !auth.authenticated)
    return <Login onDone={() => setAuth({ required: true, authenticated: true })} />;
  return <RouterProvider router={router} />;
}
