import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { useLiveTopic } from '../../live/live-context.js';
import { jobKeys } from './job-queries.js';

/** At most one refetch of the jobs queries per this long, however fast runs come and go. */
const THROTTLE_MS = 500;

/**
 * Keeps the jobs queries current from the `executions` live topic: when an execution of a job
 * (`jobId` = `only`, or any job when `only` is undefined) is queued, starts, changes or ends, every
 * jobs query is invalidated (throttled), so runs, last status and next fire times follow without
 * polling. A reconnection refreshes too.
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

  useLiveTopic('executions', (message) => {
    // (Re)subscribed: changes may have been missed while the connection was down.
    const relevant =
      message.type === 'subscribed' ||
      (message.type === 'executions' &&
        message.changes.some(({ execution }) =>
          only === undefined ? execution.jobId !== null : execution.jobId === only,
        ));
    if (!relevant || timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      void queryClient.invalidateQueries({ queryKey: jobKeys.all });
    }, THROTTLE_MS);
  });
}
