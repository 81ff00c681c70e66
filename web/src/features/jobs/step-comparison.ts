import type { ExecutionDetail, Step } from '../../api/types.js';

/**
 * Per-step durations of one run against the same steps' median over other recent runs: which
 * step got slower. Steps are matched by their path of names (`Build › Compile`), a repeated
 * name by its occurrence (`Retry #2`), since ids differ between runs.
 */

export type StepVerdict = 'slower' | 'faster' | 'same' | 'new' | 'unfinished';

export interface StepComparison {
  key: string;
  name: string;
  depth: number;
  durationMs: number | null;
  medianMs: number | null;
  /** How many other runs had this step (ended). */
  samples: number;
  verdict: StepVerdict;
}

/**
 * A step counts as slower (faster) when it took at least 25 % longer (shorter) than its median
 * and at least this much: jitter of a few hundred ms on short steps is noise, not a regression.
 */
const MIN_DELTA_MS = 250;
const RATIO = 1.25;

export function compareSteps(run: ExecutionDetail, others: readonly ExecutionDetail[]): StepComparison[] {
  const baseline = new Map<string, number[]>();
  for (const other of others) {
    for (const { key, step } of keyedSteps(other.steps)) {
      if (step.durationMs === null) continue;
      const list = baseline.get(key) ?? [];
      list.push(step.durationMs);
      baseline.set(key, list);
    }
  }
  return keyedSteps(run.steps).map(({ key, step, depth }) => {
    const durations = baseline.get(key) ?? [];
    const medianMs = durations.length > 0 ? median(durations) : null;
    return {
      key,
      name: step.name,
      depth,
      durationMs: step.durationMs,
      medianMs,
      samples: durations.length,
      verdict: verdict(step.durationMs, medianMs),
    };
  });
}

function verdict(durationMs: number | null, medianMs: number | null): StepVerdict {
  if (durationMs === null) return 'unfinished';
  if (medianMs === null) return 'new';
  const delta = durationMs - medianMs;
  if (delta >= MIN_DELTA_MS && durationMs >= medianMs * RATIO) return 'slower';
  if (-delta >= MIN_DELTA_MS && medianMs >= durationMs * RATIO) return 'faster';
  return 'same';
}

function keyedSteps(steps: readonly Step[]): { key: string; step: Step; depth: number }[] {
  const byId = new Map(steps.map((step) => [step.id, step]));
  const seen = new Map<string, number>();
  const path = (step: Step): string[] => {
    const parent = step.parentId === null ? undefined : byId.get(step.parentId);
    return parent ? [...path(parent), step.name] : [step.name];
  };
  return [...steps]
    .sort((a, b) => a.firstSeq - b.firstSeq || a.id - b.id)
    .map((step) => {
      const names = path(step);
      const base = names.join(' › ');
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      return { key: n === 1 ? base : `${base} #${n}`, step, depth: names.length - 1 };
    });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
