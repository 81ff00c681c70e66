import type { RunningLate } from './jobs/job.js';
import type { StepLateThreshold } from './jobs/step-percentiles.js';
import type { Execution, Step } from './model.js';

/**
 * Whether a run is running late, decided once for every caller (the dashboard mirrors the fixed
 * threshold, see web/src/features/execution/late-state.ts). Two thresholds, either is enough:
 * - fixed: the run's `lateAfterSeconds` (a job's `lateAfterSeconds`, or an ad-hoc run's own),
 *   counted from its creation, so a run waiting in the queue becomes late too;
 * - by percentile (jobs with `lateByP95`): a running step past its step's threshold.
 * Only a queued or running run can be late: one that ended is just slow, and its duration says so.
 */
export type LateRun = Pick<Execution, 'status' | 'createdAt' | 'lateAfterSeconds'>;

/** Epoch ms at which the run passes its fixed threshold; null without one (or a bad createdAt). */
export function lateAtMs(run: Pick<LateRun, 'createdAt' | 'lateAfterSeconds'>): number | null {
  if (run.lateAfterSeconds === null || !(run.lateAfterSeconds > 0)) return null;
  const createdMs = Date.parse(run.createdAt);
  return Number.isNaN(createdMs) ? null : createdMs + run.lateAfterSeconds * 1000;
}

/**
 * Why the run is late at `nowMs`, or null when it is not. `steps` and `thresholds` (step name →
 * percentile threshold) are only needed for the percentile rule; the fixed threshold wins when both
 * have passed, as it is the one a person set.
 */
export function runningLate(
  run: LateRun,
  nowMs: number,
  {
    steps = [],
    thresholds,
  }: {
    steps?: readonly Pick<Step, 'id' | 'name' | 'status' | 'startedAt'>[];
    thresholds?: ReadonlyMap<string, StepLateThreshold>;
  } = {},
): RunningLate | null {
  if (run.status !== 'queued' && run.status !== 'running') return null;
  const at = lateAtMs(run);
  if (at !== null && nowMs >= at) return { reason: 'threshold', lateAfterSeconds: run.lateAfterSeconds! };
  if (thresholds === undefined || thresholds.size === 0) return null;
  for (const step of steps) {
    const threshold = step.status === 'running' ? thresholds.get(step.name) : undefined;
    const startedMs = Date.parse(step.startedAt);
    if (threshold === undefined || Number.isNaN(startedMs)) continue;
    const elapsedMs = nowMs - startedMs;
    if (elapsedMs >= threshold.lateAfterMs) {
      return {
        reason: 'step-p95',
        step: { id: step.id, name: step.name },
        p95Ms: threshold.p95Ms,
        samples: threshold.samples,
        elapsedMs,
      };
    }
  }
  return null;
}
