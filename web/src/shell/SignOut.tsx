import { createContext, useContext, useState } from 'react';
import { apiRequest } from '../api/request';

/** Whether this server asks for a token, and how to end the login (App provides it). */
export const AuthContext = createContext<{ required: boolean; signOut: () => void } | null>(null);

/** "Sign out" in the header, on a server with a token: ends the login on the server. */
export function SignOut() {
  const auth = useContext(AuthContext);
  const [busy, setBusy] = useState(false);
  if (!auth?.required) return null;
  const onClick = async () => {
    setBusy(true);
    try {
      await apiRequest('/api/logout', { method: 'POST' });
    } catch {
      // The cookie is cleared on any answer; an unreachable server keeps it, and the form shows.
    }
    auth.signOut();
  };
  return (
    <button type="button" className="btn btn-small" onClick={onClick} disabled={busy}>
      {busy ? 'Signing out…' : 'Sign out'}
    </button>
  );
}
