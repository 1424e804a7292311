import { flexRender, getCoreRowModel, useReactTable } from '@tanstack/react-table';
import { useEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { formatCount } from '../../../../src/format/index.js';
import { useApi } from '../../api/hooks';
import type { Session, Summary } from '../../api/types';
import { Card, ErrorNote, Loading } from '../../components/ui';
import { type LogRow, logColumns } from './log-columns';
import {
  LOG_PAGE_SIZE,
  LOG_SORTS,
  LOG_TABS,
  type LogQuery,
  logsPath,
  readLogQuery,
  writeLogQuery,
} from './log-query';
import './logs.css';
import { SortButton } from '../../components/SortButton';

interface LogsResponse {
  total: number;
  total_exact: boolean;
  rows: LogRow[];
}

// The Logs page: the session's DNS queries, HTTP requests and TLS handshakes, a tab each, searched,
// sorted and paged by the server; each row links to its flow and its packets.

export function LogsPage({ session, summary }: { session: Session; summary: Summary }) {
  const id = session.session_id;
  const [search, setSearch] = useSearchParams();
  const query = readLogQuery(search);
  const setQuery = (q: Partial<LogQuery>) =>
    setSearch(writeLogQuery(search, { ...query, ...q }), { replace: true });
  const logs = useApi<LogsResponse>(logsPath(id, query));
  const [typed, setTyped] = useState(query.q);
  useEffect(() => setTyped(query.q), [query.q]);
  const columns = useMemo(() => logColumns(query.tab, id), [query.tab, id]);
  const table = useReactTable({
    data: logs.data?.rows ?? [],
    columns,
    manualSorting: true,
    manualPagination: true,
    getCoreRowModel: getCoreRowModel(),
  });
  const counts = summary as Summary & {
    dns?: { transactions: number } | null;
    http?: { transactions: number } | null;
    tls?: { handshakes: number } | null;
  };
  const tabCount = {
    dns: counts.dns?.transactions,
    http: counts.http?.transactions,
    tls: counts.tls?.handshakes,
  };
  const noLogs = counts.dns === null || counts.dns === undefined;
  const total = logs.data?.total ?? 0;
  const first = query.page * LOG_PAGE_SIZE;
  const sortable = LOG_SORTS[query.tab];

  const toggleSort = (col: string) => {
    if (!sortable.includes(col)) return;
    if (col === query.sort) setQuery({ order: query.order === 'asc' ? 'desc' : 'asc', page: 0 });
    else setQuery({ sort: col, order: col === 'ts' ? 'asc' : 'desc', page: 0 });
  };

  return (
    <div className="page logs">
      <Card
        title="Protocol logs"
        subtitle={
          noLogs
            ? 'This session was analysed without protocol logs.'
            : 'Every DNS query, HTTP request and TLS handshake, as Zeek logs them. Text is the capture’s own.'
        }
      >
        <div className="log-tabs" role="tablist">
          {LOG_TABS.map((t) => (
            <button
              key={t.key}
              type="button"
              role="tab"
              aria-selected={query.tab === t.key}
              className={`log-tab${query.tab === t.key ? ' active' : ''}`}
              data-testid={`log-tab-${t.key}`}
              onClick={() => setQuery({ tab: t.key, sort: 'ts', order: 'asc', page: 0 })}
            >
              {t.label}
              {tabCount[t.key] !== undefined && (
                <span className="log-count">{formatCount(tabCount[t.key])}</span>
              )}
            </button>
          ))}
        </div>
        <form
          className="log-search"
          onSubmit={(e) => {
            e.preventDefault();
            setQuery({ q: typed.trim(), page: 0 });
          }}
        >
          <input
            type="search"
            value={typed}
            maxLength={200}
            placeholder={
              {
                dns: 'name, type, response…',
                http: 'host, URI, agent, status…',
                tls: 'server name, JA4, JA3, cipher…',
              }[query.tab]
            }
            aria-label="Search the log"
            data-testid="log-search"
            onChange={(e) => setTyped(e.target.value)}
          />
          <button type="submit" className="btn btn-small">
            Search
          </button>
          {query.flow !== null && (
            <button type="button" className="btn btn-small" onClick={() => setQuery({ flow: null, page: 0 })}>
              Flow {query.flow} only ✕
            </button>
          )}
        </form>
        {logs.error && logs.error.status !== 400 ? (
          <ErrorNote error={logs.error} retry={logs.reload} />
        ) : (
          <div className={`table-wrap${logs.loading ? ' is-loading' : ''}`}>
            {logs.error && (
              <p className="form-error" role="alert">
                {logs.error.message}
              </p>
            )}
            <table className="table log-table" data-testid={`log-table-${query.tab}`}>
              <thead>
                {table.getHeaderGroups().map((hg) => (
                  <tr key={hg.id}>
                    {hg.headers.map((h) => {
                      const active = query.sort === h.column.id;
                      const numeric = (h.column.columnDef.meta as { numeric?: boolean } | undefined)?.numeric;
                      return (
                        <th
                          key={h.id}
                          className={`col-${h.column.id}${numeric ? ' num' : ''}`}
                          aria-sort={
                            active ? (query.order === 'asc' ? 'ascending' : 'descending') : undefined
                          }
                        >
                          {sortable.includes(h.column.id) ? (
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
                  <tr key={r.id} data-testid="log-row">
                    {r.getVisibleCells().map((c) => (
                      <td
                        key={c.id}
                        className={`col-${c.column.id}${
                          (c.column.columnDef.meta as { numeric?: boolean } | undefined)?.numeric
                            ? ' num'
                            : ''
                        }`}
                      >
                        {flexRender(c.column.columnDef.cell, c.getContext())}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
            {!logs.data && !logs.error && <Loading />}
            {logs.data && logs.data.rows.length === 0 && (
              <div className="state state-empty">
                {query.q || query.flow !== null ? 'No transaction matches.' : 'No transactions in this log.'}
              </div>
            )}
          </div>
        )}
        <div className="pager">
          <span>
            {total === 0
              ? ''
              : `${formatCount(first + 1)}–${formatCount(Math.min(first + LOG_PAGE_SIZE, total))} of ${formatCount(total)}${logs.data?.total_exact === false ? '+' : ''}`}
          </span>
          <button
            type="button"
            className="btn btn-small"
            disabled={query.page === 0}
            onClick={() => setQuery({ page: query.page - 1 })}
          >
            Previous
          </button>
          <button
            type="button"
            className="btn btn-small"
            disabled={first + LOG_PAGE_SIZE >= total}
            onClick={() => setQuery({ page: query.page + 1 })}
          >
            Next
          </button>
        </div>
      </Card>
    </div>
  );
}
