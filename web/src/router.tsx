import { createBrowserRouter, Navigate } from 'react-router';
import { AnomaliesPage } from './pages/anomalies/AnomaliesPage';
import { LogsPage } from './pages/logs/LogsPage';
import { OverviewPage } from './pages/overview/OverviewPage';
import { ProtocolsPage } from './pages/protocols/ProtocolsPage';
import { SearchPage } from './pages/search/SearchPage';
import { SessionsPage } from './pages/sessions/SessionsPage';
import { SettingsPage } from './pages/settings/SettingsPage';
import { TimelinePage } from './pages/timeline/TimelinePage';
import { TrafficPage } from './pages/traffic/TrafficPage';
import type { PageKey } from './routes';
import { Layout } from './shell/Layout';
import { NotFound, RouteError } from './shell/RouteErrors';
import { type SessionPage, SessionRoute } from './shell/SessionRoute';

/** Each page about one session (routes.ts names them, their URLs and their navigation labels). */
const SESSION_PAGES: Record<PageKey, SessionPage> = {
  overview: OverviewPage,
  protocols: ProtocolsPage,
  logs: LogsPage,
  traffic: TrafficPage,
  timeline: TimelinePage,
  anomalies: AnomaliesPage,
};

const sessionRoute = (page: PageKey) => <SessionRoute page={page} Page={SESSION_PAGES[page]} />;

/** Every address of the dashboard, inside the shell (Layout); anything else is NotFound. */
export const router = createBrowserRouter([
  {
    element: <Layout />,
    errorElement: <RouteError />,
    children: [
      { index: true, element: <Navigate to="/sessions" replace /> },
      { path: 'sessions', element: <SessionsPage /> },
      { path: 'search', element: <SearchPage /> },
      { path: 'sessions/:sessionId', element: sessionRoute('overview') },
      { path: 'overview', element: sessionRoute('overview') },
      { path: 'protocols', element: sessionRoute('protocols') },
      { path: 'logs', element: sessionRoute('logs') },
      { path: 'traffic', element: sessionRoute('traffic') },
      { path: 'timeline', element: sessionRoute('timeline') },
      { path: 'anomalies', element: sessionRoute('anomalies') },
      { path: 'settings', element: <SettingsPage /> },
      { path: '*', element: <NotFound /> },
    ],
  },
]);
