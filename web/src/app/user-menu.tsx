import { useQueryClient } from '@tanstack/react-query';
import { apiFetch, setCsrfToken } from '../api/client.js';
import { useMe } from './session.js';

/** Who is signed in, and a way out. Nothing while the server has no users (the local open mode). */
export function UserMenu() {
  const { data: me } = useMe();
  const queryClient = useQueryClient();
  if (me?.kind !== 'user') return null;
  const signOut = async () => {
    await apiFetch('/api/auth/logout', { method: 'POST' });
    setCsrfToken(null);
    // Nothing read as this user stays on screen; `me` asks again and gets the login page.
    await queryClient.resetQueries();
  };
  return (
    <span className="user-menu">
      <span className="user-name" aria-label="Signed in as">
        {me.name} <span className="muted">({me.role})</span>
      </span>
      <button type="button" className="button ghost" onClick={() => void signOut()}>
        Sign out
      </button>
    </span>
  );
}
