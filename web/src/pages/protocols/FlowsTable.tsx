import { flexRender, getCoreRowModel, type SortingState, useReactTable } from '@tanstack/react-table';
import { useEffect, useLayoutEffect, useMemo, useState } from 'react';
import { useApi } from '../../api/hooks';
import type { FlowsResponse } from '../../api/types';
import type { PacketsAvailability } from '../../components/PacketsLink';
import { SortButton } from '../../components/SortButton';
import { ErrorNote, Loading } from '../../components/ui';
import { FlowsPager } from './FlowsPager';
import { columnWidths, flowColumns, MIN_TABLE_PX } from './flow-columns';
import { clampPage, type FlowQuery, flowsPath, SORT_TO_COLUMN, SORTABLE } from './flow-query';

/** One page of the session's flows, sorted and filtered by the server as `query` says. */
export function FlowsTable({
  sessionId,
  packets,
  labels,
  query,
  setQuery,
}: {
  sessionId: string;
  packets: PacketsAvailability;
  labels: Map<string, string>;
  query: FlowQuery;
  setQuery: (q: Partial<FlowQuery>) => void;
}) {
  const flows = useApi<FlowsResponse>(flowsPath(sessionId, query));
  // Keep the last page on screen while the next one loads, so the table does not jump; a refused
  // query (400) clears it: the rows under its error would be another filter's.
  const [shown, setShown] = useState<FlowsResponse | undefined>();
  useEffect(() => {
    if (flows.data) setShown(flows.data);
    else if (flows.error) setShown(undefined);
  }, [flows.data, flows.error]);
  // A page past the last one (an old link, a typed URL, fewer flows since) goes to the last page
  // that has rows, in the URL too.
  const answered = flows.data;
  const target = answered ? clampPage(query.page, query.size, answered.total) : query.page;
  useEffect(() => {
    if (target !== query.page) setQuery({ page: target });
  }, [target, query.page, setQuery]);

  const columns = useMemo(() => flowColumns(labels, sessionId, packets), [labels, sessionId, packets]);

  const sorting: SortingState = [{ id: SORT_TO_COLUMN[query.sort] ?? 'bytes', desc: query.order === 'desc' }];
  const table = useReactTable({
    data: shown?.flows ?? [],
    columns,
    state: { sorting },
    manualSorting: true,
    manualPagination: true,
    manualFiltering: true,
    enableSortingRemoval: false,
    getCoreRowModel: getCoreRowModel(),
  });

  const total = shown?.total ?? 0;
  const rows = shown?.flows.length ?? 0;

  // The table's width, which the address columns share with the others (columnWidths).
  const [wrap, setWrap] = useState<HTMLDivElement | null>(null);
  const [wrapPx, setWrapPx] = useState(0);
  useLayoutEffect(() => {
    if (!wrap) return;
    setWrapPx(wrap.clientWidth);
    const watch = new ResizeObserver(() => setWrapPx(wrap.clientWidth));
    watch.observe(wrap);
    return () => watch.disconnect();
  }, [wrap]);
  const columnWidth = columnWidths(shown?.flows ?? [], wrapPx);

  const toggleSort = (columnId: string) => {
    const sort = SORTABLE[columnId];
    if (!sort) return;
    if (sort === query.sort) setQuery({ order: query.order === 'desc' ? 'asc' : 'desc', page: 0 });
    else setQuery({ sort, order: sort === 'start_timestamp' ? 'asc' : 'desc', page: 0 });
  };

  if (flows.error && flows.error.status !== 400)
    return <ErrorNote error={flows.error} retry={flows.reload} />;
  return (
    <>
      {flows.error && (
        <p className="form-error" role="alert">
          {flows.error.message}
        </p>
      )}
      <div ref={setWrap} className={`table-wrap flows-wrap${flows.loading ? ' is-loading' : ''}`}>
        <table className="table flows" data-testid="flows-table" style={{ minWidth: MIN_TABLE_PX }}>
          <thead>
            {table.getHeaderGroups().map((hg) => (
              <tr key={hg.id}>
                {hg.headers.map((h) => {
                  const numeric = (h.column.columnDef.meta as { numeric?: boolean } | undefined)?.numeric;
                  const sortable = h.column.id in SORTABLE;
                  const active = SORT_TO_COLUMN[query.sort] === h.column.id;
                  return (
                    <th
                      key={h.id}
                      className={`col-${h.column.id}${numeric ? ' num' : ''}`}
                      style={{ width: columnWidth(h.column.id) }}
                      aria-sort={active ? (query.order === 'asc' ? 'ascending' : 'descending') : undefined}
                    >
                      {sortable ? (
                        <SortButton
                          label={flexRender(h.column.columnDef.header, h.getContext())}
                          active={active}
                          order={query.order}
                          onToggle={() => toggleSort(h.column.id)}
                        />
                      ) : (
                        flexRender(h.column.columnDef.header, h.getContext())
                      )}
                    </th>
                  );
                })}
              </tr>
            ))}
          </thead>
          <tbody>
            {table.getRowModel().rows.map((r) => (
              <tr key={r.original.flow_id}>
                {r.getVisibleCells().map((c) => (
                  <td
                    key={c.id}
                    className={`col-${c.column.id}${
                      (c.column.columnDef.meta as { numeric?: boolean } | undefined)?.numeric ? ' num' : ''
                    }`}
                  >
                    {flexRender(c.column.columnDef.cell, c.getContext())}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        {!shown && !flows.error && <Loading />}
        {flows.error && (
          <div className="state state-empty">No flows shown: the server refused this filter.</div>
        )}
        {shown && rows === 0 && total === 0 && (
          <div className="state state-empty">No flow matches these filters.</div>
        )}
        {shown && rows === 0 && total > 0 && <Loading />}
      </div>
      <FlowsPager shown={shown} refused={flows.error !== undefined} query={query} setQuery={setQuery} />
    </>
  );
}
