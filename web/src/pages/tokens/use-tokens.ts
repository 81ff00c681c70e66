import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiFetch } from '../../api/client.js';
import type { ApiTokenJson, CreatedTokenJson } from '../../../../src/protocol/user-schemas.js';

const TOKENS_KEY = ['tokens'] as const;

/** `GET /api/tokens`: the signed-in user's API tokens (docs/USERS.md). */
export function useTokens() {
  return useQuery({
    queryKey: TOKENS_KEY,
    queryFn: ({ signal }) => apiFetch<{ tokens: ApiTokenJson[] }>('/api/tokens', { signal }),
  });
}

/** Create (the answer holds the secret, shown once) and revoke; both refresh the list. */
export function useTokenActions() {
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: TOKENS_KEY });
  const create = useMutation({
    mutationFn: (body: { name: string; expiresAt?: string }) =>
      apiFetch<CreatedTokenJson>('/api/tokens', { method: 'POST', body }),
    onSuccess: refresh,
  });
  const revoke = useMutation({
    mutationFn: (id: string) =>
      apiFetch<ApiTokenJson>(`/api/tokens/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: refresh,
  });
  return { create, revoke };
}
