import { PAGE_DATA } from './endpoints';
import { prefetch, sessionPath, startEarly } from './request';
import type { PageKey } from './routes';

// The page's only entry (index.html): a small module that starts the page's requests, then loads
// the app (React, the pages; its charts import ECharts, which the page preloads beside it).
// Bundled with the app as one file, these requests would wait for the whole of it to download and
// be evaluated.
// uPlot's own rules (the overview's charts), before the app's, in the page's one stylesheet.
import 'uplot/dist/uPlot.min.css';
import './styles.css';

/**
 * A page opened directly (a bookmark, a reload) starts on its data, the sign-in check, the
 * session list and the session's own request at once, instead of one after the other. Answers that fail (a session still
 * running, a token needed) are dropped and asked for again by the page.
 */
function prefetchFromUrl(): void {
  const { pathname, search } = window.location;
  const overview = /^\/sessions\/([0-9a-f-]{36})$/.exec(pathname);
  const page = pathname.slice(1) as PageKey;
  const id = overview ? overview[1] : new URLSearchParams(search).get('session');
  const key: PageKey | null = overview ? 'overview' : page in PAGE_DATA ? page : null;
  startEarly('/api/auth');
  startEarly('/api/sessions');
  if (id && key && /^[0-9a-f-]{36}$/.test(id)) {
    startEarly(sessionPath(id, '?anomalies=false'));
    prefetch(PAGE_DATA[key](id, new URLSearchParams(search)));
  }
}

prefetchFromUrl();
void import('./main');
