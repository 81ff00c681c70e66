/**
 * `META:ESTIMATED_DURATION:<seconds>`: how long a step, or the whole run when printed outside any
 * step, is expected to take. One parse for both, so the step and the run accept the same values.
 */

/** The meta key; case-sensitive like every meta key. */
export const ESTIMATED_DURATION_KEY = 'ESTIMATED_DURATION';

/** A plain positive decimal number of seconds (`300`, `1.5`), else null (`soon`, `-5`, `0`, `1e3`). */
export function parseEstimatedSeconds(value: string): number | null {
  if (!/^\d{1,9}(\.\d+)?$/.test(value)) return null;
  const seconds = Number(value);
  return seconds > 0 ? seconds : null;
}

/** The run's own estimate: its execution-level `ESTIMATED_DURATION` meta value when valid, else null. */
export function executionEstimatedSeconds(meta: Readonly<Record<string, string>>): number | null {
  const value = Object.hasOwn(meta, ESTIMATED_DURATION_KEY) ? meta[ESTIMATED_DURATION_KEY] : undefined;
  return value === undefined ? null : parseEstimatedSeconds(value);
}
