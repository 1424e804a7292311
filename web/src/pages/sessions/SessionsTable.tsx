import {
  createColumnHelper,
  flexRender,
  getCoreRowModel,
  getSortedRowModel,
  type SortingState,
  useReactTable,
} from '@tanstack/react-table';
import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatInstant,
  formatPercent,
  formatTimestampText,
} from '../../../../src/format/index.js';
import type { ProgressEvent, Session } from '../../api/types';
import { UserText } from '../../components/UserText';
import { ProgressBar, StatusBadge } from '../../components/ui';
import { useSessions } from '../../shell/sessions';

const PHASE_TEXT: Record<string, string> = {
  queued: 'Waiting for its turn',
  reading: 'Reading packets',
  detecting: 'Scoring windows',
  storing: 'Storing',
  done: 'Done',
};

function Progress({ session, p }: { session: Session; p: ProgressEvent | undefined }) {
  const phase = p?.phase ?? session.phase ?? session.status;
  const value = p?.progress ?? session.progress ?? null;
  return (
    <div className="row-progress">
      <div className="row-progress-text">
        {PHASE_TEXT[phase] ?? phase}
        {value !== null && session.status === 'processing' ? ` · ${formatPercent(value * 100, 0)}` : ''}
        {p && p.packets > 0 ? ` · ${formatCount(p.packets)} packets` : ''}
      </div>
      <ProgressBar value={session.status === 'queued' ? 0 : value} label={`Analysis of ${session.name}`} />
    </div>
  );
}

const col = createColumnHelper<Session>();

/** Every analysed capture, sortable, with its analysis' progress and its actions. */
export function SessionsTable({
  sessions,
  onDelete,
}: {
  sessions: Session[];
  onDelete: (s: Session) => void;
}) {
  const { progress } = useSessions();
  const [sorting, setSorting] = useState<SortingState>([]);
  const columns = useMemo(
    () => [
      col.accessor('name', {
        header: 'Name',
        cell: (c) => {
          const s = c.row.original;
          return (
            <div className="cell-name">
              {s.status !== 'failed' ? (
                <Link to={`/sessions/${encodeURIComponent(s.session_id)}`}>
                  <UserText text={s.name} />
                </Link>
              ) : (
                <span>
                  <UserText text={s.name} />
                </span>
              )}
              {s.file_name && s.file_name !== s.name && (
                <div className="muted small">
                  <UserText text={s.file_name} />
                </div>
              )}
            </div>
          );
        },
      }),
      col.accessor('status', {
        header: 'Status',
        cell: (c) => {
          const s = c.row.original;
          if (s.status === 'queued' || s.status === 'processing')
            return (
              <div className="cell-status">
                <StatusBadge status={s.status} />
                <Progress session={s} p={progress[s.session_id]} />
              </div>
            );
          return (
            <div className="cell-status">
              <StatusBadge status={s.status} />
              {s.status === 'failed' && s.error && (
                <div className="error-text small">
                  <UserText text={s.error} />
                </div>
              )}
              {s.status === 'completed' && (
                <div className="small muted packets-state" data-testid="packets-state">
                  {s.packets_available ? (
                    s.capture_kept ? (
                      <>
                        Packets kept ({/* a size never split from its unit */}
                        <span className="nowrap">{formatBytes(s.kept_capture_bytes ?? 0)}</span>)
                      </>
                    ) : (
                      'Packets read from the original file'
                    )
                  ) : (
                    (s.packets_note ?? 'Packets not available')
                  )}
                </div>
              )}
            </div>
          );
        },
      }),
      col.accessor('file_size', {
        header: 'File size',
        cell: (c) => formatBytes(c.getValue()),
        meta: { numeric: true },
      }),
      col.accessor('packets', {
        header: 'Packets',
        cell: (c) => formatCount(c.getValue()),
        meta: { numeric: true },
      }),
      col.accessor('bytes', {
        header: 'Bytes',
        cell: (c) => formatBytes(c.getValue()),
        meta: { numeric: true },
      }),
      col.accessor('duration_s', {
        header: 'Duration',
        cell: (c) => formatDuration(c.getValue()),
        meta: { numeric: true },
      }),
      col.accessor('first_ts', {
        header: 'Capture start (UTC)',
        cell: (c) => (c.getValue() ? formatTimestampText(c.getValue()).slice(0, 19) : '—'),
        sortingFn: (a, b) => Number(a.original.first_ts ?? 0) - Number(b.original.first_ts ?? 0),
      }),
      col.accessor('created_at', {
        header: 'Added (UTC)',
        cell: (c) => <span className="nowrap">{formatInstant(c.getValue()).replace(' UTC', '')}</span>,
      }),
      col.display({
        id: 'actions',
        header: () => <span className="visually-hidden">Actions</span>,
        cell: (c) => (
          <div className="cell-actions">
            {c.row.original.status === 'completed' && (
              <Link
                className="btn btn-small"
                to={`/sessions/${encodeURIComponent(c.row.original.session_id)}`}
              >
                Open
              </Link>
            )}
            <button
              type="button"
              className="btn btn-small btn-danger-quiet"
              onClick={() => onDelete(c.row.original)}
            >
              Delete
            </button>
          </div>
        ),
      }),
    ],
    [progress, onDelete],
  );
  const table = useReactTable({
    data: sessions,
    columns,
    state: { sorting },
    onSortingChange: setSorting,
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
  });
  return (
    <table className="table" data-testid="sessions-table">
      <thead>
        {table.getHeaderGroups().map((hg) => (
          <tr key={hg.id}>
            {hg.headers.map((h) => {
              const numeric = (h.column.columnDef.meta as { numeric?: boolean } | undefined)?.numeric;
              const sortable = h.column.getCanSort();
              const dir = h.column.getIsSorted();
              return (
                <th
                  key={h.id}
                  className={numeric ? 'num' : undefined}
                  aria-sort={dir === 'asc' ? 'ascending' : dir === 'desc' ? 'descending' : undefined}
                >
                  {sortable ? (
                    <button type="button" className="th-sort" onClick={h.column.getToggleSortingHandler()}>
                      {flexRender(h.column.columnDef.header, h.getContext())}
                      <span className="sort-mark">{dir === 'asc' ? '▲' : dir === 'desc' ? '▼' : ''}</span>
                    </button>
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
          <tr key={r.id} data-session-id={r.original.session_id}>
            {r.getVisibleCells().map((c) => (
              <td
                key={c.id}
                className={
                  (c.column.columnDef.meta as { numeric?: boolean } | undefined)?.numeric ? 'num' : undefined
                }
              >
                {flexRender(c.column.columnDef.cell, c.getContext())}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
