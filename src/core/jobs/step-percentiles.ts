/**
 * "Running late" by percentile: how long each step of a job usually takes, and when a running
 * step has taken longer than that. Pure arithmetic over durations the store hands in.
 */

/** The percentile a running step is compared with. */
const PERCENTILE = 95;

/** Only the job's newest successful runs count: a step that got faster long ago should not hide. */
export const P95_RECENT_RUNS = 20;

/** Fewer durations than this say nothing about a step: it is not watched until it has them. */
export const P95_MIN_SAMPLES = 3;

/**
 * No step is called late before this, whatever its percentile: a step that usually takes 20 ms
 * and now takes 60 ms is jitter, not a run worth a notification.
 */
export const P95_MIN_LATE_MS = 1000;

/** One step's duration in one successful run, as the job store returns it. */
export interface StepDurationSample {
  name: string;
  durationMs: number;
}

export interface StepLateThreshold {
  /** The 95th percentile (nearest rank) of the step's durations, ms. */
  p95Ms: number;
  samples: number;
  /** How long a run of the step may go before it is late: the percentile, at least P95_MIN_LATE_MS. */
  lateAfterMs: number;
}

/**
 * The nearest-rank percentile: the smallest value such that at least `percentile`% of the values
 * are less or equal, i.e. the value of rank ceil(p/100 × n) in ascending order. Always one of the
 * values (no interpolation), undefined for an empty list.
 */
export function nearestRankPercentile(values: readonly number[], percentile: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((Math.min(100, Math.max(0, percentile)) / 100) * sorted.length);
  return sorted[Math.max(1, rank) - 1];
}

/**
 * The late threshold of every step name with at least `minSamples` durations. A name that occurs
 * several times in one run (a step in a loop) contributes each occurrence.
 */
export function stepLateThresholds(
  samples: readonly StepDurationSample[],
  { minSamples = P95_MIN_SAMPLES, minLateMs = P95_MIN_LATE_MS } = {},
): Map<string, StepLateThreshold> {
  const byName = new Map<string, number[]>();
  for (const { name, durationMs } of samples) {
    if (!Number.isFinite(durationMs) || durationMs < 0) continue;
    let durations = byName.get(name);
    if (durations === undefined) byName.set(name, (durations = []));
    durations.push(durationMs);
  }
  const thresholds = new Map<string, StepLateThreshold>();
  for (const [name, durations] of byName) {
    if (durations.length < Math.max(1, minSamples)) continue;
    const p95Ms = nearestRankPercentile(durations, PERCENTILE) ?? 0;
    thresholds.set(name, { p95Ms, samples: durations.length, lateAfterMs: Math.max(p95Ms, minLateMs) });
  }
  return thresholds;
}
