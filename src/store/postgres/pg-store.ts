import type pg from 'pg';
import { ERROR_CODES, StepflowError, notFound } from '../../core/errors.js';
import { createExecutionIdFactory } from '../../core/execution-ids.js';
import { newExecution } from '../../core/new-execution.js';
import { EXECUTION_STATUSES, isExecutionStatus } from '../../core/statuses.js';
import type { ExecutionStatus } from '../../core/statuses.js';
import type {
  Execution,
  ExecutionDetail,
  ExecutionOwner,
  ExecutionSummary,
  ResourceSample,
  RunSpec,
} from '../../core/model.js';
import type {
  ArtifactPage,
  ArtifactQuery,
  CancelRequestResult,
  ExecutionPage,
  ExecutionQuery,
  ExecutionStats,
  ExecutionStore,
  LogOutline,
  LogPage,
  LogQuery,
  LogTextPage,
  LogTextQuery,
  LogSearchPage,
  LogSearchQuery,
  NewExecution,
  RecentRuns,
  RunSearchPage,
  RunSearchQuery,
  StatsQuery,
  StoreChange,
  WriteBatch,
} from '../store.js';
import { annotationFromRow, artifactFromRow, sampleFromRow, stepFromRow } from '../sqlite/detail-rows.js';
import type { AnnotationRow, ArtifactRow, SampleRow, StepRow } from '../sqlite/detail-rows.js';
import {
  executionFromRow,
  parseRunSpec,
  RUN_SUMMARY_STEP_ID,
  unreadableExecution,
} from '../sqlite/execution-row.js';
import type { ExecutionRow } from '../sqlite/execution-row.js';
import { writeBatch, writeExecutions } from './batch-writer.js';
import { cancelRequests, requestCancel } from './cancel-requests.js';
import { executionColumns, hasSummarySql } from './execution-row.js';
import { executionStats } from './execution-stats.js';
import { lastSignOfLife } from './last-sign-of-life.js';
import { lastSucceededByName } from './last-succeeded.js';
import { listArtifacts } from './list-artifacts.js';
import { listExecutions } from './list-executions.js';
import { readLogOutline } from './log-outline.js';
import { readLog, readLogText } from './log-reader.js';
import { searchLog } from './log-search.js';
import { toStoreError } from './pg-errors.js';
import { recentRuns } from './recent-runs.js';
import { recoverInterrupted } from './recover-interrupted.js';
import { searchRuns } from './run-search.js';
import * as retention from './retention-rows.js';
import type { EndedRun, EndedRunQuery, ExpiredArtifact, RunBytes } from '../store.js';
import type { Queryable } from './sql-values.js';
import { onClient, writeTransaction } from './write-transaction.js';
import { batchChanges } from './batch-changes.js';
import type { PgChangeNotices } from './change-notices.js';

/**
 * {@link ExecutionStore} on a node-postgres pool, which it owns (ends on close): the job store
 * opened with it by `openPostgresStores` shares it. A write is one transaction on one pooled
 * client; a read of several parts is one REPEATABLE READ snapshot, so its parts agree.
 */
export class PostgresStore implements ExecutionStore {
  private readonly nextId = createExecutionIdFactory();
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly now: () => Date,
    private readonly notices: PgChangeNotices,
  ) {}

  onChange(listener: (change: StoreChange) => void): () => void {
    return this.notices.subscribe(listener);
  }

  async createExecution(input: NewExecution): Promise<Execution> {
    return this.guard('cannot create the execution', async () => {
      const execution = newExecution(input, { nextId: this.nextId, now: this.now });
      const change: StoreChange = execution.status === 'queued' ? 'queued' : 'log';
      await this.transaction(
        async (db) => {
          await writeExecutions(db, [{ execution, spec: input.spec }]);
          // Set once, at creation: the upsert never touches it, so later writes of the row keep it.
          if (execution.runsOn !== undefined) {
            await db.query('UPDATE executions SET runs_on = $1 WHERE id = $2', [
              JSON.stringify(execution.runsOn),
              execution.id,
            ]);
          }
          if (execution.createdBy !== undefined) {
            await db.query('UPDATE executions SET created_by = $1 WHERE id = $2', [
              execution.createdBy,
              execution.id,
            ]);
          }
          if (execution.project !== undefined) {
            await db.query('UPDATE executions SET project = $1 WHERE id = $2', [
              JSON.stringify(execution.project),
              execution.id,
            ]);
          }
        },
        [change],
      );
      return execution;
    });
  }

  async write(batch: WriteBatch): Promise<void> {
    await this.guard('cannot write the batch', () =>
      this.transaction((db) => writeBatch(db, batch), batchChanges(batch)),
    );
  }

  async getExecution(id: string): Promise<ExecutionDetail | undefined> {
    return this.guard('cannot read the execution', () =>
      this.snapshot(async (db): Promise<ExecutionDetail | undefined> => {
        const { rows } = await db.query<ExecutionRow>(
          `SELECT ${executionColumns()} FROM executions WHERE id = $1`,
          [id],
        );
        const row = rows[0];
        if (row === undefined) return undefined;
        const execution = executionFromRow(row);
        // One client runs one query at a time: these go one after the other.
        const steps = await db.query<StepRow>(
          `SELECT *, ${hasSummarySql('steps.execution_id', 'steps.id')} AS has_summary
            FROM steps WHERE execution_id = $1 ORDER BY id`,
          [id],
        );
        const artifacts = await db.query<ArtifactRow>(
          'SELECT * FROM artifacts WHERE execution_id = $1 ORDER BY id',
          [id],
        );
        const annotations = await db.query<AnnotationRow>(
          'SELECT * FROM annotations WHERE execution_id = $1 ORDER BY id',
          [id],
        );
        try {
          return {
            ...execution,
            steps: steps.rows.map(stepFromRow),
            artifacts: artifacts.rows.map(artifactFromRow),
            annotations: annotations.rows.map(annotationFromRow),
          };
        } catch (error) {
          // A step's damaged meta JSON: the execution cannot be shown, and can be deleted.
          if (error instanceof SyntaxError) throw unreadableExecution(row, error);
          throw error;
        }
      }),
    );
  }

  async getSummary(id: string): Promise<ExecutionSummary | undefined> {
    return this.guard('cannot read the summary', () =>
      this.snapshot(async (db): Promise<ExecutionSummary | undefined> => {
        if (!(await exists(db, id))) return undefined;
        const { rows } = await db.query<{ step_id: number; text: string }>(
          'SELECT step_id, text FROM summaries WHERE execution_id = $1 ORDER BY step_id',
          [id],
        );
        return {
          summary: rows.find((row) => row.step_id === RUN_SUMMARY_STEP_ID)?.text ?? null,
          steps: rows
            .filter((row) => row.step_id !== RUN_SUMMARY_STEP_ID)
            .map((row) => ({ stepId: row.step_id, summary: row.text })),
        };
      }),
    );
  }

  async getRunSpec(id: string): Promise<RunSpec | undefined> {
    return this.guard('cannot read the run spec', async () => {
      const { rows } = await this.pool.query<{ run_spec: string }>(
        'SELECT run_spec FROM executions WHERE id = $1',
        [id],
      );
      const json = rows[0]?.run_spec;
      return json === undefined ? undefined : parseRunSpec(json, id);
    });
  }

  async listExecutions(query?: ExecutionQuery): Promise<ExecutionPage> {
    return this.guard('cannot list executions', () => listExecutions(this.pool, query));
  }

  async executionStats(query: StatsQuery): Promise<ExecutionStats> {
    return this.guard('cannot compute execution stats', () => executionStats(this.pool, query));
  }

  async listArtifacts(query?: ArtifactQuery): Promise<ArtifactPage> {
    return this.guard('cannot list artifacts', () => listArtifacts(this.pool, query));
  }

  async readLog(id: string, query?: LogQuery): Promise<LogPage> {
    return this.guard('cannot read the log', async () => {
      const page = await readLog(this.pool, id, query);
      return page.lines.length > 0 ? page : this.withLogExpiry(id, page);
    });
  }

  async readLogText(id: string, query?: LogTextQuery): Promise<LogTextPage> {
    return this.guard('cannot read the log', async () => {
      const page = await readLogText(this.pool, id, query);
      return page.text.length > 0 ? page : this.withLogExpiry(id, page);
    });
  }

  /** An empty page: say why when retention dropped the text (an empty log looks the same). */
  private async withLogExpiry<P extends { expiredAt?: string }>(id: string, page: P): Promise<P> {
    const { rows } = await this.pool.query<{ at: string | null }>(
      'SELECT logs_expired_at AS at FROM executions WHERE id = $1',
      [id],
    );
    const row = rows[0];
    if (row === undefined) throw notFound('execution', id);
    return row.at === null ? page : { ...page, expiredAt: row.at };
  }

  async readLogOutline(id: string): Promise<LogOutline> {
    return this.guard('cannot read the log outline', async () => {
      const outline = await readLogOutline(this.pool, id);
      if (outline.segments.length === 0) await this.assertExists(id);
      return outline;
    });
  }

  async searchLog(id: string, query: LogSearchQuery): Promise<LogSearchPage> {
    return this.guard('cannot search the log', async () => {
      const page = await searchLog(this.pool, id, query);
      if (page.lineTotal === 0) await this.assertExists(id);
      return page;
    });
  }

  async searchRuns(query: RunSearchQuery): Promise<RunSearchPage> {
    return this.guard('cannot search the runs', () => this.snapshot((db) => searchRuns(db, query)));
  }

  async listResourceSamples(id: string): Promise<ResourceSample[]> {
    return this.guard('cannot read resource samples', async () => {
      const { rows } = await this.pool.query<SampleRow>(
        'SELECT ts, cpu_percent, memory_bytes, process_count FROM resource_samples WHERE execution_id = $1 ORDER BY ts',
        [id],
      );
      if (rows.length === 0) await this.assertExists(id);
      return rows.map(sampleFromRow);
    });
  }

  async lastSucceededByName(name: string, beforeCreatedAt: string): Promise<Execution | undefined> {
    return this.guard('cannot find the last succeeded execution', () =>
      lastSucceededByName(this.pool, name, beforeCreatedAt),
    );
  }

  async recentRuns(id: string, limit: number): Promise<RecentRuns | undefined> {
    return this.guard('cannot read the recent runs', () =>
      this.snapshot((db) => recentRuns(db, id, Math.max(1, Math.trunc(limit)))),
    );
  }

  async countByStatus(): Promise<Record<ExecutionStatus, number>> {
    return this.guard('cannot count executions', async () => {
      const counts = Object.fromEntries(EXECUTION_STATUSES.map((s) => [s, 0])) as Record<
        ExecutionStatus,
        number
      >;
      const { rows } = await this.pool.query<{ status: string; n: number }>(
        'SELECT status, count(*) AS n FROM executions GROUP BY status',
      );
      for (const { status, n } of rows) {
        // A status written by a newer StepFlow has no slot here; it is left out rather than guessed.
        if (isExecutionStatus(status)) counts[status] = n;
      }
      return counts;
    });
  }

  async deleteExecution(id: string): Promise<void> {
    await this.guard('cannot delete the execution', () =>
      this.transaction(async (db) => {
        // ON DELETE CASCADE removes tags, steps, log chunks, artifacts, annotations, samples, summaries.
        const { rowCount } = await db.query('DELETE FROM executions WHERE id = $1', [id]);
        if (rowCount === 0) throw notFound('execution', id);
      }),
    );
  }

  async setPinned(id: string, pinned: boolean): Promise<Execution> {
    return this.guard('cannot pin the execution', () =>
      this.transaction((db) => retention.setPinned(db, id, pinned)),
    );
  }

  async listEndedRuns(query: EndedRunQuery): Promise<EndedRun[]> {
    return this.guard('cannot list ended executions', () => retention.listEndedRuns(this.pool, query));
  }

  async measureRuns(ids: string[]): Promise<RunBytes[]> {
    return this.guard('cannot measure executions', () => retention.measureRuns(this.pool, ids));
  }

  async dropLogs(ids: string[], at: string): Promise<string[]> {
    return this.guard('cannot drop logs', () => this.transaction((db) => retention.dropLogs(db, ids, at)));
  }

  async expireArtifacts(ids: string[]): Promise<ExpiredArtifact[]> {
    return this.guard('cannot expire artifacts', () =>
      this.transaction((db) => retention.expireArtifacts(db, ids)),
    );
  }

  async deleteExecutions(ids: string[]): Promise<string[]> {
    return this.guard('cannot delete executions', () =>
      this.transaction((db) => retention.deleteExecutions(db, ids)),
    );
  }

  async recoverInterrupted(isOwnerAlive: (owner: ExecutionOwner) => boolean): Promise<string[]> {
    return this.guard('cannot recover interrupted executions', () =>
      recoverInterrupted(this.pool, isOwnerAlive, this.now(), (work) => this.transaction(work, ['ended'])),
    );
  }

  async lastSignOfLife(id: string): Promise<string | null> {
    return this.guard('cannot read the last sign of life', async () => {
      const ms = await this.snapshot((db) => lastSignOfLife(db, id));
      return ms === null ? null : new Date(ms).toISOString();
    });
  }

  async requestCancel(id: string, at: string): Promise<CancelRequestResult> {
    return this.guard('cannot record the cancel request', () =>
      this.transaction((db) => requestCancel(db, id, at)),
    );
  }

  async cancelRequests(owner: ExecutionOwner): Promise<string[]> {
    return this.guard('cannot read cancel requests', () => cancelRequests(this.pool, owner));
  }

  async changeMarker(): Promise<number> {
    return this.guard('cannot read the change marker', async () => {
      const { rows } = await this.pool.query<{ n: number; called: boolean }>(
        'SELECT last_value AS n, is_called AS called FROM stepflow_changes',
      );
      const row = rows[0];
      return row === undefined || !row.called ? 0 : row.n;
    });
  }

  /** Ends the pool; later calls fail with `store_unavailable`. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.notices.close();
    await this.pool.end();
  }

  private async assertExists(id: string): Promise<void> {
    if (!(await exists(this.pool, id))) throw notFound('execution', id);
  }

  /** A write transaction; after its commit other processes hear of `changes` (change-notices.ts). */
  private async transaction<T>(
    work: (db: pg.PoolClient) => Promise<T>,
    changes: readonly StoreChange[] = ['log'],
  ): Promise<T> {
    return writeTransaction(this.pool, work, { notices: this.notices, changes: () => changes });
  }

  /** Reads of several parts from one snapshot. */
  private async snapshot<T>(work: (db: pg.PoolClient) => Promise<T>): Promise<T> {
    return onClient(this.pool, async (client) => {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        const value = await work(client);
        await client.query('COMMIT');
        return value;
      } catch (error) {
        // The read's error is what the caller needs; a failed rollback ends with the connection.
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  private async guard<T>(context: string, operation: () => Promise<T>): Promise<T> {
    if (this.closed)
      throw new StepflowError(ERROR_CODES.STORE_UNAVAILABLE, `${context}: the store is closed`);
    try {
      return await operation();
    } catch (error) {
      throw toStoreError(error, context);
    }
  }
}

async function exists(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM executions WHERE id = $1', [id]);
  return (rowCount ?? 0) > 0;
}
