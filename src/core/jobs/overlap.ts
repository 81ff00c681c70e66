import type { OverlapPolicy } from './job.js';

/**
 * What to do with a fire: `start` now, `skip` it, `queue` it until a run of the job ends, or
 * `cancel-previous` (stop the oldest active run, then start once it has ended).
 */
export type OverlapDecision = 'start' | 'skip' | 'queue' | 'cancel-previous';

/**
 * Below the job's limit of active runs a fire starts; at the limit the policy decides. `parallel`
 * has no limit by default; given one, fires beyond it wait like `queue` (never dropped).
 */
export function decideOverlap(policy: OverlapPolicy, active: number, limit: number | null): OverlapDecision {
  const max = limit ?? (policy === 'parallel' ? Number.POSITIVE_INFINITY : 1);
  if (active < max) return 'start';
  switch (policy) {
    case 'skip':
      return 'skip';
    case 'queue':
    case 'parallel':
      return 'queue';
    case 'cancel-previous':
      return 'cancel-previous';
  }
}
