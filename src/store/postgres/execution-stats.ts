import { EXECUTION_STATUSES } from '../../core/statuses.js';
import { statsBucketCount, statsFromBuckets, type BucketCounts } from '../stats-buckets.js';
import type { ExecutionStats, StatsQuery } from '../store.js';
import type { Queryable } from './sql-values.js';

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
  const count = statsBucketCount(query);
  const { rows } = await db.query<BucketCounts>(BUCKETS_SQL, [
    Math.trunc(query.fromMs),
    Math.trunc(query.toMs),
    query.bucketMs,
  ]);
  return statsFromBuckets(query, count, rows);
}
