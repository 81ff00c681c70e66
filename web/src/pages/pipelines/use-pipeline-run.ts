import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { PipelineRunJson } from '../../../../src/protocol/pipeline-json.js';
import type { PipelineMessage } from '../../../../src/protocol/live-messages.js';
import { apiFetch } from '../../api/client.js';
import { useLiveTopic } from '../../live/live-context.js';

export type PipelineWarning = Extract<PipelineMessage['change'], { kind: 'warning' }>;

/**
 * One pipeline run, kept current: `GET /api/pipelines/runs/:id` first, then its `pipeline:<id>`
 * topic: the whole run after subscribing, and on each node or progress change the run is read
 * again (it is small; a burst of changes costs one read). Performance warnings are live only (the
 * record does not keep them), so they are held here, per node, until the node ends.
 */
export function usePipelineRun(id: string) {
  const queryClient = useQueryClient();
  const query = useQuery({
    queryKey: ['pipeline-run', id],
    queryFn: ({ signal }) =>
      apiFetch<PipelineRunJson>(`/api/pipelines/runs/${encodeURIComponent(id)}`, { signal }),
    staleTime: Infinity,
  });
  const [warnings, setWarnings] = useState<ReadonlyMap<string, PipelineWarning>>(new Map());
  const [etaMs, setEtaMs] = useState<number | null>(null);

  useLiveTopic(`pipeline:${id}`, (message) => {
    if (message.type === 'pipeline-run') {
      queryClient.setQueryData(['pipeline-run', id], message.run);
      return;
    }
    if (message.type !== 'pipeline') return;
    const { change } = message;
    if (change.kind === 'warning') {
      setWarnings((current) => new Map(current).set(change.node, change));
      return;
    }
    if (change.kind === 'step') return;
    if (change.kind === 'run') setEtaMs(change.etaMs);
    if (change.kind === 'node' && change.event !== 'started' && change.event !== 'queued') {
      setWarnings((current) => {
        if (!current.has(change.node)) return current;
        const next = new Map(current);
        next.delete(change.node);
        return next;
      });
    }
    void queryClient.invalidateQueries({ queryKey: ['pipeline-run', id] });
  });
  return { query, warnings, etaMs };
}
