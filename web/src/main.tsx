import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { prefetch } from './api';
import { PAGE_DATA } from './endpoints';
import type { PageKey } from './routes';
import './styles.css';

/**
 * A page opened directly (a bookmark, a reload) starts on its data at once, beside the sign-in
 * check and the session's own request, instead of after them. Answers that fail (a session still
 * running, a token needed) are dropped and asked for again by the page.
 */
function prefetchFromUrl(): void {
  const { pathname, search } = window.location;
  const overview = /^\/sessions\/([0-9a-f-]{36})$/.exec(pathname);
  const page = pathname.slice(1) as PageKey;
  const id = overview ? overview[1] : new URLSearchParams(search).get('session');
  const key: PageKey | null = overview ? 'overview' : page in PAGE_DATA ? page : null;
  if (id && key && /^[0-9a-f-]{36}$/.test(id)) prefetch(PAGE_DATA[key](id));
}

prefetchFromUrl();
const root = document.getElementById('root');
if (!root) throw new Error('no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
