import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { apiFetch } from '../../api/client.js';
import type { StatsBody } from '../../../../src/protocol/api-schemas.js';

export type Stats = StatsBody;

/** `GET /api/stats?days=N`; refreshed by the executions feed when runs start or end. */
export function useStats(days: number) {
  return useQuery({
    queryKey: ['stats', days],
    queryFn: ({ signal }) => apiFetch<Stats>('/api/stats', { query: { days }, signal }),
    placeholderData: keepPreviousData,
  });
}
