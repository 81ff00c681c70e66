import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Static } from '@sinclair/typebox';
import { apiFetch } from '../../api/client.js';
import type {
  EnvironmentBuildSchema,
  EnvironmentListSchema,
  EnvironmentSchema,
} from '../../../../src/protocol/environment-schemas.js';

export type EnvironmentJson = Static<typeof EnvironmentSchema>;
type EnvironmentBuildJson = Static<typeof EnvironmentBuildSchema>;

const ENVIRONMENTS_KEY = ['environments'] as const;

/**
 * `GET /api/environments`, polled: environment states are not on the live feed. Every second while
 * one builds (its badge turns ready or failed promptly), every 5 s otherwise (another user's changes).
 */
export function useEnvironments() {
  return useQuery({
    queryKey: ENVIRONMENTS_KEY,
    queryFn: ({ signal }) => apiFetch<Static<typeof EnvironmentListSchema>>('/api/environments', { signal }),
    refetchInterval: (query) =>
      query.state.data?.environments.some((environment) => environment.state === 'building') ? 1000 : 5000,
  });
}

export interface EnvironmentInput {
  interpreter: string;
  requirements: string[];
}

const path = (name: string) => `/api/environments/${encodeURIComponent(name)}`;

/** Create, change, build, reset and delete (operators); each refreshes the list. */
export function useEnvironmentActions() {
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: ENVIRONMENTS_KEY });
  const create = useMutation({
    mutationFn: (body: EnvironmentInput & { name: string }) =>
      apiFetch<EnvironmentJson>('/api/environments', { method: 'POST', body }),
    onSuccess: refresh,
  });
  const update = useMutation({
    mutationFn: ({ name, input }: { name: string; input: EnvironmentInput }) =>
      apiFetch<EnvironmentJson>(path(name), { method: 'PATCH', body: input }),
    onSuccess: refresh,
  });
  const build = useMutation({
    mutationFn: (name: string) => apiFetch<EnvironmentBuildJson>(`${path(name)}/build`, { method: 'POST' }),
    onSettled: refresh,
  });
  const reset = useMutation({
    mutationFn: (name: string) => apiFetch<EnvironmentJson>(`${path(name)}/reset`, { method: 'POST' }),
    onSettled: refresh,
  });
  const remove = useMutation({
    mutationFn: (name: string) => apiFetch<void>(path(name), { method: 'DELETE' }),
    onSettled: refresh,
  });
  return { create, update, build, reset, remove };
}
