import { validationError } from '../core/errors.js';
import { EXECUTION_STATUSES, FAILURE_STATUSES } from '../core/statuses.js';
import type { ExecutionStatus } from '../core/statuses.js';
import type { ExecutionStats, StatsBucket, StatsQuery } from './store.js';

/** More buckets than this is a caller bug (90 days hourly is 2160), not a chart. */
const MAX_BUCKETS = 5_000;

/** What a backend's grouped query gives for one bucket that holds executions. */
export type BucketCounts = Record<ExecutionStatus, number> & {
  /** The bucket's index from `fromMs`. */
  b: number;
  total: number;
  /** Nearest-rank median and 95th percentile of its durations; null when none has one. */
  median: number | null;
  p95: number | null;
};

/** How many buckets the query asks for; `validation_failed` for a range no chart can mean. */
export function statsBucketCount({ fromMs, toMs, bucketMs }: StatsQuery): number {
  if (!Number.isInteger(bucketMs) || bucketMs <= 0) {
    throw validationError(`bucketMs must be a positive integer, got ${String(bucketMs)}`);
  }
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || toMs < fromMs) {
    throw validationError(`the stats range ${String(fromMs)}..${String(toMs)} is empty`);
  }
  const count = Math.floor((toMs - fromMs) / bucketMs) + 1;
  if (count > MAX_BUCKETS)
    throw validationError(`the stats range has ${count} buckets, more than ${MAX_BUCKETS}`);
  return count;
}

/** Every bucket of the range in time order (empty ones included) and the totals by status. */
export function statsFromBuckets(
  { fromMs, bucketMs }: StatsQuery,
  count: number,
  rows: readonly BucketCounts[],
): ExecutionStats {
  const byStatus = Object.fromEntries(EXECUTION_STATUSES.map((s) => [s, 0])) as Record<
    ExecutionStatus,
    number
  >;
  const byBucket = new Map<number, BucketCounts>();
  for (const row of rows) {
    byBucket.set(row.b, row);
    for (const status of EXECUTION_STATUSES) byStatus[status] += row[status];
  }
  const buckets: StatsBucket[] = [];
  for (let i = 0; i < count; i++) {
    const row = byBucket.get(i);
    buckets.push({
      start: new Date(fromMs + i * bucketMs).toISOString(),
      total: row?.total ?? 0,
      succeeded: row?.succeeded ?? 0,
      failed: row ? FAILURE_STATUSES.reduce((sum, status) => sum + row[status], 0) : 0,
      cancelled: row?.cancelled ?? 0,
      medianDurationMs: row?.median ?? null,
      p95DurationMs: row?.p95 ?? null,
    });
  }
  return { byStatus, buckets };
}
