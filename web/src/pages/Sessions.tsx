import {
  createColumnHelper,
  flexRender,
  getCoreRowModel,
  getSortedRowModel,
  type SortingState,
  useReactTable,
} from '@tanstack/react-table';
import { type DragEvent, type FormEvent, useMemo, useRef, useState } from 'react';
import { Link } from 'react-router';
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatInstant,
  formatPercent,
  formatTimestampText,
} from '../../../src/format/index.js';
import { ApiError, apiRequest, STATE_CHANGE_HEADER, sessionPath } from '../api';
import { ConfirmDialog, Empty, ErrorNote, Loading, ProgressBar, StatusBadge } from '../components/ui';
import { useSessions } from '../sessions';
import type { ProgressEvent, Session } from '../types';

const PHASE_TEXT: Record<string, string> = {
  queued: 'Waiting for its turn',
  reading: 'Reading packets',
  detecting: 'Scoring windows',
  storing: 'Storing',
  done: 'Done',
};

interface UploadFields {
  name: string;
  localNets: string;
  window: string;
  baseline: string;
}

/**
 * POSTs the capture as multipart with XMLHttpRequest, whose upload events give a progress bar
 * (fetch has none). The text fields go before the file so a streaming parser has them first.
 */
function uploadCapture(
  file: File,
  fields: UploadFields,
  onProgress: (loaded: number, total: number) => void,
): { done: Promise<string>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const done = new Promise<string>((resolve, reject) => {
    xhr.open('POST', '/api/sessions');
    for (const [k, v] of Object.entries(STATE_CHANGE_HEADER)) xhr.setRequestHeader(k, v);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      let body: { session_id?: string; error?: string } = {};
      try {
        body = JSON.parse(xhr.responseText || '{}');
      } catch {
        // not JSON
      }
      if (xhr.status >= 200 && xhr.status < 300 && body.session_id) resolve(body.session_id);
      else reject(new ApiError(xhr.status, body.error ?? `Upload failed (${xhr.status} ${xhr.statusText}).`));
    };
    xhr.onerror = () => reject(new ApiError(0, 'The upload was interrupted: the server cannot be reached.'));
    xhr.onabort = () => reject(new ApiError(0, 'Upload cancelled.'));
    const form = new FormData();
    if (fields.name.trim()) form.append('name', fields.name.trim());
    if (fields.localNets.trim()) form.append('local_nets', fields.localNets.replace(/\s+/g, ''));
    if (fields.window.trim() && fields.window.trim() !== 'auto') form.append('window', fields.window.trim());
    if (fields.baseline) form.append('baseline', fields.baseline);
    form.append('file', file, file.name);
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}

function checkFields(f: UploadFields): string | null {
  const w = f.window.trim();
  if (w && w !== 'auto' && !(Number(w) > 0)) return 'Window length: "auto" or a number of seconds above 0.';
  const nets = f.localNets
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  const cidr = /^([0-9.]+|[0-9a-fA-F:]+)\/\d{1,3}$/;
  const bad = nets.find((n) => !cidr.test(n));
  if (bad) return `Local networks: "${bad}" is not a CIDR like 10.0.0.0/8.`;
  return null;
}

type UploadState =
  | { kind: 'idle' }
  | { kind: 'uploading'; file: File; loaded: number; total: number; abort: () => void }
  | { kind: 'sent'; file: File; sessionId: string }
  | { kind: 'error'; message: string };

function UploadCard({ sessions }: { sessions: Session[] }) {
  const { reload } = useSessions();
  const [file, setFile] = useState<File | null>(null);
  const [fields, setFields] = useState<UploadFields>({
    name: '',
    localNets: '',
    window: 'auto',
    baseline: '',
  });
  const [state, setState] = useState<UploadState>({ kind: 'idle' });
  const [over, setOver] = useState(false);
  const [showOptions, setShowOptions] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const completed = sessions.filter((s) => s.status === 'completed');

  const pick = (f: File | undefined) => {
    if (!f) return;
    setFile(f);
    if (state.kind !== 'uploading') setState({ kind: 'idle' });
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    pick(e.dataTransfer.files[0]);
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    const problem = checkFields(fields);
    if (problem) {
      setState({ kind: 'error', message: problem });
      return;
    }
    const { done, abort } = uploadCapture(file, fields, (loaded, total) =>
      setState({ kind: 'uploading', file, loaded, total, abort }),
    );
    setState({ kind: 'uploading', file, loaded: 0, total: file.size, abort });
    try {
      const sessionId = await done;
      setState({ kind: 'sent', file, sessionId });
      setFile(null);
      setFields((f) => ({ ...f, name: '' }));
      if (input.current) input.current.value = '';
      reload();
    } catch (err) {
      setState({ kind: 'error', message: (err as Error).message });
    }
  };
  const uploading = state.kind === 'uploading';

  return (
    <form className="card upload" onSubmit={submit}>
      {/* biome-ignore lint/a11y/noStaticElementInteractions: a drop target; the file button inside it is the keyboard and screen-reader path */}
      <div
        className={`dropzone${over ? ' over' : ''}${file ? ' has-file' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
        data-testid="dropzone"
      >
        <div className="dropzone-text">
          {file ? (
            <>
              <strong>{file.name}</strong> <span className="muted">({formatBytes(file.size)})</span>
            </>
          ) : (
            <>
              <strong>Drop a capture here</strong>
              <span className="muted"> — pcap or pcapng, optionally gzip-compressed</span>
            </>
          )}
        </div>
        <label className="btn">
          {file ? 'Choose another file' : 'Choose a file'}
          <input
            ref={input}
            type="file"
            className="visually-hidden"
            accept=".pcap,.pcapng,.cap,.gz,.pcap.gz,.pcapng.gz,application/vnd.tcpdump.pcap"
            onChange={(e) => pick(e.target.files?.[0])}
            data-testid="file-input"
          />
        </label>
      </div>
      <div className="upload-row">
        <label className="field field-name">
          <span>Name</span>
          <input
            type="text"
            placeholder={file?.name ?? 'the file name'}
            value={fields.name}
            onChange={(e) => setFields({ ...fields, name: e.target.value })}
          />
        </label>
        <button type="button" className="btn btn-link" onClick={() => setShowOptions(!showOptions)}>
          {showOptions ? 'Fewer options' : 'More options'}
        </button>
        <button type="submit" className="btn btn-primary" disabled={!file || uploading}>
          {uploading ? 'Uploading…' : 'Upload and analyse'}
        </button>
      </div>
      {showOptions && (
        <div className="upload-row upload-options">
          <label className="field">
            <span>Local networks</span>
            <input
              type="text"
              placeholder="default: RFC 1918, CGNAT, link-local, loopback, ULA"
              value={fields.localNets}
              onChange={(e) => setFields({ ...fields, localNets: e.target.value })}
            />
            <small>Comma-separated CIDRs; decide what counts as inbound and outbound.</small>
          </label>
          <label className="field field-narrow">
            <span>Window length</span>
            <input
              type="text"
              value={fields.window}
              onChange={(e) => setFields({ ...fields, window: e.target.value })}
            />
            <small>"auto" or seconds</small>
          </label>
          <label className="field">
            <span>Baseline</span>
            <select
              value={fields.baseline}
              onChange={(e) => setFields({ ...fields, baseline: e.target.value })}
            >
              <option value="">This capture (no baseline)</option>
              {completed.map((s) => (
                <option key={s.session_id} value={s.session_id}>
                  {s.name}
                </option>
              ))}
            </select>
            <small>Score the windows with a model fitted on a known-normal session.</small>
          </label>
        </div>
      )}
      {state.kind === 'uploading' && (
        <div className="upload-status">
          <div className="upload-status-line">
            Uploading {state.file.name}:{' '}
            {formatPercent(state.total ? (state.loaded / state.total) * 100 : 0, 0)} (
            {formatBytes(state.loaded)} of {formatBytes(state.total)})
            <button type="button" className="btn btn-small" onClick={state.abort}>
              Cancel
            </button>
          </div>
          <ProgressBar value={state.total ? state.loaded / state.total : null} label="Upload progress" />
        </div>
      )}
      {state.kind === 'sent' && (
        <p className="upload-note" role="status">
          {state.file.name} uploaded. Its analysis runs in the list below;{' '}
          <Link to={`/sessions/${encodeURIComponent(state.sessionId)}`}>open it</Link> to watch it there.
        </p>
      )}
      {state.kind === 'error' && (
        <p className="form-error" role="alert">
          {state.message}
        </p>
      )}
    </form>
  );
}

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

function SessionsTable({ sessions, onDelete }: { sessions: Session[]; onDelete: (s: Session) => void }) {
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
                <Link to={`/sessions/${encodeURIComponent(s.session_id)}`}>{s.name}</Link>
              ) : (
                <span>{s.name}</span>
              )}
              {s.file_name && s.file_name !== s.name && <div className="muted small">{s.file_name}</div>}
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
              {s.status === 'failed' && s.error && <div className="error-text small">{s.error}</div>}
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
        cell: (c) => formatInstant(c.getValue()).replace(' UTC', ''),
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

function DemoOffer() {
  const { reload } = useSessions();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const load = async () => {
    setBusy(true);
    setError(null);
    try {
      await apiRequest<{ session_id: string }>('/api/demo', { method: 'POST' });
      reload();
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 404
          ? 'This server offers no demo capture. Upload a capture of your own above.'
          : (err as Error).message,
      );
      setBusy(false);
    }
  };
  return (
    <Empty height={220}>
      <p className="empty-title">No captures analysed yet.</p>
      <p className="muted">
        Drop a pcap or pcapng file above, or load the demo capture: a generated, labelled sample with ordinary
        traffic and a few known attacks, analysed like any upload.
      </p>
      <button type="button" className="btn btn-primary" onClick={load} disabled={busy}>
        {busy ? 'Loading the demo…' : 'Load the demo capture'}
      </button>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </Empty>
  );
}

export function SessionsPage() {
  const { sessions, error, reload, removed } = useSessions();
  const [victim, setVictim] = useState<Session | null>(null);
  const [busy, setBusy] = useState(false);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const onDelete = useMemo(
    () => (s: Session) => {
      setDeleteError(null);
      setVictim(s);
    },
    [],
  );
  const confirm = async () => {
    if (!victim) return;
    setBusy(true);
    try {
      await apiRequest(sessionPath(victim.session_id), { method: 'DELETE' });
      removed(victim.session_id);
      setVictim(null);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        removed(victim.session_id);
        setVictim(null);
      } else setDeleteError((err as Error).message);
    } finally {
      setBusy(false);
      reload();
    }
  };

  return (
    <div className="page sessions-page">
      <UploadCard sessions={sessions ?? []} />
      <section className="card">
        <header className="card-head">
          <div>
            <h2>Analysed captures</h2>
            <p className="card-sub">Newest first. Open one to see its overview.</p>
          </div>
        </header>
        {error ? (
          <ErrorNote error={error} retry={reload} />
        ) : !sessions ? (
          <Loading />
        ) : sessions.length === 0 ? (
          <DemoOffer />
        ) : (
          <SessionsTable sessions={sessions} onDelete={onDelete} />
        )}
      </section>
      <ConfirmDialog
        open={victim !== null}
        title="Delete this session?"
        confirmLabel="Delete session"
        busy={busy}
        onConfirm={confirm}
        onCancel={() => !busy && setVictim(null)}
      >
        <p>
          <strong>{victim?.name}</strong> and everything analysed from it (windows, flows, rankings, anomaly
          scores, insights) will be removed
          {victim?.status === 'processing' || victim?.status === 'queued'
            ? '; its analysis is cancelled'
            : ''}
          .
        </p>
        {deleteError && (
          <p className="form-error" role="alert">
            {deleteError}
          </p>
        )}
      </ConfirmDialog>
    </div>
  );
}
