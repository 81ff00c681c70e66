import { validationError } from '../../core/errors.js';
import { EXECUTION_STATUSES, FAILURE_STATUSES } from '../../core/statuses.js';
import type { ExecutionStatus } from '../../core/statuses.js';
import type { ExecutionStats, StatsBucket, StatsQuery } from '../store.js';
import type { Queryable } from './sql-values.js';

/** More buckets than this is a caller bug (90 days hourly is 2160), not a chart. */
const MAX_BUCKETS = 5_000;

type BucketRow = Record<ExecutionStatus, number> & {
  b: number;
  total: number;
  median: number | null;
  p95: number | null;
};

/**
 * One pass over the range through the created_ms index, grouped by bucket. `percentile_disc` is
 * the nearest rank (the smallest value with at least p of the values at or below it), as the
 * SQLite store computes it; NULL durations are left out, as there.
 */
const BUCKETS_SQL = `SELECT (created_ms - $1) / $3 AS b, count(*) AS total,
    ${EXECUTION_STATUSES.map((status) => `count(*) FILTER (WHERE status = '${status}') AS ${status}`).join(', ')},
    percentile_disc(0.5) WITHIN GROUP (ORDER BY duration_ms) AS median,
    percentile_disc(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95
  FROM executions WHERE created_ms >= $1 AND created_ms <= $2
  GROUP BY b`;

export async function executionStats(db: Queryable, query: StatsQuery): Promise<ExecutionStats> {
  const { fromMs, toMs, bucketMs } = query;
  if (!Number.isInteger(bucketMs) || bucketMs <= 0) {
    throw validationError(`bucketMs must be a positive integer, got ${String(bucketMs)}`);
  }
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || toMs < fromMs) {
    throw validationError(`the stats range ${String(fromMs)}..${String(toMs)} is empty`);
  }
  const count = Math.floor((toMs - fromMs) / bucketMs) + 1;
  if (count > MAX_BUCKETS)
    throw validationError(`the stats range has ${count} buckets, more than ${MAX_BUCKETS}`);

  const { rows } = await db.query<BucketRow>(BUCKETS_SQL, [Math.trunc(fromMs), Math.trunc(toMs), bucketMs]);
  const byStatus = Object.fromEntries(EXECUTION_STATUSES.map((s) => [s, 0])) as Record<
    ExecutionStatus,
    number
  >;
  const byBucket = new Map<number, BucketRow>();
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
