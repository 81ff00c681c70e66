import { useMutation } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { apiFetch } from '../../api/client.js';
import type { Execution } from '../../api/types.js';

/**
 * Cancel and Re-run. Both POSTs go without a body (and so without a content-type): the server
 * rejects an empty JSON body. Cancel's effect shows through the live subscription; Re-run opens
 * the new execution.
 */
export function useExecutionActions(id: string) {
  const navigate = useNavigate();
  const path = `/api/executions/${encodeURIComponent(id)}`;
  const cancel = useMutation({
    mutationFn: () => apiFetch<Execution>(`${path}/cancel`, { method: 'POST' }),
  });
  const rerun = useMutation({
    mutationFn: () => apiFetch<Execution>(`${path}/rerun`, { method: 'POST' }),
    onSuccess: (created) => navigate(`/executions/${encodeURIComponent(created.id)}`),
  });
  return { cancel, rerun };
}
