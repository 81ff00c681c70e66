import type { ExecutionEvent } from '../core/events.js';
import type { Job, RunningLate } from '../core/jobs/job.js';
import {
  P95_RECENT_RUNS,
  stepLateThresholds,
  type StepLateThreshold,
} from '../core/jobs/step-percentiles.js';
import type { JobStore } from '../store/job-store.js';
import type { Clock } from './clock.js';
import { createLateStepWatch } from './late-steps.js';

export interface LateWarningsDeps {
  clock: Clock;
  /** Called at most once per attempt, for whichever threshold passes first. */
  onLate: (job: Job, executionId: string, late: RunningLate) => void;
}

/** Step thresholds of one attempt; empty when the job does not run late by percentile. */
export type StepThresholds = ReadonlyMap<string, StepLateThreshold>;

const NONE: StepThresholds = new Map();

/**
 * The step thresholds of a job's next attempt, from its recent successful runs. Read before the
 * attempt is submitted, so the watch is ready before its first step (and the attempt itself is
 * not among them). A store error only costs the warning, never the run.
 */
export async function loadStepThresholds(
  jobs: Pick<JobStore, 'recentStepDurations'>,
  job: Job,
  onError: (error: unknown) => void,
): Promise<StepThresholds> {
  if (!job.lateByP95) return NONE;
  try {
    return stepLateThresholds(await jobs.recentStepDurations(job.id, P95_RECENT_RUNS));
  } catch (error) {
    onError(error);
    return NONE;
  }
}

/**
 * The two "running late" warnings of job attempts: the job's fixed `lateAfterSeconds` (counted
 * from the submission, so a run stuck in the global queue is late too) and, with `lateByP95`, a
 * step running past its 95th percentile. Neither ever stops the run; each attempt warns once.
 */
export function createLateWarnings({ clock, onLate }: LateWarningsDeps) {
  const attempts = new Map<string, { job: Job; timer: unknown }>();

  const ended = (executionId: string): void => {
    const attempt = attempts.get(executionId);
    if (attempt === undefined) return;
    clock.clearTimer(attempt.timer);
    steps.unwatch(executionId);
    attempts.delete(executionId);
  };

  const report = (executionId: string, late: RunningLate): void => {
    const attempt = attempts.get(executionId);
    if (attempt === undefined) return;
    // Once per attempt: whatever else was armed for it goes.
    ended(executionId);
    onLate(attempt.job, executionId, late);
  };

  const steps = createLateStepWatch(clock, ({ executionId, step, threshold, elapsedMs }) =>
    report(executionId, {
      reason: 'step-p95',
      step,
      p95Ms: threshold.p95Ms,
      samples: threshold.samples,
      elapsedMs,
    }),
  );

  return {
    /** Arms the warnings of an attempt the engine has just accepted. */
    watch(job: Job, executionId: string, thresholds: StepThresholds): void {
      const { lateAfterSeconds } = job;
      if (lateAfterSeconds === null && thresholds.size === 0) return;
      const timer =
        lateAfterSeconds === null
          ? undefined
          : clock.setTimer(
              () => report(executionId, { reason: 'threshold', lateAfterSeconds }),
              lateAfterSeconds * 1000,
            );
      attempts.set(executionId, { job, timer });
      steps.watch(executionId, thresholds);
    },
    /** The attempt ended: nothing of it may warn any more. */
    ended,
    /** The engine's execution events (step starts and ends). */
    handle(event: ExecutionEvent): void {
      steps.handle(event);
    },
    stop(): void {
      for (const executionId of [...attempts.keys()]) ended(executionId);
    },
  };
}
