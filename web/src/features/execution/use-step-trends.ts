import { useQuery } from '@tanstack/react-query';
import { apiFetch } from '../../api/client.js';
import type { ExecutionTrendsBody } from '../../../../src/protocol/execution-trends.js';

export type StepTrends = ExecutionTrendsBody;

/** Runs a step's trend spans, this one included. */
const TREND_RUNS = 20;

/**
 * Each step's durations over the newest runs of the same job (or name). Read again when the run
 * ends (`ended` is in the key), so its own durations join the chart; not refetched meanwhile.
 */
export function useStepTrends(id: string, ended: boolean) {
  return useQuery({
    queryKey: ['execution', id, 'trends', ended],
    queryFn: ({ signal }) =>
      apiFetch<StepTrends>(`/api/executions/${encodeURIComponent(id)}/trends?limit=${TREND_RUNS}`, {
        signal,
      }),
    staleTime: Infinity,
  });
}
