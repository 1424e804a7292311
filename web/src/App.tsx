import { useEffect, useState } from 'react';
import { RouterProvider } from 'react-router';
import { type ApiError, getFresh, onUnauthorized } from './api/request';
import type { AuthState } from './api/types';
import { ErrorNote, Loading } from './components/ui';
import { router } from './router';
import { Login } from './shell/Login';
import { AuthContext } from './shell/SignOut';

/** Asks the server whether a token is needed first; any later 401 brings the login form back. */
export function App() {
  const [auth, setAuth] = useState<AuthState | null>(null);
  const [authError, setAuthError] = useState<ApiError | null>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    void n;
    // (The early request, if any, answers the first time; a retry asks again.)
    getFresh<AuthState>('/api/auth').then(setAuth, (err: ApiError) => {
      // A server without the endpoint (404) has no authentication.
      if (err.status === 404) setAuth({ required: false, authenticated: true });
      else setAuthError(err);
    });
  }, [n]);
  useEffect(() => onUnauthorized(() => setAuth({ required: true, authenticated: false })), []);
  if (authError) {
    return (
      <div className="login-page">
        <ErrorNote
          error={authError}
          retry={() => {
            setAuthError(null);
            setN((x) => x + 1);
          }}
        />
      </div>
    );
  }
  if (!auth) return <Loading label="Connecting…" />;
  if (auth.required && !auth.authenticated)
    return <Login onDone={() => setAuth({ required: true, authenticated: true })} />;
  return (
    <AuthContext.Provider
      value={{
        required: auth.required,
        signOut: () => setAuth({ required: true, authenticated: false }),
      }}
    >
      <RouterProvider router={router} />
    </AuthContext.Provider>
  );
}
