import { useState } from 'react';
import type { PendingRetry } from '../../api/types.js';
import { useLiveTopic } from '../../live/live-context.js';
import { applyRetryChange, EMPTY_RETRY_OVERLAY, waitingRetries } from './retry-overlay.js';

/**
 * The job's retries waiting for their delay: `saved` (the job's REST view) kept current by the
 * `jobs` topic — `retry.planned` adds one at once, `retry.started`, a pause or a deletion removes
 * it at once (see `retry-overlay.ts`).
 */
export function usePendingRetries(jobId: string, saved: readonly PendingRetry[] | undefined): PendingRetry[] {
  const [overlay, setOverlay] = useState(EMPTY_RETRY_OVERLAY);
  const base = saved ?? [];
  useLiveTopic('jobs', (message) => {
    if (message.type === 'subscribed') {
      // (Re)connected: changes may have been missed; the refetch that follows is the truth. What
      // is known gone stays gone.
      setOverlay((current) => ({ planned: new Map(), gone: current.gone }));
      return;
    }
    if (message.type !== 'jobs') return;
    const ours = message.changes.filter((change) => change.jobId === jobId);
    if (ours.length === 0) return;
    setOverlay((current) => ours.reduce((next, change) => applyRetryChange(next, change, base), current));
  });
  return waitingRetries(base, overlay);
}
