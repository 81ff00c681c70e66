import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { apiFetch } from '../../api/client.js';
import type { LiveTopic } from '../../api/types.js';
import { useLiveTopic } from '../../live/live-context.js';
import type { PipelineRunJson, PipelineWarningJson } from './pipeline-types.js';

/** Re-reads after a burst of node events at most this often: the run's record is small. */
const REFRESH_MS = 150;

/**
 * One pipeline run, kept current: `GET /api/pipelines/runs/:id`, re-read when its
 * `pipeline:<id>` topic says something changed (a node's status, the run's progress); performance
 * warnings are live only (the record does not keep them), so they are held here per node.
 */
export function usePipelineRun(id: string) {
  const queryClient = useQueryClient();
  const queryKey = ['pipeline-run', id];
  const query = useQuery({
    queryKey,
    queryFn: ({ signal }) =>
      apiFetch<PipelineRunJson>(`/api/pipelines/runs/${encodeURIComponent(id)}`, { signal }),
    staleTime: Infinity,
  });
  const [warnings, setWarnings] = useState<ReadonlyMap<string, PipelineWarningJson>>(new Map());
  const [progress, setProgress] = useState<{ etaMs: number | null } | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useLiveTopic(`pipeline:${id}` as LiveTopic, (message) => {
    const change = (message as { type: string; change?: PipelineChangeLike }).change;
    if ((message as { type: string }).type !== 'pipeline' || change === undefined) return;
    if (change.kind === 'warning') {
      setWarnings((current) => new Map(current).set(change.node, change));
      return;
    }
    if (change.kind === 'run') setProgress({ etaMs: change.etaMs });
    if (change.kind === 'node' && change.event !== 'started' && change.event !== 'queued') {
      // A node that ended is no longer running late.
      setWarnings((current) => {
        if (!current.has(change.node)) return current;
        const next = new Map(current);
        next.delete(change.node);
        return next;
      });
    }
    if (timer.current === null) {
      timer.current = setTimeout(() => {
        timer.current = null;
        void queryClient.invalidateQueries({ queryKey });
      }, REFRESH_MS);
    }
  });
  return { query, warnings, etaMs: progress?.etaMs ?? null };
}

type PipelineChangeLike =
  | ({ kind: 'warning' } & PipelineWarningJson)
  | { kind: 'run'; etaMs: number | null }
  | { kind: 'node'; node: string; event: string }
  | { kind: 'step' };
