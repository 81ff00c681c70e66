import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiFetch } from '../../api/client.js';
import type { UserJson } from '../../../../src/protocol/user-schemas.js';

const USERS_KEY = ['users'] as const;

/** `GET /api/users` (admins). */
export function useUsers() {
  return useQuery({
    queryKey: USERS_KEY,
    queryFn: ({ signal }) => apiFetch<{ users: UserJson[] }>('/api/users', { signal }),
  });
}

type Changes = { role?: string; disabled?: boolean; password?: string };

/** Add, change (role, disabled, password) and remove users; each refreshes the list. */
export function useUserActions() {
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: USERS_KEY });
  const add = useMutation({
    mutationFn: (body: { name: string; role: string; password: string }) =>
      apiFetch<UserJson>('/api/users', { method: 'POST', body }),
    onSuccess: refresh,
  });
  const update = useMutation({
    mutationFn: ({ name, changes }: { name: string; changes: Changes }) =>
      apiFetch<UserJson>(`/api/users/${encodeURIComponent(name)}`, { method: 'PATCH', body: changes }),
    onSettled: refresh,
  });
  const remove = useMutation({
    mutationFn: (name: string) =>
      apiFetch<void>(`/api/users/${encodeURIComponent(name)}`, { method: 'DELETE' }),
    onSettled: refresh,
  });
  return { add, update, remove };
}
