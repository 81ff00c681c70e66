import type { JobChange, PendingRetry } from '../../api/types.js';

/**
 * What the `jobs` topic said about a job's retries since the page loaded it, laid over its REST
 * view (`pendingRetries`): a planned retry shows at once, one that started or was dropped goes at
 * once, without waiting for the refetch. Keyed by the failed attempt a retry is for, which names
 * one retry for good: once gone it never comes back.
 */
export interface RetryOverlay {
  /** Planned retries announced live (`retry.planned`). */
  planned: ReadonlyMap<string, PendingRetry>;
  /** Failed attempts whose retry started, or will not (run ended, job paused or deleted). */
  gone: ReadonlySet<string>;
}

export const EMPTY_RETRY_OVERLAY: RetryOverlay = { planned: new Map(), gone: new Set() };

/** The overlay after `change` (a change of this job); `saved` is what REST listed last. */
export function applyRetryChange(
  overlay: RetryOverlay,
  change: JobChange,
  saved: readonly PendingRetry[],
): RetryOverlay {
  switch (change.change) {
    case 'retry.planned': {
      const planned = new Map(overlay.planned);
      planned.set(change.executionId, {
        retryOfId: change.executionId,
        attempt: change.attempt,
        at: change.at,
      });
      // Planned again (a restarted server re-arms a saved retry): it is waiting after all.
      const gone = new Set(overlay.gone);
      gone.delete(change.executionId);
      return { planned, gone };
    }
    case 'retry.started':
      return without(overlay, [change.retryOfId]);
    case 'job.run_finished':
      // A run ends with a failed attempt whose retry never started (the job was paused at its time).
      return without(overlay, [change.executionId]);
    case 'paused':
    case 'deleted':
      // Pausing and deleting drop every waiting retry of the job.
      return without(overlay, [...overlay.planned.keys(), ...saved.map((retry) => retry.retryOfId)]);
    default:
      return overlay;
  }
}

function without(overlay: RetryOverlay, failedIds: readonly string[]): RetryOverlay {
  if (failedIds.length === 0) return overlay;
  const planned = new Map(overlay.planned);
  const gone = new Set(overlay.gone);
  for (const id of failedIds) {
    planned.delete(id);
    gone.add(id);
  }
  return { planned, gone };
}

/** The retries to show: REST's and the live ones (a live one wins), minus gone ones, earliest first. */
export function waitingRetries(saved: readonly PendingRetry[], overlay: RetryOverlay): PendingRetry[] {
  const byFailed = new Map(saved.map((retry) => [retry.retryOfId, retry]));
  for (const [id, retry] of overlay.planned) byFailed.set(id, retry);
  return [...byFailed.values()]
    .filter((retry) => !overlay.gone.has(retry.retryOfId))
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}
