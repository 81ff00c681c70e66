import type { Step } from '../../api/types.js';
import type { ExecutionEstimates } from './use-estimates.js';

/** Never show a running step as done: an estimate is a guess, and the step is still going. */
const MAX_RUNNING_FRACTION = 0.99;

/** Expected duration of a step: its own ESTIMATED_DURATION, else the last successful run's. */
export function expectedStepMs(step: Step, estimates: ExecutionEstimates | undefined): number | null {
  if (step.estimatedDurationSeconds !== null) return step.estimatedDurationSeconds * 1000;
  return estimates?.steps[step.name] ?? null;
}

/** 0..0.99 of the way through, or null when nothing says how long it should take. */
export function progressFraction(elapsedMs: number, expectedMs: number | null): number | null {
  if (expectedMs === null || !(expectedMs > 0)) return null;
  return Math.min(MAX_RUNNING_FRACTION, Math.max(0, elapsedMs / expectedMs));
}

/** How long something has been running (ended: its final duration). */
export function elapsedMs(
  startedAt: string | null,
  durationMs: number | null,
  endedAt: string | null,
  now: number,
): number | null {
  if (durationMs !== null) return durationMs;
  if (startedAt === null) return null;
  const end = endedAt === null ? now : Date.parse(endedAt);
  return Math.max(0, end - Date.parse(startedAt));
}
