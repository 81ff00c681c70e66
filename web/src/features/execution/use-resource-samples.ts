import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { apiFetch } from '../../api/client.js';
import type { ResourceSample } from '../../api/types.js';

/**
 * The process tree's samples: the stored history plus those that arrived live, merged by time.
 * The history is read again when the run ends, so samples taken while the page was not yet
 * subscribed (or was reconnecting) are filled in.
 */
export function useResourceSamples(id: string, liveSamples: readonly ResourceSample[], ended: boolean) {
  const history = useQuery({
    queryKey: ['execution', id, 'resources', ended],
    queryFn: ({ signal }) =>
      apiFetch<{ samples: ResourceSample[] }>(`/api/executions/${encodeURIComponent(id)}/resources`, {
        signal,
      }),
    staleTime: Infinity,
    // Keep the earlier series on screen while the final one loads.
    placeholderData: (previous) => previous,
  });
  const stored = history.data?.samples;
  const samples = useMemo(() => mergeByTime(stored ?? [], liveSamples), [stored, liveSamples]);
  return { samples, isLoading: history.isLoading, error: history.error };
}

function mergeByTime(a: readonly ResourceSample[], b: readonly ResourceSample[]): ResourceSample[] {
  const byTs = new Map<number, ResourceSample>();
  for (const sample of a) byTs.set(sample.ts, sample);
  for (const sample of b) byTs.set(sample.ts, sample);
  return [...byTs.values()].sort((x, y) => x.ts - y.ts);
}
