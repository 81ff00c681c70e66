import type Database from 'better-sqlite3';
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
import { guarded } from './sqlite-errors.js';

/** {@link PipelineRunStore} on the execution store's connection (same database file). */
export class SqlitePipelineRunStore implements PipelineRunStore {
  constructor(private readonly db: Database.Database) {}

  async insertPipelineRun(run: PipelineRun): Promise<void> {
    guarded(this.db, 'cannot save the pipeline run', () => {
      const exists = this.db.prepare('SELECT 1 FROM pipeline_runs WHERE id = ?').get(run.id);
      if (exists !== undefined)
        throw new StepflowError(ERROR_CODES.CONFLICT, `pipeline run ${run.id} exists`);
      this.db
        .prepare(`INSERT INTO pipeline_runs (${PIPELINE_RUN_COLUMNS}) VALUES (${'?, '.repeat(13)}?)`)
        .run(...pipelineRunValues(run));
    });
  }

  async updatePipelineRun(run: PipelineRun): Promise<void> {
    const [, , status, , startedAt, endedAt, , , cancel, , nodes] = pipelineRunValues(run);
    const changes = guarded(
      this.db,
      'cannot save the pipeline run',
      () =>
        this.db
          .prepare(
            'UPDATE pipeline_runs SET status = ?, started_at = ?, ended_at = ?, cancel_requested = ?, nodes = ? WHERE id = ?',
          )
          .run(status, startedAt, endedAt, cancel, nodes, run.id).changes,
    );
    if (changes === 0) throw notFound('pipeline run', run.id);
  }

  async getPipelineRun(id: string): Promise<PipelineRun | undefined> {
    const row = guarded(this.db, 'cannot read the pipeline run', () =>
      this.db
        .prepare<[string], PipelineRunRow>(`SELECT ${PIPELINE_RUN_COLUMNS} FROM pipeline_runs WHERE id = ?`)
        .get(id),
    );
    return row === undefined ? undefined : pipelineRunFromRow(row);
  }

  async listPipelineRuns(query: PipelineRunQuery): Promise<PipelineRunPage> {
    const where = pipelineRunWhere(query, () => '?');
    const rows = guarded(this.db, 'cannot list the pipeline runs', () =>
      this.db
        .prepare<(string | number)[], PipelineRunRow>(
          `SELECT ${PIPELINE_RUN_COLUMNS} FROM pipeline_runs ${where.sql} ORDER BY id DESC LIMIT ?`,
        )
        .all(...where.values, query.limit + 1),
    );
    const items = rows.slice(0, query.limit).map(pipelineRunFromRow);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > query.limit && last ? last.id : null };
  }
}
