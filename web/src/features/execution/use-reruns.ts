import { useQuery } from '@tanstack/react-query';
import { apiFetch } from '../../api/client.js';
import type { ExecutionPage } from '../../api/types.js';

/** The direct re-runs of an execution, oldest first (what its page lists as "re-run as"). */
export function useReruns(id: string) {
  const query = useQuery({
    queryKey: ['reruns', id],
    queryFn: ({ signal }) =>
      apiFetch<ExecutionPage>('/api/executions', {
        query: { rerunOf: id, order: 'asc', limit: 20 },
        signal,
      }),
  });
  return query.data?.items ?? [];
}
