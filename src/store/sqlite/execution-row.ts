import { ERROR_CODES, StepflowError, validationError } from '../../core/errors.js';
import type { Execution, ProjectRef, ResourcePeaks, RunSpec } from '../../core/model.js';
import { executionEstimatedSeconds } from '../../core/estimated-duration.js';
import type { LimitHit, RunLimits } from '../../core/run-limits.js';
import type { ExecutionStatus } from '../../core/statuses.js';

/** Conversions between executions and their rows; the SQL lives next to its parameter list. */

export const EXECUTION_COLUMNS = `id, name, command, argv, cwd, tags, status, exit_code, signal, error, created_at,
  started_at, ended_at, duration_ms, timeout_seconds, meta, owner_host, owner_pid, owner_start_time,
  line_count, resources, job_id, attempt, retry_of_id, scheduled_at, rerun_of, resume_from, late_after_seconds,
  outputs, limits, limit_hits, runs_on, worker_name, worker_attempt, pinned, logs_expired_at, created_by, project,
  ${hasSummarySql('id', '0')} AS has_summary`;

/** The `summaries.step_id` of a run's whole summary (steps are numbered from 1). */
export const RUN_SUMMARY_STEP_ID = 0;

/**
 * Whether a summary text is stored (`summaries`, migration "step summaries"), by its primary key:
 * the text itself is never read here. `executionId`/`stepId` are SQL expressions of the outer row
 * (written unqualified, they resolve to it whatever the table's alias: `summaries` has no such
 * column).
 */
export function hasSummarySql(executionId: string, stepId: string): string {
  return `EXISTS (SELECT 1 FROM summaries WHERE summaries.execution_id = ${executionId} AND summaries.step_id = ${stepId})`;
}

export interface ExecutionRow {
  id: string;
  name: string;
  command: string;
  argv: string | null;
  cwd: string;
  tags: string;
  status: ExecutionStatus;
  exit_code: number | null;
  signal: string | null;
  error: string | null;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  duration_ms: number | null;
  timeout_seconds: number | null;
  meta: string;
  owner_host: string | null;
  owner_pid: number | null;
  owner_start_time: number | null;
  line_count: number;
  resources: string | null;
  job_id: string | null;
  attempt: number | null;
  retry_of_id: string | null;
  scheduled_at: string | null;
  rerun_of: string | null;
  resume_from: string | null;
  late_after_seconds: number | null;
  outputs: string | null;
  has_summary: number;
  limits: string | null;
  limit_hits: string | null;
  runs_on?: string | null;
  worker_name?: string | null;
  worker_attempt?: number | null;
  /** Retention (migration "retention"): 0/1, and when the log text was dropped. */
  pinned?: number | null;
  logs_expired_at?: string | null;
  /** Who started it (migration "audit log"); null for runs before it, and remote runs. */
  created_by?: string | null;
  /** The project and version it ran in (migration "projects"), JSON; null for other runs. */
  project?: string | null;
}

/**
 * The execution of a row. Throws an `unreadable` error naming the execution when one of its JSON
 * columns is damaged (details: id, name and the status column, which a delete needs).
 */
export function executionFromRow(row: ExecutionRow): Execution {
  try {
    return convert(row);
  } catch (error) {
    throw unreadableExecution(row, error);
  }
}

export function unreadableExecution(
  row: Pick<ExecutionRow, 'id' | 'name' | 'status'>,
  error: unknown,
): StepflowError {
  const reason = error instanceof Error ? error.message : String(error);
  return new StepflowError(
    ERROR_CODES.UNREADABLE,
    `execution ${row.id} cannot be read: ${reason}; delete it`,
    { cause: error, details: { id: row.id, name: row.name, status: row.status, reason } },
  );
}

function convert(row: ExecutionRow): Execution {
  const meta = parseJson<Record<string, string>>(row.meta, 'meta');
  return {
    id: row.id,
    name: row.name,
    command: row.command,
    argv: row.argv === null ? null : parseJson<string[]>(row.argv, 'argv'),
    cwd: row.cwd,
    tags: parseJson<Record<string, string>>(row.tags, 'tags'),
    status: row.status,
    exitCode: row.exit_code,
    signal: row.signal,
    error: row.error,
    createdAt: row.created_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    durationMs: row.duration_ms,
    timeoutSeconds: row.timeout_seconds,
    meta,
    estimatedDurationSeconds: executionEstimatedSeconds(meta),
    owner:
      row.owner_host === null || row.owner_pid === null || row.owner_start_time === null
        ? null
        : { host: row.owner_host, pid: row.owner_pid, startTime: row.owner_start_time },
    lineCount: row.line_count,
    resources: row.resources === null ? null : parseJson<ResourcePeaks>(row.resources, 'resources'),
    // Columns added by a later migration: rows from before it (and ad-hoc runs) have NULL.
    jobId: row.job_id ?? null,
    attempt: row.attempt ?? null,
    retryOfId: row.retry_of_id ?? null,
    scheduledAt: row.scheduled_at ?? null,
    rerunOf: row.rerun_of ?? null,
    resumeFrom: row.resume_from ?? null,
    lateAfterSeconds: row.late_after_seconds ?? null,
    hasSummary: row.has_summary === 1,
    outputs: row.outputs == null ? {} : parseJson<Record<string, string>>(row.outputs, 'outputs'),
    limits: row.limits == null ? null : parseJson<RunLimits>(row.limits, 'limits'),
    limitHits: row.limit_hits == null ? [] : parseJson<LimitHit[]>(row.limit_hits, 'limit_hits'),
    // Workers (migration "workers"): absent for a run this process runs itself.
    ...(row.runs_on == null ? {} : { runsOn: parseJson<string[]>(row.runs_on, 'runs_on') }),
    ...(row.worker_name == null || row.worker_attempt == null
      ? {}
      : { worker: { name: row.worker_name, attempt: row.worker_attempt } }),
    // Retention (migration "retention"): absent unless pinned / dropped, like the worker fields.
    ...(row.pinned === 1 ? { pinned: true } : {}),
    ...(row.logs_expired_at == null ? {} : { logExpiredAt: row.logs_expired_at }),
    ...(row.created_by == null ? {} : { createdBy: row.created_by }),
    ...(row.project == null ? {} : { project: parseJson<ProjectRef>(row.project, 'project') }),
  };
}

/** A JSON column that must hold an object (or, for argv, an array). */
function parseJson<T>(text: string, column: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`its ${column} column is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null)
    throw new Error(`its ${column} column is not a JSON object`);
  return value as T;
}

/** Parameters for `UPSERT_EXECUTION_SQL`, in its column order. */
export function executionParams(execution: Execution, runSpec: RunSpec): unknown[] {
  return [
    execution.id,
    execution.name,
    execution.command,
    execution.argv === null ? null : JSON.stringify(execution.argv),
    execution.cwd,
    JSON.stringify(execution.tags),
    execution.status,
    execution.exitCode,
    execution.signal,
    execution.error,
    execution.createdAt,
    isoToMs(execution.createdAt, 'createdAt'),
    execution.startedAt,
    execution.endedAt,
    execution.durationMs,
    execution.timeoutSeconds,
    JSON.stringify(execution.meta),
    execution.owner?.host ?? null,
    execution.owner?.pid ?? null,
    execution.owner?.startTime ?? null,
    execution.lineCount,
    execution.resources === null ? null : JSON.stringify(execution.resources),
    JSON.stringify(runSpec),
    execution.jobId ?? null,
    execution.attempt ?? null,
    execution.retryOfId ?? null,
    execution.scheduledAt ?? null,
    execution.rerunOf ?? null,
    execution.resumeFrom ?? null,
    execution.lateAfterSeconds ?? null,
    JSON.stringify(execution.outputs),
    execution.limits == null ? null : JSON.stringify(execution.limits),
    (execution.limitHits ?? []).length === 0 ? null : JSON.stringify(execution.limitHits),
  ];
}

/**
 * Inserts a full execution row, or overwrites every column but the run spec, the job link, the
 * re-run link and the late threshold (set once, at creation). line_count never goes down: it is the
 * highest stored seq, and stored lines are never removed. A `lost` row is final: a late report of
 * its worker that raced the lease sweep does not reopen it.
 */
export const UPSERT_EXECUTION_SQL = `INSERT INTO executions (id, name, command, argv, cwd, tags, status,
  exit_code, signal, error, created_at, created_ms, started_at, ended_at, duration_ms, timeout_seconds,
  meta, owner_host, owner_pid, owner_start_time, line_count, resources, run_spec, job_id, attempt,
  retry_of_id, scheduled_at, rerun_of, resume_from, late_after_seconds, outputs, limits, limit_hits)
  VALUES (${new Array(33).fill('?').join(', ')})
  ON CONFLICT (id) DO UPDATE SET name = excluded.name, command = excluded.command, argv = excluded.argv,
  cwd = excluded.cwd, tags = excluded.tags, status = excluded.status, exit_code = excluded.exit_code,
  signal = excluded.signal, error = excluded.error, created_at = excluded.created_at,
  created_ms = excluded.created_ms, started_at = excluded.started_at, ended_at = excluded.ended_at,
  duration_ms = excluded.duration_ms, timeout_seconds = excluded.timeout_seconds, meta = excluded.meta,
  owner_host = excluded.owner_host, owner_pid = excluded.owner_pid,
  owner_start_time = excluded.owner_start_time, line_count = max(line_count, excluded.line_count),
  resources = excluded.resources, outputs = excluded.outputs, limits = excluded.limits,
  limit_hits = excluded.limit_hits
  WHERE executions.status <> 'lost'`;

/** The spec recorded for an execution that reached the store through `write` only (no env). */
export function runSpecOf(execution: Execution): RunSpec {
  return {
    name: execution.name,
    ...(execution.argv === null ? { command: execution.command } : { argv: execution.argv }),
    cwd: execution.cwd,
    tags: execution.tags,
    ...(execution.timeoutSeconds === null ? {} : { timeoutSeconds: execution.timeoutSeconds }),
    ...(execution.lateAfterSeconds === null ? {} : { lateAfterSeconds: execution.lateAfterSeconds }),
    ...(execution.limits == null ? {} : { limits: execution.limits }),
  };
}

/** Epoch ms of an ISO timestamp; filters compare numbers so any ISO offset sorts correctly. */
export function isoToMs(value: string, field: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw validationError(`${field} must be an ISO 8601 timestamp, got ${JSON.stringify(value)}`);
  return ms;
}

/** A stored run spec (JSON) back as an object; `unreadable` when it cannot be parsed. */
export function parseRunSpec(json: string, id: string): RunSpec {
  try {
    return JSON.parse(json) as RunSpec;
  } catch (error) {
    throw new StepflowError(ERROR_CODES.UNREADABLE, `the run spec of execution ${id} cannot be read`, {
      cause: error,
      details: { id },
    });
  }
}
