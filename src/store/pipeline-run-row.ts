import { ERROR_CODES, StepflowError, validationError } from '../core/errors.js';
import type { PipelineRun } from '../core/pipelines/pipeline-run.js';
import type { PipelineRunQuery } from './pipeline-run-store.js';

/** The `pipeline_runs` row, the same on both backends (their migrations declare the same columns). */
export interface PipelineRunRow {
  id: string;
  name: string;
  status: string;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  created_by: string | null;
  rerun_of: string | null;
  cancel_requested: number | boolean;
  definition: string;
  nodes: string;
  /** The job that started it (JSON of its link), and that job's id again for the index; null: none. */
  job_id: string | null;
  job: string | null;
  /** The driving process (JSON of its owner); null in runs saved before. */
  driver: string | null;
}

export const PIPELINE_RUN_COLUMNS =
  'id, name, status, created_at, started_at, ended_at, created_by, rerun_of, cancel_requested, definition, nodes, job_id, job, driver';

/** Values in {@link PIPELINE_RUN_COLUMNS}' order; `cancel_requested` as 0/1 (both backends store an integer). */
export function pipelineRunValues(run: PipelineRun): (string | number | null)[] {
  return [
    run.id,
    run.name,
    run.status,
    run.createdAt,
    run.startedAt,
    run.endedAt,
    run.createdBy ?? null,
    run.rerunOf,
    run.cancelRequested ? 1 : 0,
    JSON.stringify(run.definition),
    JSON.stringify(run.nodes),
    run.job?.jobId ?? null,
    run.job === undefined ? null : JSON.stringify(run.job),
    run.driver === undefined ? null : JSON.stringify(run.driver),
  ];
}

export function pipelineRunFromRow(row: PipelineRunRow): PipelineRun {
  try {
    return {
      id: row.id,
      name: row.name,
      definition: JSON.parse(row.definition) as PipelineRun['definition'],
      status: row.status as PipelineRun['status'],
      createdAt: row.created_at,
      startedAt: row.started_at,
      endedAt: row.ended_at,
      ...(row.created_by === null ? {} : { createdBy: row.created_by }),
      rerunOf: row.rerun_of,
      cancelRequested: Boolean(Number(row.cancel_requested)),
      nodes: JSON.parse(row.nodes) as PipelineRun['nodes'],
      ...(row.job === null ? {} : { job: JSON.parse(row.job) as NonNullable<PipelineRun['job']> }),
      ...(row.driver === null
        ? {}
        : { driver: JSON.parse(row.driver) as NonNullable<PipelineRun['driver']> }),
    };
  } catch (error) {
    throw new StepflowError(ERROR_CODES.UNREADABLE, `pipeline run ${row.id} cannot be read`, {
      cause: error,
      details: { id: row.id },
    });
  }
}

const CURSOR = /^[0-9a-z]{26}$/;

/** The WHERE clause of a listing, with placeholders made by `placeholder(n)` (1-based). */
export function pipelineRunWhere(
  query: PipelineRunQuery,
  placeholder: (n: number) => string,
): { sql: string; values: string[] } {
  const parts: string[] = [];
  const values: string[] = [];
  const add = (value: string) => {
    values.push(value);
    return placeholder(values.length);
  };
  if (query.name !== undefined) parts.push(`name = ${add(query.name)}`);
  if (query.jobId !== undefined) parts.push(`job_id = ${add(query.jobId)}`);
  if (query.status !== undefined && query.status.length > 0) {
    parts.push(`status IN (${query.status.map(add).join(', ')})`);
  }
  if (query.cursor !== undefined) {
    if (!CURSOR.test(query.cursor))
      throw validationError('cursor is not one this server gave', { field: 'cursor' });
    parts.push(`id < ${add(query.cursor)}`);
  }
  return { sql: parts.length === 0 ? '' : `WHERE ${parts.join(' AND ')}`, values };
}
