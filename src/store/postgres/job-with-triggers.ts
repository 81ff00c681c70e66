import type { JobRow, TriggerRow } from '../sqlite/job-rows.js';

/** A job's row with its trigger rows, by position, as one JSON array: one statement reads both. */
export interface JobWithTriggersRow extends JobRow {
  triggers: TriggerRow[];
}

/**
 * `SELECT` of jobs (alias `j`) with their triggers; append a `WHERE` or `ORDER BY`. One statement
 * for any number of jobs: no query per job, and jobs and triggers from the same snapshot. JSON
 * keeps the trigger columns' values (bigint epoch ms are JSON numbers, far below 2^53).
 */
export const JOB_WITH_TRIGGERS = `SELECT j.id, j.name, j.enabled, j.definition, j.created_at,
  j.updated_at, j.late_by_p95, j.runs_on, j.retry_on_lost, coalesce((SELECT json_agg(t ORDER BY t.position) FROM job_triggers t
    WHERE t.job_id = j.id), '[]'::json) AS triggers
  FROM jobs j`;

export function splitJobRow(row: JobWithTriggersRow): { job: JobRow; triggers: TriggerRow[] } {
  const { triggers, ...job } = row;
  return { job, triggers };
}
