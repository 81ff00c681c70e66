import { useQueries } from '@tanstack/react-query';
import { apiFetch } from '../../api/client.js';
import type { ExecutionDetail } from '../../api/types.js';

/**
 * Full details (with steps) of ended executions. An ended execution does not change, so each is
 * fetched once and kept: the step comparison refetches nothing when a new run arrives but the
 * new run itself. `undefined` while any is still loading.
 */
export function useRunDetails(ids: readonly string[]): {
  details: ExecutionDetail[] | undefined;
  error: Error | null;
} {
  const results = useQueries({
    queries: ids.map((id) => ({
      queryKey: ['ended-execution', id],
      queryFn: ({ signal }: { signal: AbortSignal }) =>
        apiFetch<ExecutionDetail>(`/api/executions/${encodeURIComponent(id)}`, { signal }),
      staleTime: Infinity,
    })),
  });
  const error = results.find((r) => r.error)?.error ?? null;
  const details = results.every((r) => r.data !== undefined)
    ? results.map((r) => r.data as ExecutionDetail)
    : undefined;
  return { details, error };
}
