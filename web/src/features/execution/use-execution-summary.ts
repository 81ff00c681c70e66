import { useQuery } from '@tanstack/react-query';
import { apiFetch } from '../../api/client.js';
import type { ExecutionDetail, ExecutionSummary } from '../../api/types.js';

/**
 * The run's summary Markdown and each step's (`GET /api/executions/:id/summary`), asked only when
 * the run has one: the execution and its steps carry just `hasSummary`, so that listings and live
 * messages stay small. The text changes when a step that wrote some ends (its `hasSummary` turns
 * true) and when the run ends; the query key is made of exactly that, so it is fetched again then.
 */
export function useExecutionSummary(execution: ExecutionDetail): ExecutionSummary | undefined {
  const { id } = execution;
  const stepsWithSummary = execution.steps
    .filter((step) => step.hasSummary)
    .map((step) => step.id)
    .join(',');
  const query = useQuery({
    queryKey: ['execution', id, 'summary', stepsWithSummary, execution.endedAt !== null],
    queryFn: ({ signal }) =>
      apiFetch<ExecutionSummary>(`/api/executions/${encodeURIComponent(id)}/summary`, { signal }),
    enabled: execution.hasSummary,
    staleTime: Infinity,
    // The text shown stays while the next one loads (but never another run's).
    placeholderData: (previous, previousQuery) => (previousQuery?.queryKey[1] === id ? previous : undefined),
  });
  return query.data;
}
