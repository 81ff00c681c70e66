import { useQuery } from '@tanstack/react-query';
import { apiFetch } from '../../api/client.js';
import type { Delivery, ExecutionPage, FireRecord, Job, JobListItem } from '../../api/types.js';
import type { PipelineRunPageBody } from '../../../../src/protocol/pipeline-schemas.js';

/**
 * Query keys of everything about jobs. All start with `jobs`, so one invalidation of `['jobs']`
 * refreshes the list, a job, its runs, fire history and deliveries together.
 */
export const jobKeys = {
  all: ['jobs'] as const,
  lists: () => ['jobs', 'list'] as const,
  list: (recentRuns: number) => ['jobs', 'list', recentRuns] as const,
  job: (id: string) => ['jobs', 'job', id] as const,
  runs: (id: string, limit: number) => ['jobs', 'runs', id, limit] as const,
  history: (id: string) => ['jobs', 'history', id] as const,
  deliveries: (id: string) => ['jobs', 'deliveries', id] as const,
  pipelineRuns: (id: string) => ['jobs', 'pipeline-runs', id] as const,
};

/** Every job, each with its newest `recentRuns` runs: one request for the whole table. */
export function useJobs(recentRuns: number) {
  return useQuery({
    queryKey: jobKeys.list(recentRuns),
    queryFn: ({ signal }) =>
      apiFetch<{ items: JobListItem[] }>('/api/jobs', { query: { recentRuns }, signal }),
  });
}

export function useJob(id: string) {
  return useQuery({
    queryKey: jobKeys.job(id),
    queryFn: ({ signal }) => apiFetch<Job>(`/api/jobs/${encodeURIComponent(id)}`, { signal }),
  });
}

/** The job's newest executions (every attempt), newest first. */
export function useJobRuns(id: string, limit: number) {
  return useQuery({
    queryKey: jobKeys.runs(id, limit),
    queryFn: ({ signal }) =>
      apiFetch<ExecutionPage>('/api/executions', { query: { jobId: id, limit }, signal }),
  });
}

/**
 * A pipeline job's pipeline runs (every attempt), newest first. Polled while one goes on: a node's
 * progress is not a job change, so nothing on the `jobs` topic says when it moves.
 */
export function useJobPipelineRuns(id: string, enabled: boolean) {
  return useQuery({
    queryKey: jobKeys.pipelineRuns(id),
    queryFn: ({ signal }) =>
      apiFetch<PipelineRunPageBody>('/api/pipelines/runs', { query: { job: id, limit: 50 }, signal }),
    enabled,
    refetchInterval: (query) =>
      query.state.data?.items.some((run) => run.status === 'queued' || run.status === 'running')
        ? 2000
        : false,
  });
}

export function useJobHistory(id: string) {
  return useQuery({
    queryKey: jobKeys.history(id),
    queryFn: ({ signal }) =>
      apiFetch<{ items: FireRecord[] }>(`/api/jobs/${encodeURIComponent(id)}/history`, {
        query: { limit: 100 },
        signal,
      }),
  });
}

export function useJobDeliveries(id: string) {
  return useQuery({
    queryKey: jobKeys.deliveries(id),
    queryFn: ({ signal }) =>
      apiFetch<{ items: Delivery[] }>(`/api/jobs/${encodeURIComponent(id)}/deliveries`, {
        query: { limit: 100 },
        signal,
      }),
  });
}
