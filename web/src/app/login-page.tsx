import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { AuthProvidersJson } from '../../../src/protocol/auth-schemas.js';
import { apiFetch, ApiError, setCsrfToken } from '../api/client.js';
import { ME_KEY, type Me } from './session.js';

// Kept once read: a component may be mounted twice (StrictMode), the address holds it no more.
let ssoError: string | null | undefined;

/**
 * Why a single sign-on just failed: the server's callback comes back here with `?sso_error=`.
 * Read once and taken out of the address, so a reload does not show it again.
 */
function takeSsoError(): string | null {
  if (ssoError === undefined) {
    const url = new URL(window.location.href);
    ssoError = url.searchParams.get('sso_error');
    if (ssoError !== null) {
      url.searchParams.delete('sso_error');
      window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
    }
  }
  return ssoError;
}

/** Shown instead of the dashboard while the server wants a sign-in (it has users, docs/USERS.md). */
export function LoginPage() {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(takeSsoError);
  const providers = useQuery({
    queryKey: ['auth', 'providers'],
    queryFn: ({ signal }) => apiFetch<AuthProvidersJson>('/api/auth/providers', { signal }),
    staleTime: Infinity,
  });
  const sso = providers.data?.sso ?? null;
  const [pending, setPending] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setPending(true);
    setError(null);
    try {
      const me = await apiFetch<Me>('/api/auth/login', { method: 'POST', body: { name, password } });
      setCsrfToken(me.csrfToken ?? null);
      queryClient.setQueryData(ME_KEY, me);
      // Everything read before signing in was refused: read it again.
      await queryClient.invalidateQueries({ predicate: (query) => query.queryKey[0] !== ME_KEY[0] });
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : String(failure));
    } finally {
      setPassword('');
      setPending(false);
    }
  };
  return (
    <main className="content login-page">
      <form className="card login-form" onSubmit={(event) => void submit(event)} aria-label="Sign in">
        <h1>Sign in to StepFlow</h1>
        <label htmlFor="login-name">User name</label>
        <input
          id="login-name"
          autoComplete="username"
          autoFocus
          value={name}
          onChange={(event) => setName(event.target.value)}
        />
        <label htmlFor="login-password">Password</label>
        <input
          id="login-password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
        {error !== null && (
          <p className="error-text" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="button primary" disabled={pending || name === '' || password === ''}>
          {pending ? 'Signing in…' : 'Sign in'}
        </button>
        {sso !== null && (
          // A navigation, not a fetch: the provider's pages take over the window.
          <a className="button sso-button" href={sso.loginUrl}>
            Sign in with SSO
          </a>
        )}
      </form>
    </main>
  );
}
