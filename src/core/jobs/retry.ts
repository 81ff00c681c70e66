import { isScriptFailure, type ExecutionStatus } from '../statuses.js';
import type { RetryPolicy } from './job.js';

/**
 * Delay before attempt `attempt + 1`, after attempt `attempt` (1-based) failed: the base delay times
 * `backoffFactor^(attempt-1)`, capped at `maxDelaySeconds`. Milliseconds.
 */
export function retryDelayMs(policy: RetryPolicy, attempt: number): number {
  const seconds = policy.delaySeconds * policy.backoffFactor ** Math.max(0, attempt - 1);
  return Math.round(Math.min(seconds, policy.maxDelaySeconds) * 1000);
}

/**
 * Whether an ended attempt gets another one: only a failure of the script itself
 * ({@link isScriptFailure}: failed, timed out) is retried. A cancelled run was stopped on purpose;
 * an interrupted one may still be running (see `isScriptFailure`), so a retry would fight it.
 */
export function shouldRetry(
  policy: RetryPolicy,
  attempt: number,
  result: { status: ExecutionStatus; exitCode: number | null },
): boolean {
  if (attempt >= policy.maxAttempts) return false;
  if (!isScriptFailure(result.status)) return false;
  if (policy.onExitCodes === null) return true;
  return result.exitCode !== null && policy.onExitCodes.includes(result.exitCode);
}
