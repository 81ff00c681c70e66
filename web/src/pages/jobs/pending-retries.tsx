import type { PendingRetry } from '../../api/types.js';
import { formatAgo, formatDateTime } from '../../format.js';

/**
 * "Retry 2 of 3 at 12:01:05 (in 4s)" for each retry waiting for its delay. The live region is
 * always there (empty when nothing waits), so a screen reader announces a retry when it appears.
 */
export function PendingRetries({
  retries,
  maxAttempts,
  now,
}: {
  retries: readonly PendingRetry[];
  maxAttempts: number;
  now: number;
}) {
  return (
    <div className="pending-retries" role="status" aria-label="Retries waiting">
      {retries.map((retry) => {
        const dueMs = Date.parse(retry.at);
        return (
          <p key={retry.retryOfId} className="pending-retry">
            Retry {retry.attempt} of {Math.max(retry.attempt, maxAttempts)} at{' '}
            <time dateTime={retry.at}>{clockTime(dueMs, now)}</time> (
            {dueMs > now ? formatAgo(retry.at, now) : 'starting…'})
          </p>
        );
      })}
    </div>
  );
}

/** The time of day when it is today (retries are seconds to minutes away), else date and time. */
function clockTime(ms: number, now: number): string {
  if (new Date(ms).toDateString() !== new Date(now).toDateString()) return formatDateTime(ms);
  return new Date(ms).toLocaleTimeString(undefined, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}
