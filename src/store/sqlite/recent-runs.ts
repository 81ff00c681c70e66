import type Database from 'better-sqlite3';
import type { TrendRun } from '../../core/step-trends.js';
import type { ExecutionStatus, StepStatus } from '../../core/statuses.js';
import type { RecentRuns } from '../store.js';

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

// Each walks one index backwards from the run (executions_job, executions_name): ids order by
// creation, so `id <= ?` is "this run and the ones created before it", and LIMIT bounds the read.
const RUN_COLUMNS = 'id, name, job_id, status, created_at, duration_ms';
const SQL = {
  one: `SELECT ${RUN_COLUMNS} FROM executions WHERE id = ?`,
  byJob: `SELECT ${RUN_COLUMNS} FROM executions WHERE job_id = ? AND id <= ? ORDER BY id DESC LIMIT ?`,
  byName: `SELECT ${RUN_COLUMNS} FROM executions WHERE name = ? AND job_id IS NULL AND id <= ? ORDER BY id DESC LIMIT ?`,
  steps: `SELECT name, status, duration_ms FROM steps WHERE execution_id = ? ORDER BY id LIMIT ${MAX_STEPS_PER_RUN}`,
};

type Statements = { [K in keyof typeof SQL]: Database.Statement };
const prepared = new WeakMap<Database.Database, Statements>();

function statements(db: Database.Database): Statements {
  let found = prepared.get(db);
  if (found === undefined) {
    found = {
      one: db.prepare(SQL.one),
      byJob: db.prepare(SQL.byJob),
      byName: db.prepare(SQL.byName),
      steps: db.prepare(SQL.steps),
    };
    prepared.set(db, found);
  }
  return found;
}

/**
 * The run `id` and the runs before it of the same job (or, for a run of no job, the runs of no job
 * with the same name),
 * newest first, at most `limit`, each with its steps; undefined when `id` does not exist. Read in
 * one transaction so a run deleted meanwhile cannot leave a run without its steps.
 */
export function recentRuns(db: Database.Database, id: string, limit: number): RecentRuns | undefined {
  const s = statements(db);
  return db.transaction((): RecentRuns | undefined => {
    const current = s.one.get(id) as RunRow | undefined;
    if (current === undefined) return undefined;
    const basis = current.job_id === null ? 'name' : 'job';
    const rows = (
      basis === 'job' ? s.byJob.all(current.job_id, id, limit) : s.byName.all(current.name, id, limit)
    ) as RunRow[];
    const runs: TrendRun[] = rows.map((row) => ({
      id: row.id,
      status: row.status,
      createdAt: row.created_at,
      durationMs: row.duration_ms,
      steps: (s.steps.all(row.id) as { name: string; status: StepStatus; duration_ms: number | null }[]).map(
        (step) => ({ name: step.name, status: step.status, durationMs: step.duration_ms }),
      ),
    }));
    return { basis, runs };
  })();
}
