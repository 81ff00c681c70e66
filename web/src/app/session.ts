import { useQuery } from '@tanstack/react-query';
import type { Static } from '@sinclair/typebox';
import type { AuthMeSchema } from '../../../src/protocol/auth-schemas.js';
import { ApiError, apiFetch, setCsrfToken } from '../api/client.js';

export type Me = Static<typeof AuthMeSchema>;
type Permission = Me['permissions'][number];

/** The query key of `GET /api/auth/me`: sign-in and sign-out invalidate it. */
export const ME_KEY = ['auth', 'me'] as const;

/**
 * Who is signed in (docs/USERS.md): what the header shows and what buttons are hidden by. A 401
 * whose details say `signIn` means the server has users and wants a sign-in (the login page).
 */
export function useMe() {
  return useQuery({
    queryKey: ME_KEY,
    queryFn: async ({ signal }) => {
      const me = await apiFetch<Me>('/api/auth/me', { signal });
      setCsrfToken(me.csrfToken ?? null);
      return me;
    },
    retry: false,
    staleTime: 60_000,
  });
}

/** Whether the server asks this browser to sign in (a 401 naming sign-in). */
export function needsSignIn(error: unknown): boolean {
  return (
    error instanceof ApiError &&
    error.status === 401 &&
    (error.details as { signIn?: unknown } | undefined)?.signIn === true
  );
}

/** Whether the signed-in caller may do what needs `permission` (true until known: the server decides). */
export function useCan(permission: Permission): boolean {
  const { data } = useMe();
  return data === undefined || data.permissions.includes(permission);
}
