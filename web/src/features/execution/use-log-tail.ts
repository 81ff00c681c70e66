import { useQuery } from '@tanstack/react-query';
import { apiFetch } from '../../api/client.js';
import type { LogPage } from '../../api/types.js';

/** The last `count` lines of an ended execution's log (the failure summary). */
export function useLogTail(id: string, lineCount: number, enabled: boolean, count = 10) {
  const after = Math.max(0, lineCount - count);
  return useQuery({
    queryKey: ['execution', id, 'tail', after, count],
    queryFn: ({ signal }) =>
      apiFetch<LogPage>(`/api/executions/${encodeURIComponent(id)}/logs`, {
        query: { after, limit: count },
        signal,
      }),
    enabled: enabled && lineCount > 0,
    staleTime: Infinity,
  });
}
