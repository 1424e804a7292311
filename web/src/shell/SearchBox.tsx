import { type FormEvent, useEffect, useState } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { readSearch, searchUrl } from '../pages/search/search-query';
import '../pages/search/search.css';

// The search box of the header, on every page: an expression of the filter language
// (docs/FILTERS.md) searched across every session on the Search page.

export function SearchBox() {
  const { pathname, search } = useLocation();
  const navigate = useNavigate();
  const onSearchPage = pathname === '/search';
  const current = onSearchPage ? readSearch(new URLSearchParams(search)) : null;
  const [text, setText] = useState(current?.q ?? '');
  // Back, forward and links change the search: the box shows the one on screen.
  const shownQ = current?.q;
  useEffect(() => {
    if (shownQ !== undefined) setText(shownQ);
  }, [shownQ]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    // A new expression starts at its first page; the group-by chosen on the page stays.
    navigate(searchUrl({ q: text.trim(), groupBy: current?.groupBy, sessions: current?.sessions }));
  };
  return (
    <search className="search-box">
      <form onSubmit={submit}>
        <input
          type="search"
          className="mono"
          aria-label="Search flows"
          placeholder="Search all sessions, e.g. port == 53"
          value={text}
          onChange={(e) => setText(e.target.value)}
          spellCheck={false}
          autoComplete="off"
          maxLength={10_000}
        />
      </form>
    </search>
  );
}
