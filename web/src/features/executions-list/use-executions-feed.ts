import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import type { Execution, ExecutionChange } from '../../api/types.js';
import { useLiveTopic } from '../../live/live-context.js';

/** Query keys (first element) of the lists a new or finished execution changes. */
export const LIST_QUERY_ROOTS = ['executions', 'stats', 'artifacts'] as const;

/** Refetch lists at most this often while executions churn (stats is a scan of the range). */
const REFRESH_THROTTLE_MS = 1000;

/**
 * The `executions` live topic: the executions running or queued right now (oldest first), kept
 * current from the server's changes, and a throttled refresh of every list query when an
 * execution appears or ends, so counts, charts and tables follow without polling.
 */
export function useExecutionsFeed(): { active: Execution[]; connected: boolean } {
  const [active, setActive] = useState<ReadonlyMap<string, Execution>>(new Map());
  const [connected, setConnected] = useState(false);
  const refresh = useThrottledListRefresh();

  useLiveTopic('executions', (message) => {
    if (message.type === 'subscribed') {
      // (Re)subscribed: the `active` changes that follow are the whole truth; forget the old list.
      setActive(new Map());
      setConnected(true);
      return;
    }
    if (message.type !== 'executions') return;
    setActive((current) => applyChanges(current, message.changes));
    if (message.changes.some((c) => c.change !== 'updated' && c.change !== 'active')) refresh();
  });

  const list = [...active.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  return { active: list, connected };
}

function applyChanges(
  current: ReadonlyMap<string, Execution>,
  changes: ExecutionChange[],
): ReadonlyMap<string, Execution> {
  const next = new Map(current);
  for (const { change, execution } of changes) {
    if (change === 'finished' || (execution.status !== 'running' && execution.status !== 'queued')) {
      next.delete(execution.id);
    } else {
      next.set(execution.id, execution);
    }
  }
  return next;
}

function useThrottledListRefresh(): () => void {
  const queryClient = useQueryClient();
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  return () => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      for (const root of LIST_QUERY_ROOTS) void queryClient.invalidateQueries({ queryKey: [root] });
    }, REFRESH_THROTTLE_MS);
  };
}
