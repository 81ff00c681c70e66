import type { StepDurationSample } from '../../core/jobs/step-percentiles.js';
import type { ExecutionStatus } from '../../core/statuses.js';
import type { JobLastRun, JobRunSummary } from '../job-store.js';
import type { Queryable } from './sql-values.js';

/**
 * A job's run history, read from the executions and steps the execution store writes: each read
 * is one statement, whatever the number of jobs (no query per job).
 */

/** The newest execution of each job: DISTINCT ON walks the (job_id, id) partial index once. */
export async function lastRuns(db: Queryable): Promise<Map<string, JobLastRun>> {
  const { rows } = await db.query<{
    job_id: string;
    id: string;
    status: ExecutionStatus;
    created_at: string;
  }>(
    `SELECT DISTINCT ON (job_id) job_id, id, status, created_at FROM executions
      WHERE job_id IS NOT NULL ORDER BY job_id, id DESC`,
  );
  const runs = new Map<string, JobLastRun>();
  for (const row of rows) {
    runs.set(row.job_id, { executionId: row.id, status: row.status, createdAt: row.created_at });
  }
  return runs;
}

/** The newest `limit` runs of each job: one index seek per job through LATERAL, one snapshot. */
export async function recentJobRuns(
  db: Queryable,
  jobIds: readonly string[],
  limit: number,
): Promise<Map<string, JobRunSummary[]>> {
  const ids = [...new Set(jobIds)];
  const runs = new Map<string, JobRunSummary[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return runs;
  const { rows } = await db.query<{
    job_id: string;
    id: string;
    status: ExecutionStatus;
    created_at: string;
    started_at: string | null;
    duration_ms: number | null;
  }>(
    `SELECT j.job_id, e.id, e.status, e.created_at, e.started_at, e.duration_ms
      FROM unnest($1::text[]) AS j(job_id)
      CROSS JOIN LATERAL (SELECT id, status, created_at, started_at, duration_ms FROM executions
        WHERE job_id = j.job_id ORDER BY id DESC LIMIT $2) e
      ORDER BY e.id DESC`,
    [ids, Math.max(1, Math.trunc(limit))],
  );
  for (const row of rows) {
    runs.get(row.job_id)?.push({
      executionId: row.id,
      status: row.status,
      createdAt: row.created_at,
      startedAt: row.started_at,
      durationMs: row.duration_ms,
    });
  }
  return runs;
}

/** The job's newest succeeded executions through the (job_id, id) index, then their steps by key. */
export async function recentStepDurations(
  db: Queryable,
  jobId: string,
  runs: number,
): Promise<StepDurationSample[]> {
  const { rows } = await db.query<{ name: string; duration_ms: number }>(
    `SELECT s.name, s.duration_ms FROM steps s
      JOIN (SELECT id FROM executions WHERE job_id = $1 AND status = 'succeeded'
        ORDER BY id DESC LIMIT $2) recent ON s.execution_id = recent.id
      WHERE s.status = 'succeeded' AND s.duration_ms IS NOT NULL`,
    [jobId, Math.max(1, Math.trunc(runs))],
  );
  return rows.map((row) => ({ name: row.name, durationMs: row.duration_ms }));
}
