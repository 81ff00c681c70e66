import type { TrendRun } from '../../core/step-trends.js';
import type { ExecutionStatus, StepStatus } from '../../core/statuses.js';
import type { RecentRuns } from '../store.js';
import type { Queryable } from './sql-values.js';

/** Steps read per run at most: enough for any chart, bounded for a run with a step per item. */
const MAX_STEPS_PER_RUN = 2000;

interface RunRow {
  id: string;
  name: string;
  job_id: string | null;
  status: ExecutionStatus;
  created_at: string;
  duration_ms: number | null;
}

const RUN_COLUMNS = 'id, name, job_id, status, created_at, duration_ms';

/**
 * The run `id` and the runs before it of the same job (or, for a run of no job, the runs of no job
 * with the same name), newest first, at most `limit`, each with its steps (one query for all of
 * them); undefined when `id` does not exist. The caller runs it in one snapshot.
 */
export async function recentRuns(db: Queryable, id: string, limit: number): Promise<RecentRuns | undefined> {
  const current = (await db.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM executions WHERE id = $1`, [id]))
    .rows[0];
  if (current === undefined) return undefined;
  const basis = current.job_id === null ? 'name' : 'job';
  // Each walks one index backwards from the run (executions_job, executions_name).
  const { rows } =
    basis === 'job'
      ? await db.query<RunRow>(
          `SELECT ${RUN_COLUMNS} FROM executions WHERE job_id = $1 AND id <= $2 ORDER BY id DESC LIMIT $3`,
          [current.job_id, id, limit],
        )
      : await db.query<RunRow>(
          `SELECT ${RUN_COLUMNS} FROM executions WHERE name = $1 AND job_id IS NULL AND id <= $2
            ORDER BY id DESC LIMIT $3`,
          [current.name, id, limit],
        );
  const steps = await db.query<{
    execution_id: string;
    name: string;
    status: StepStatus;
    duration_ms: number | null;
  }>(
    `SELECT s.execution_id, s.name, s.status, s.duration_ms FROM unnest($1::text[]) AS r(id)
      CROSS JOIN LATERAL (SELECT execution_id, id, name, status, duration_ms FROM steps
        WHERE execution_id = r.id ORDER BY id LIMIT ${MAX_STEPS_PER_RUN}) s
      ORDER BY s.execution_id, s.id`,
    [rows.map((row) => row.id)],
  );
  const stepsByRun = new Map<string, { name: string; status: StepStatus; durationMs: number | null }[]>();
  for (const step of steps.rows) {
    let list = stepsByRun.get(step.execution_id);
    if (list === undefined) stepsByRun.set(step.execution_id, (list = []));
    list.push({ name: step.name, status: step.status, durationMs: step.duration_ms });
  }
  const runs: TrendRun[] = rows.map((row) => ({
    id: row.id,
    status: row.status,
    createdAt: row.created_at,
    durationMs: row.duration_ms,
    steps: stepsByRun.get(row.id) ?? [],
  }));
  return { basis, runs };
}
