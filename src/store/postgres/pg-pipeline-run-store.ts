import type pg from 'pg';
import { ERROR_CODES, StepflowError, notFound } from '../../core/errors.js';
import type { PipelineRun } from '../../core/pipelines/pipeline-run.js';
import {
  PIPELINE_RUN_COLUMNS,
  pipelineRunFromRow,
  pipelineRunValues,
  pipelineRunWhere,
  type PipelineRunRow,
} from '../pipeline-run-row.js';
import type { PipelineRunPage, PipelineRunQuery, PipelineRunStore } from '../pipeline-run-store.js';
import { toStoreError } from './pg-errors.js';

/** {@link PipelineRunStore} on the PostgreSQL backend's pool. */
export class PostgresPipelineRunStore implements PipelineRunStore {
  constructor(private readonly pool: pg.Pool) {}

  async insertPipelineRun(run: PipelineRun): Promise<void> {
    const values = pipelineRunValues(run);
    const { rowCount } = await this.guard('cannot save the pipeline run', () =>
      this.pool.query(
        `INSERT INTO pipeline_runs (${PIPELINE_RUN_COLUMNS}) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})
         ON CONFLICT (id) DO NOTHING`,
        values,
      ),
    );
    if (rowCount === 0) throw new StepflowError(ERROR_CODES.CONFLICT, `pipeline run ${run.id} exists`);
  }

  async updatePipelineRun(run: PipelineRun): Promise<void> {
    const [, , status, , startedAt, endedAt, , , cancel, , nodes] = pipelineRunValues(run);
    const { rowCount } = await this.guard('cannot save the pipeline run', () =>
      this.pool.query(
        'UPDATE pipeline_runs SET status = $1, started_at = $2, ended_at = $3, cancel_requested = $4, nodes = $5 WHERE id = $6',
        [status, startedAt, endedAt, cancel, nodes, run.id],
      ),
    );
    if (rowCount === 0) throw notFound('pipeline run', run.id);
  }

  async getPipelineRun(id: string): Promise<PipelineRun | undefined> {
    const { rows } = await this.guard('cannot read the pipeline run', () =>
      this.pool.query<PipelineRunRow>(`SELECT ${PIPELINE_RUN_COLUMNS} FROM pipeline_runs WHERE id = $1`, [
        id,
      ]),
    );
    return rows[0] === undefined ? undefined : pipelineRunFromRow(rows[0]);
  }

  async listPipelineRuns(query: PipelineRunQuery): Promise<PipelineRunPage> {
    const where = pipelineRunWhere(query, (n) => `$${n}`);
    const { rows } = await this.guard('cannot list the pipeline runs', () =>
      this.pool.query<PipelineRunRow>(
        `SELECT ${PIPELINE_RUN_COLUMNS} FROM pipeline_runs ${where.sql} ORDER BY id DESC LIMIT $${where.values.length + 1}`,
        [...where.values, query.limit + 1],
      ),
    );
    const items = rows.slice(0, query.limit).map(pipelineRunFromRow);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > query.limit && last ? last.id : null };
  }

  private async guard<T>(context: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw toStoreError(error, context);
    }
  }
}
