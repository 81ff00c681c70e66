/**
 * The execution columns as PostgreSQL returns them in the shape of the SQLite rows, so both
 * backends convert rows with the same pure functions (`../sqlite/execution-row.ts`,
 * `../sqlite/detail-rows.ts`) and return identical objects.
 */

/** Whether a summary text is stored, as 0/1 like SQLite's EXISTS (see `hasSummarySql` there). */
export function hasSummarySql(executionId: string, stepId: string): string {
  return `(EXISTS (SELECT 1 FROM summaries WHERE summaries.execution_id = ${executionId} AND summaries.step_id = ${stepId}))::integer`;
}

/** The columns of `ExecutionRow`, from `executions` aliased (or named) `table`. */
export function executionColumns(table = 'executions'): string {
  return `${table}.id, ${table}.name, ${table}.command, ${table}.argv, ${table}.cwd, ${table}.tags,
  ${table}.status, ${table}.exit_code, ${table}.signal, ${table}.error, ${table}.created_at,
  ${table}.started_at, ${table}.ended_at, ${table}.duration_ms, ${table}.timeout_seconds, ${table}.meta,
  ${table}.owner_host, ${table}.owner_pid, ${table}.owner_start_time, ${table}.line_count,
  ${table}.resources, ${table}.job_id, ${table}.attempt, ${table}.retry_of_id, ${table}.scheduled_at,
  ${table}.rerun_of, ${table}.resume_from, ${table}.late_after_seconds, ${table}.outputs, ${table}.limits,
  ${table}.limit_hits, ${table}.runs_on, ${table}.worker_name, ${table}.worker_attempt,
  ${table}.pinned, ${table}.logs_expired_at, ${table}.created_by, ${table}.project,
  ${hasSummarySql(`${table}.id`, '0')} AS has_summary`;
}

/** The 33 columns `executionParams` (`../sqlite/execution-row.ts`) gives values for, in its order. */
const INSERT_COLUMNS = `id, name, command, argv, cwd, tags, status, exit_code, signal, error, created_at,
  created_ms, started_at, ended_at, duration_ms, timeout_seconds, meta, owner_host, owner_pid,
  owner_start_time, line_count, resources, run_spec, job_id, attempt, retry_of_id, scheduled_at, rerun_of,
  resume_from, late_after_seconds, outputs, limits, limit_hits`;

export const EXECUTION_PARAM_COUNT = 33;

export const INSERT_EXECUTION_HEAD = `INSERT INTO executions (${INSERT_COLUMNS})`;

/**
 * Overwrites every column but the run spec, the job link, the re-run link and the late threshold
 * (set once, at creation); line_count never goes down; a `lost` row is final (a late report of its
 * worker raced the lease sweep); the worker columns are the worker store's. SQLite's upsert's rule.
 */
export const UPSERT_EXECUTION_TAIL = `ON CONFLICT (id) DO UPDATE SET name = excluded.name,
  command = excluded.command, argv = excluded.argv, cwd = excluded.cwd, tags = excluded.tags,
  status = excluded.status, exit_code = excluded.exit_code, signal = excluded.signal,
  error = excluded.error, created_at = excluded.created_at, created_ms = excluded.created_ms,
  started_at = excluded.started_at, ended_at = excluded.ended_at, duration_ms = excluded.duration_ms,
  timeout_seconds = excluded.timeout_seconds, meta = excluded.meta, owner_host = excluded.owner_host,
  owner_pid = excluded.owner_pid, owner_start_time = excluded.owner_start_time,
  line_count = greatest(executions.line_count, excluded.line_count), resources = excluded.resources,
  outputs = excluded.outputs, limits = excluded.limits, limit_hits = excluded.limit_hits
  WHERE executions.status <> 'lost'`;
