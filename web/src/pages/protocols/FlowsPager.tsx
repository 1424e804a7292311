import { formatCount } from '../../../../src/format/index.js';
import type { FlowsResponse } from '../../api/types';
import { type FlowQuery, maxPage, PAGE_SIZES } from './flow-query';

/** Rows per page, first / previous / next / last, and which rows of how many are shown. */
export function FlowsPager({
  shown,
  refused,
  query,
  setQuery,
}: {
  /** The answer on screen (undefined: none yet, or a refused filter). */
  shown: FlowsResponse | undefined;
  /** The server refused the filter (400). */
  refused: boolean;
  query: FlowQuery;
  setQuery: (q: Partial<FlowQuery>) => void;
}) {
  const total = shown?.total ?? 0;
  const exact = shown?.total_exact !== false;
  const pages = Math.max(1, Math.ceil(total / query.size));
  const last = Math.min(pages - 1, maxPage(query.size));
  const hasNext = query.page < last || (!exact && (shown?.flows.length ?? 0) === query.size);
  // The rows on screen, as the answer numbers them: never a range that ends before it starts.
  const rows = shown?.flows.length ?? 0;
  const start = query.after ? query.page * query.size : (shown?.offset ?? 0);
  const from = start + 1;
  const to = start + rows;
  return (
    <div className="pager">
      <span data-testid="flows-range">
        {refused
          ? ''
          : !shown
            ? '…'
            : total === 0
              ? 'No flows'
              : rows === 0
                ? `${exact ? '' : 'more than '}${formatCount(total)} flows`
                : `${formatCount(from)}–${formatCount(to)} of ${exact ? '' : 'more than '}${formatCount(total)} flows`}
      </span>
      <span className="pager-buttons">
        <label className="inline-field">
          Rows
          <select value={query.size} onChange={(e) => setQuery({ size: Number(e.target.value), page: 0 })}>
            {PAGE_SIZES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="btn btn-small"
          disabled={query.page === 0}
          onClick={() => setQuery({ page: 0 })}
        >
          « First
        </button>
        <button
          type="button"
          className="btn btn-small"
          disabled={query.page === 0}
          onClick={() => setQuery({ page: Math.min(query.page, last + 1) - 1 })}
        >
          ‹ Previous
        </button>
        <span className="muted" data-testid="flows-page">
          page {formatCount(Math.min(query.page, last) + 1)}
          {exact ? ` of ${formatCount(pages)}` : ''}
        </span>
        <button
          type="button"
          className="btn btn-small"
          disabled={!hasNext}
          onClick={() => setQuery({ page: query.page + 1, after: shown?.next_cursor ?? '' })}
        >
          Next ›
        </button>
        <button
          type="button"
          className="btn btn-small"
          disabled={!exact || query.page >= last}
          title={exact ? undefined : 'The count stops at 100,000 matches: the last page is not known'}
          onClick={() => setQuery({ page: last })}
        >
          Last »
        </button>
      </span>
    </div>
  );
}
