import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiFetch } from '../../api/client.js';
import type { Execution, Job } from '../../api/types.js';
import { jobKeys } from './job-queries.js';

/** Run now / pause / resume / delete one job; each refreshes every jobs query when done. */
export function useJobActions(id: string) {
  const queryClient = useQueryClient();
  const path = `/api/jobs/${encodeURIComponent(id)}`;
  const settled = () => queryClient.invalidateQueries({ queryKey: jobKeys.all });
  // The answer is the job as it is now: show it at once, before the refetch lands.
  const stored = (job: Job) => queryClient.setQueryData(jobKeys.job(id), job);

  const runNow = useMutation({
    mutationFn: () => apiFetch<Execution>(`${path}/run`, { method: 'POST' }),
    onSettled: settled,
  });
  const pause = useMutation({
    mutationFn: () => apiFetch<Job>(`${path}/pause`, { method: 'POST' }),
    onSuccess: stored,
    onSettled: settled,
  });
  const resume = useMutation({
    mutationFn: () => apiFetch<Job>(`${path}/resume`, { method: 'POST' }),
    onSuccess: stored,
    onSettled: settled,
  });
  const remove = useMutation({
    mutationFn: () => apiFetch<void>(path, { method: 'DELETE' }),
    onSuccess: () => queryClient.removeQueries({ queryKey: jobKeys.job(id) }),
    onSettled: settled,
  });
  return { runNow, pause, resume, remove };
}
