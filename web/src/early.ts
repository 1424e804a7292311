import { sessionDetailPath } from './api/endpoints.js';
import { isSessionId, prefetch, startEarly } from './api/request.js';
import { readSearch, searchApiPath } from './pages/search/search-query.js';
import { PAGE_DATA, pageAt } from './routes.js';

// The page's only entry (index.html): a small module that starts the page's requests, then loads
// the app (React, the pages, the charts), which the page preloads beside it. Bundled with the app
// as one file, these requests would wait for the whole of it to download and be evaluated.
// uPlot's own rules (the charts'), before the app's, in the page's one stylesheet.
import 'uplot/dist/uPlot.min.css';
import './styles.css';

/**
 * A page opened directly (a bookmark, a reload) starts on its data, the sign-in check, the
 * session list and the session's own request at once, instead of one after the other. Answers that
 * fail (a session still running, a token needed) are dropped and asked for again by the page.
 */
function prefetchFromUrl(): void {
  const { pathname, search } = window.location;
  const { page, sessionId } = pageAt(pathname, search);
  startEarly('/api/auth');
  startEarly('/api/sessions');
  if (page === 'search') startEarly(searchApiPath(readSearch(new URLSearchParams(search))));
  if (sessionId && page && page !== 'sessions' && page !== 'search' && isSessionId(sessionId)) {
    startEarly(sessionDetailPath(sessionId));
    prefetch(PAGE_DATA[page](sessionId, new URLSearchParams(search)));
  }
}

prefetchFromUrl();
void import('./main');
