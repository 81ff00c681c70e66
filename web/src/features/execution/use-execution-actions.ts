import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { apiFetch } from '../../api/client.js';
import type { Execution } from '../../api/types.js';

/**
 * Cancel, Re-run and Pin. Cancel and a plain Re-run go without a body (and so without a content-type):
 * the server rejects an empty JSON body. A re-run from a step sends `{ fromStep }`. Cancel's effect
 * shows through the live subscription; Re-run opens the new execution.
 */
export function useExecutionActions(id: string) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const path = `/api/executions/${encodeURIComponent(id)}`;
  const cancel = useMutation({
    mutationFn: () => apiFetch<Execution>(`${path}/cancel`, { method: 'POST' }),
  });
  const rerun = useMutation({
    mutationFn: (fromStep?: string) =>
      apiFetch<Execution>(`${path}/rerun`, {
        method: 'POST',
        ...(fromStep === undefined ? {} : { body: { fromStep } }),
      }),
    onSuccess: (created) => {
      // This run's page lists its re-runs: coming back to it must show the new one.
      void queryClient.invalidateQueries({ queryKey: ['reruns', id] });
      return navigate(`/executions/${encodeURIComponent(created.id)}`);
    },
  });
  // Pin or unpin (retention never expires a pinned run): the answer is the run as stored now.
  const pin = useMutation({
    mutationFn: (pinned: boolean) =>
      apiFetch<Execution>(`${path}/${pinned ? 'pin' : 'unpin'}`, { method: 'POST' }),
  });
  return { cancel, rerun, pin };
}

export type ExecutionActions = ReturnType<typeof useExecutionActions>;
