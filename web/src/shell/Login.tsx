import { type FormEvent, useState } from 'react';
import { ApiError, apiPostJson } from '../api/request';
import { Logo } from './Logo';

/** The sign-in form of a server that has a token (FLOWLENS_TOKEN); posts it to /api/login. */
export function Login({ onDone }: { onDone: () => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await apiPostJson('/api/login', { token });
      onDone();
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401 ? 'That token is not right.' : (err as Error).message,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="login-page">
      <form className="card login" onSubmit={submit}>
        <div className="login-brand">
          <Logo />
          <span>Flowlens</span>
        </div>
        <h1>Sign in</h1>
        <p className="muted">This Flowlens server needs its access token (FLOWLENS_TOKEN).</p>
        <label className="field">
          <span>Token</span>
          <input
            type="password"
            autoComplete="current-password"
            value={token}
            onChange={(e) => setToken(e.target.value)}
            required
          />
        </label>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="btn btn-primary" disabled={busy || token === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
