import { useQuery } from '@tanstack/react-query';
import { apiFetch } from '../../api/client.js';
import type { ExecutionEstimatesBody } from '../../../../src/protocol/execution-estimates.js';

export type ExecutionEstimates = ExecutionEstimatesBody;

/**
 * Durations of the last successful run with the same name (for progress bars). Only asked while
 * the execution is unfinished: an ended run shows its own durations.
 */
export function useEstimates(id: string, enabled: boolean): ExecutionEstimates | undefined {
  const query = useQuery({
    queryKey: ['execution', id, 'estimates'],
    queryFn: ({ signal }) =>
      apiFetch<ExecutionEstimates>(`/api/executions/${encodeURIComponent(id)}/estimates`, { signal }),
    enabled,
    staleTime: Infinity,
  });
  return query.data;
}
