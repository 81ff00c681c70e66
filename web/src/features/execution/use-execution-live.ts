import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { apiFetch } from '../../api/client.js';
import type { ExecutionDetail, LiveServerMessage, ResourceSample, RunningLate } from '../../api/types.js';
import { createLineFeed } from '../../live/line-feed.js';
import { useLiveTopic } from '../../live/live-context.js';

/** Upserts `items` into `list` by id, keeping order of first appearance. */
function upsertById<T extends { id: number }>(list: readonly T[], items: readonly T[]): T[] {
  const next = [...list];
  for (const item of items) {
    const index = next.findIndex((existing) => existing.id === item.id);
    if (index === -1) next.push(item);
    else next[index] = item;
  }
  return next;
}

/** Applies one live message to the execution's state (see live-messages.ts "Applying updates"). */
function applyLiveMessage(state: ExecutionDetail, message: LiveServerMessage): ExecutionDetail {
  switch (message.type) {
    case 'execution':
      return message.execution;
    case 'steps':
      return { ...state, steps: upsertById(state.steps, message.steps) };
    case 'artifacts':
      return { ...state, artifacts: upsertById(state.artifacts, message.artifacts) };
    case 'annotations':
      return { ...state, annotations: upsertById(state.annotations, message.annotations) };
    case 'lines': {
      const last = message.lines.at(-1);
      return last && last.seq > state.lineCount ? { ...state, lineCount: last.seq } : state;
    }
    default:
      return state;
  }
}

/**
 * One execution, kept current: the REST detail first, then the `execution:<id>` topic from the
 * detail's `lineCount` on (so no line is missed between the two). Log lines go to `lineFeed`
 * (the log viewer pages the rest from the API); resource samples accumulate in `liveSamples`;
 * a run of a job that the scheduler calls late while watched gets `late`.
 * State is per mounted id: the page remounts (keyed by id) when it shows another execution.
 */
export function useExecutionLive(id: string) {
  const query = useQuery({
    queryKey: ['execution', id],
    queryFn: ({ signal }) =>
      apiFetch<ExecutionDetail>(`/api/executions/${encodeURIComponent(id)}`, { signal }),
    staleTime: Infinity,
  });
  // Live state once the first message arrives; until then the REST snapshot is the state.
  const [live, setLive] = useState<ExecutionDetail | undefined>(undefined);
  const [liveSamples, setLiveSamples] = useState<ResourceSample[]>([]);
  const [liveError, setLiveError] = useState<string | null>(null);
  // Said once per attempt by the scheduler, live only: the API keeps no record of it.
  const [late, setLate] = useState<RunningLate | null>(null);
  const lineFeed = useMemo(() => createLineFeed(), []);

  const loaded = query.data;

  useLiveTopic(
    loaded ? `execution:${id}` : null,
    (message) => {
      if (message.type === 'lines') lineFeed.push(message.lines);
      if (message.type === 'resources') setLiveSamples((samples) => [...samples, ...message.samples]);
      if (message.type === 'job' && message.change.change === 'late.warning') setLate(message.change.late);
      if (message.type === 'error') setLiveError(message.message);
      else if (message.type === 'subscribed') setLiveError(null);
      setLive((state) => {
        const base = state ?? loaded;
        return base ? applyLiveMessage(base, message) : base;
      });
    },
    loaded?.lineCount,
  );

  return {
    execution: live ?? loaded,
    error: query.error,
    isLoading: query.isLoading,
    lineFeed,
    liveSamples,
    /** Why live updates stopped (the server refused the subscription), if they did. */
    liveError,
    /** Why the job scheduler called this run late, if it did while the page watched. */
    late,
  };
}
