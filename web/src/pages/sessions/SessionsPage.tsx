import { useMemo, useState } from 'react';
import { formatBytes } from '../../../../src/format/index.js';
import { ApiError, apiRequest, sessionPath } from '../../api/request';
import type { Session } from '../../api/types';
import { ConfirmDialog, ErrorNote, Loading } from '../../components/ui';
import { useSessions } from '../../shell/sessions';
import { DemoOffer } from './DemoOffer';
import { SessionsTable } from './SessionsTable';
import { UploadCard } from './UploadCard';

// The sessions page: the upload, the list of analysed captures (or the demo offer), and the
// confirmation before a session is deleted.

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
            <p className="card-sub">
              Newest first. Open one to see its overview.
              {sessions && sessions.length > 0 && (
                <span data-testid="kept-captures">
                  {' '}
                  Kept captures (for their packets) use{' '}
                  {formatBytes(sessions.reduce((n, s) => n + (s.kept_capture_bytes ?? 0), 0))} of disk.
                </span>
              )}
            </p>
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
