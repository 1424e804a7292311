import { useState } from 'react';
import { Link, NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { formatTimeRange, formatTimestampText } from '../../../src/format/index.js';
import type { Session } from '../api/types';
import { GeoAttribution } from '../components/geo';
import { PAGES, pageAt, pageUrl } from '../routes';
import { Logo } from './Logo';
import { SearchBox } from './SearchBox';
import { SignOut } from './SignOut';
import {
  defaultSession,
  rememberedSession,
  rememberSession,
  SessionsProvider,
  useSessions,
} from './sessions';

// The frame around every page: the side navigation, the header with the page's title, the
// session's time span and the session selector; the page itself goes in the Outlet.

/** Which page and session the current URL shows. */
function useCurrent() {
  const { pathname, search } = useLocation();
  return pageAt(pathname, search);
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
      <NavLink to="/search" className="navlink">
        Search
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
      <div className="nav-group">Settings</div>
      <NavLink to="/settings" className="navlink">
        Intel lists
      </NavLink>
      <div className="nav-foot">
        <a href="/api/openapi.json" target="_blank" rel="noreferrer">
          API (OpenAPI)
        </a>
        <p className="nav-attribution">
          <GeoAttribution />
        </p>
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
    if (current.page && current.page !== 'sessions' && current.page !== 'search')
      navigate(pageUrl(current.page, id));
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
  const { pathname } = useLocation();
  const { sessions } = useSessions();
  const title =
    current.page === 'sessions'
      ? 'Sessions'
      : current.page === 'search'
        ? 'Search'
        : pathname.startsWith('/settings')
          ? 'Intel lists'
          : (PAGES.find((p) => p.key === current.page)?.title ?? 'Flowlens');
  const s = sessions?.find((x) => x.session_id === current.sessionId);
  return (
    <header className="topbar">
      <div className="topbar-title">
        <h1>{title}</h1>
        {s && current.page !== 'sessions' && current.page !== 'search' && <SessionMeta session={s} />}
      </div>
      <SearchBox />
      <div className="topbar-actions">
        <SessionSelector />
        <SignOut />
      </div>
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

export function Layout() {
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
