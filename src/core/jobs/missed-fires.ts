import type { MissedFirePolicy } from './job.js';

/** What to record and run for fire times that passed while no scheduler was running. */
export interface MissedFirePlan {
  /** Fire times recorded as `missed` (not run). */
  missed: number[];
  /** The one fire time to run now, late (`run-once`), or null. */
  runLate: number | null;
}

/** `skip`: every missed time is recorded as missed. `run-once`: the latest runs now, the rest are missed. */
export function planMissedFires(policy: MissedFirePolicy, missedTimes: readonly number[]): MissedFirePlan {
  if (missedTimes.length === 0) return { missed: [], runLate: null };
  if (policy === 'skip') return { missed: [...missedTimes], runLate: null };
  return { missed: missedTimes.slice(0, -1), runLate: missedTimes.at(-1) ?? null };
}
