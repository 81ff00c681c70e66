import type { Execution, ExecutionStatus } from '../../api/types.js';

const ENDED: Record<ExecutionStatus, boolean> = {
  succeeded: true,
  failed: true,
  timed_out: true,
  interrupted: true,
  lost: true,
  cancelled: true,
  running: false,
  queued: false,
};

const hasEnded = (execution: Execution): boolean => ENDED[execution.status];

/**
 * Success rate of a job's runs: a run is a fire's chain of attempts, judged by its last attempt
 * (a failure that a retry fixed is a success). Cancelled runs count for neither side, like the
 * dashboard's rate. Attempts still retried by a later one (in `executions`) are left out.
 */
export function successRate(executions: readonly Execution[]): {
  rate: number | null;
  ended: number;
  succeeded: number;
} {
  const retried = new Set(executions.map((e) => e.retryOfId).filter((id) => id !== null));
  const finals = executions.filter((e) => !retried.has(e.id) && hasEnded(e) && e.status !== 'cancelled');
  const succeeded = finals.filter((e) => e.status === 'succeeded').length;
  return { rate: finals.length === 0 ? null : succeeded / finals.length, ended: finals.length, succeeded };
}
