import { nearestRankPercentile } from './jobs/step-percentiles.js';
import type { ExecutionStatus, StepStatus } from './statuses.js';

/**
 * Per-step duration trends: how long each step of a run took in the newest runs of the same job
 * (or, for a run of no job, of the same name). Pure: the store hands in the runs and their steps.
 */

/** One run as the store returns it for a trend: its outcome and its steps in order of start. */
export interface TrendRun {
  id: string;
  status: ExecutionStatus;
  createdAt: string;
  durationMs: number | null;
  steps: readonly { name: string; status: StepStatus; durationMs: number | null }[];
}

/** The trend of one step name: a point per run, oldest run first (aligned with `StepTrends.runs`). */
interface StepTrend {
  name: string;
  /** null where that run has no such step (or it never ended). */
  points: ({ durationMs: number | null; status: StepStatus } | null)[];
  /** Median duration of the ended runs of the step, ms; null when none ended. */
  medianMs: number | null;
}

export interface StepTrends {
  /** What the runs have in common. */
  basis: 'job' | 'name';
  /** Oldest first; the run asked about is the last one. */
  runs: { id: string; status: ExecutionStatus; createdAt: string; durationMs: number | null }[];
  steps: StepTrend[];
}

/** At most this many step names: a trend chart per step is for people, not for 5,000-step runs. */
const MAX_TREND_STEPS = 50;

/**
 * The trends of the steps of `current` (`runs[0]`, newest first as the store reads them) over
 * `runs`. Each run counts the first step of a name only (later ones are usually retries or loops),
 * like the estimates do. Step names keep the current run's order.
 */
export function stepTrends(basis: 'job' | 'name', newestFirst: readonly TrendRun[]): StepTrends {
  const runs = [...newestFirst].reverse();
  const current = newestFirst[0];
  const names: string[] = [];
  const seen = new Set<string>();
  for (const step of current?.steps ?? []) {
    if (seen.has(step.name)) continue;
    seen.add(step.name);
    names.push(step.name);
    if (names.length === MAX_TREND_STEPS) break;
  }
  const firstByName = runs.map((run) => {
    const first = new Map<string, { durationMs: number | null; status: StepStatus }>();
    for (const step of run.steps) {
      if (!first.has(step.name)) first.set(step.name, { durationMs: step.durationMs, status: step.status });
    }
    return first;
  });
  return {
    basis,
    runs: runs.map(({ id, status, createdAt, durationMs }) => ({ id, status, createdAt, durationMs })),
    steps: names.map((name) => {
      const points = firstByName.map((first) => first.get(name) ?? null);
      const ended = points.flatMap((point) => (point?.durationMs == null ? [] : [point.durationMs]));
      return { name, points, medianMs: nearestRankPercentile(ended, 50) ?? null };
    }),
  };
}
