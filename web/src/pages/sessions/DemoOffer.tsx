import { useState } from 'react';
import { ApiError, apiRequest } from '../../api/request';
import { Empty } from '../../components/ui';
import { useSessions } from '../../shell/sessions';

/** What an empty server shows: the demo capture to load (POST /api/demo). */
export function DemoOffer() {
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
