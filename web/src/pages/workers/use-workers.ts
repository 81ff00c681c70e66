import { useQuery } from '@tanstack/react-query';
import { apiFetch } from '../../api/client.js';
import type { WorkerListJson } from '../../../../src/protocol/worker-schemas.js';

/** `GET /api/workers`, refreshed every 2 s: heartbeats are not on the live feed. */
export function useWorkers() {
  return useQuery({
    queryKey: ['workers'],
    queryFn: ({ signal }) => apiFetch<WorkerListJson>('/api/workers', { signal }),
    refetchInterval: 2000,
  });
}
