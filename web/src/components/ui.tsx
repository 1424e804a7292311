import { type ReactNode, useEffect, useRef } from 'react';
import type { ApiError } from '../api/request';
import type { SessionStatus } from '../api/types';
import { severityColor } from '../colors';

export function Card({
  title,
  subtitle,
  actions,
  children,
  className,
}: {
  title?: ReactNode;
  subtitle?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
}) {
  return (
    <section className={`card${className ? ` ${className}` : ''}`}>
      {(title || actions) && (
        <header className="card-head">
          <div>
            {title && <h2>{title}</h2>}
            {subtitle && <p className="card-sub">{subtitle}</p>}
          </div>
          {actions && <div className="card-actions">{actions}</div>}
        </header>
      )}
      {children}
    </section>
  );
}

export function Loading({ label = 'Loading…', height }: { label?: string; height?: number }) {
  return (
    <div className="state state-loading" style={height ? { minHeight: height } : undefined} aria-busy="true">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function Empty({ children, height }: { children: ReactNode; height?: number }) {
  return (
    <div className="state state-empty" style={height ? { minHeight: height } : undefined}>
      {children}
    </div>
  );
}

export function ErrorNote({
  error,
  retry,
  height,
}: {
  error: ApiError | Error;
  retry?: () => void;
  height?: number;
}) {
  return (
    <div className="state state-error" role="alert" style={height ? { minHeight: height } : undefined}>
      <strong>Could not load this.</strong> {error.message}
      {retry && (
        <button type="button" className="btn btn-small" onClick={retry}>
          Retry
        </button>
      )}
    </div>
  );
}

/**
 * Loading, error or content for one API answer: the one place every widget's three states come
 * from. `empty` decides whether a loaded answer has nothing to show.
 */
export function Async<T>({
  state,
  height,
  empty,
  emptyText,
  children,
}: {
  state: { data: T | undefined; error: ApiError | undefined; loading: boolean; reload: () => void };
  height?: number;
  empty?: (data: T) => boolean;
  emptyText?: ReactNode;
  children: (data: T) => ReactNode;
}) {
  if (state.error) return <ErrorNote error={state.error} retry={state.reload} height={height} />;
  if (state.data === undefined) return <Loading height={height} />;
  if (empty?.(state.data)) return <Empty height={height}>{emptyText ?? 'Nothing to show.'}</Empty>;
  return <>{children(state.data)}</>;
}

const STATUS_TEXT: Record<SessionStatus, string> = {
  queued: 'Queued',
  processing: 'Analysing',
  completed: 'Completed',
  failed: 'Failed',
};

export function StatusBadge({ status }: { status: SessionStatus }) {
  return <span className={`badge badge-${status}`}>{STATUS_TEXT[status] ?? status}</span>;
}

export function SeverityBadge({ severity }: { severity: string }) {
  return (
    <span className="badge badge-severity" style={{ background: severityColor(severity) }}>
      {severity}
    </span>
  );
}

export function ProgressBar({ value, label }: { value: number | null; label?: string }) {
  const pct = value === null ? null : Math.max(0, Math.min(1, value)) * 100;
  return (
    <div
      className={`progress${pct === null ? ' progress-indeterminate' : ''}`}
      role="progressbar"
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct === null ? undefined : Math.round(pct)}
      aria-label={label}
    >
      <div className="progress-fill" style={pct === null ? undefined : { width: `${pct}%` }} />
    </div>
  );
}

/** A horizontal share bar (0–100). */
export function ShareBar({ pct, color }: { pct: number; color?: string }) {
  const w = Math.max(0, Math.min(100, pct));
  return (
    <div className="sharebar" aria-hidden="true">
      <div className="sharebar-fill" style={{ width: `${w}%`, background: color }} />
    </div>
  );
}

export function Stat({
  label,
  value,
  note,
  title,
}: {
  label: string;
  value: ReactNode;
  note?: ReactNode;
  title?: string;
}) {
  return (
    <div className="stat" title={title}>
      <div className="stat-label">{label}</div>
      <div className="stat-value">{value}</div>
      {note && <div className="stat-note">{note}</div>}
    </div>
  );
}

/** A modal confirmation built on <dialog>: Escape and the Cancel button close it. */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  busy,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} className="dialog" onClose={onCancel} aria-labelledby="dialog-title">
      <h2 id="dialog-title">{title}</h2>
      <div className="dialog-body">{children}</div>
      <div className="dialog-actions">
        <button type="button" className="btn" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
        <button type="button" className="btn btn-danger" onClick={onConfirm} disabled={busy}>
          {busy ? 'Deleting…' : confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

export function Dot({ color }: { color: string }) {
  return <span className="dot" style={{ background: color }} aria-hidden="true" />;
}
