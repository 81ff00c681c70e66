import type { Execution, RunningLate } from '../../api/types.js';
import { isActive } from '../../api/execution-status.js';

/** What the fixed-threshold rule needs of a run (a job's last run passes the job's threshold). */
export type LateCandidate = Pick<Execution, 'status' | 'createdAt' | 'lateAfterSeconds'>;

/**
 * The fixed-threshold half of core's running-late rule (src/core/running-late.ts), written out
 * because the dashboard cannot import core's code: a queued or running run is late from
 * `createdAt + lateAfterSeconds` on. Pages call it with a ticking `now`, so the badge appears
 * while the run goes on, for runs of any process; the percentile half needs the job's history
 * and comes live from the scheduler (`late.warning`).
 */
export function lateByThreshold(run: LateCandidate, now: number): RunningLate | null {
  if (!isActive(run.status) || run.lateAfterSeconds === null || !(run.lateAfterSeconds > 0)) return null;
  const createdMs = Date.parse(run.createdAt);
  if (Number.isNaN(createdMs) || now < createdMs + run.lateAfterSeconds * 1000) return null;
  return { reason: 'threshold', lateAfterSeconds: run.lateAfterSeconds };
}
