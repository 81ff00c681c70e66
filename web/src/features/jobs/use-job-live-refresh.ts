import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { useLiveTopic } from '../../live/live-context.js';
import { jobKeys } from './job-queries.js';

/** At most one refetch of the jobs queries per this long, however fast runs come and go. */
const THROTTLE_MS = 500;

/**
 * Keeps the jobs queries current from two live topics: `executions` (an execution of a job —
 * `jobId` = `only`, or any job when `only` is undefined — is queued, starts, changes or ends) and
 * `jobs` (a job is created, edited, paused, resumed or deleted, here, in another tab or from the
 * CLI). Every jobs query is then invalidated (throttled), so runs, last status, state and next
 * fire times follow without polling. A reconnection refreshes too.
 */
export function useJobLiveRefresh(only?: string): void {
  const queryClient = useQueryClient();
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );

  const refresh = (): void => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      void queryClient.invalidateQueries({ queryKey: jobKeys.all });
    }, THROTTLE_MS);
  };
  const ours = (jobId: string | null) => (only === undefined ? jobId !== null : jobId === only);

  useLiveTopic('executions', (message) => {
    // (Re)subscribed: changes may have been missed while the connection was down.
    if (message.type === 'subscribed') refresh();
    else if (message.type === 'executions' && message.changes.some(({ execution }) => ours(execution.jobId)))
      refresh();
  });
  useLiveTopic('jobs', (message) => {
    if (message.type === 'subscribed') refresh();
    else if (message.type === 'jobs' && message.changes.some(({ jobId }) => ours(jobId))) refresh();
  });
}
