import type pg from 'pg';
import { ERROR_CODES, StepflowError, isStepflowError, notFound } from '../../core/errors.js';
import { createExecutionIdFactory } from '../../core/execution-ids.js';
import type { FireRecord, Job, JobDefinition, PendingRetry, WebhookDelivery } from '../../core/jobs/job.js';
import type { StepDurationSample } from '../../core/jobs/step-percentiles.js';
import type { JobLastRun, JobList, JobRunSummary, JobStore, NewFire } from '../job-store.js';
import type { UnreadableRecord } from '../store.js';
import {
  definitionJson,
  deliveryFromRow,
  fireFromRow,
  jobFromRows,
  pendingRetryFromRow,
  triggerKey,
  type DeliveryRow,
  type FireRow,
  type JobRow,
  type PendingRetryRow,
} from '../sqlite/job-rows.js';
import { lastRuns, recentJobRuns, recentStepDurations } from './job-run-history.js';
import { JOB_WITH_TRIGGERS, splitJobRow, type JobWithTriggersRow } from './job-with-triggers.js';
import { toStoreError } from './pg-errors.js';
import { PgSchedulerLease } from './pg-scheduler-lease.js';
import { insertValues, type Queryable } from './sql-values.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

/** SQLSTATEs this store handles itself: a unique key (the job name) and a foreign key. */
const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';

const INSERT_FIRE = `INSERT INTO job_fires (job_id, trigger_id, fire_ms, fire_time, outcome, reason,
  execution_id, count, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
  ON CONFLICT (trigger_id, fire_ms) DO NOTHING RETURNING *`;

/**
 * {@link JobStore} on the pool of the PostgreSQL execution store it is opened with
 * (`openPostgresStores`), which owns and ends the pool: `close()` only ends this store's use of it.
 * The rows have the SQLite columns and value types, so the SQLite row conversions (`job-rows.ts`)
 * give identical objects. What SQLite does in one transaction is one transaction (or one
 * statement) here; exactly-once fires and retry claims rest on the database's unique keys
 * (`ON CONFLICT DO NOTHING`, `DELETE … RETURNING`), not on anything held in this process.
 */
export class PostgresJobStore implements JobStore {
  /** On a connection of its own, opened from the pool's settings when the scheduler first asks. */
  readonly schedulerLease: PgSchedulerLease;
  private readonly nextId = createExecutionIdFactory();
  /** Job contents that passed the rules on read (see `jobFromRows`). */
  private readonly checkedJobs = new Set<string>();
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly now: () => Date,
  ) {
    this.schedulerLease = new PgSchedulerLease({ ...pool.options, keepAlive: true });
  }

  /** One transaction: the job and its triggers, read back; a job it cannot read back is rolled back. */
  async createJob(definition: JobDefinition): Promise<Job> {
    return this.guard('cannot create the job', () =>
      this.transaction(async (db) => {
        const now = this.now();
        const id = this.nextId(now.getTime());
        const iso = now.toISOString();
        await db.query(
          `INSERT INTO jobs (id, name, enabled, definition, late_by_p95, created_at, updated_at, runs_on, retry_on_lost)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [
            id,
            definition.name,
            definition.enabled ? 1 : 0,
            definitionJson(definition),
            definition.lateByP95 ? 1 : 0,
            iso,
            iso,
            JSON.stringify(definition.runsOn),
            definition.retryOnLost ? 1 : 0,
          ],
        );
        await this.insertTriggers(
          db,
          id,
          definition.triggers.map((spec, position) => ({ spec, position })),
          now,
        );
        return this.read(db, id);
      }),
    );
  }

  /**
   * One transaction. Its first statement locks the job's row, so concurrent updates of one job
   * (from any process) take turns, and each matches triggers against the other's committed ones.
   */
  async updateJob(id: string, definition: JobDefinition): Promise<Job> {
    return this.guard('cannot update the job', () =>
      this.transaction(async (db) => {
        const now = this.now();
        const change = await db.query(
          'UPDATE jobs SET name = $1, enabled = $2, definition = $3, late_by_p95 = $4, updated_at = $5, runs_on = $7, retry_on_lost = $8 WHERE id = $6',
          [
            definition.name,
            definition.enabled ? 1 : 0,
            definitionJson(definition),
            definition.lateByP95 ? 1 : 0,
            now.toISOString(),
            id,
            JSON.stringify(definition.runsOn),
            definition.retryOnLost ? 1 : 0,
          ],
        );
        if (change.rowCount === 0) throw notFound('job', id);
        const { rows } = await db.query<{ id: string; spec: string }>(
          'SELECT id, spec FROM job_triggers WHERE job_id = $1 ORDER BY position',
          [id],
        );
        const current = new Map<string, string[]>();
        for (const row of rows) {
          const key = triggerKey(JSON.parse(row.spec) as JobDefinition['triggers'][number]);
          current.set(key, [...(current.get(key) ?? []), row.id]);
        }
        const moved: [string, number][] = [];
        const added: { spec: JobDefinition['triggers'][number]; position: number }[] = [];
        definition.triggers.forEach((spec, position) => {
          const kept = current.get(triggerKey(spec))?.shift();
          if (kept === undefined) added.push({ spec, position });
          else moved.push([kept, position]);
        });
        const removed = [...current.values()].flat();
        // Set-based statements: one each, whatever the number of triggers.
        if (removed.length > 0) {
          await db.query('DELETE FROM job_triggers WHERE id = ANY($1::text[])', [removed]);
        }
        if (moved.length > 0) {
          await db.query(
            `UPDATE job_triggers t SET position = m.position
              FROM unnest($1::text[], $2::integer[]) AS m(id, position) WHERE t.id = m.id`,
            [moved.map(([triggerId]) => triggerId), moved.map(([, position]) => position)],
          );
        }
        await this.insertTriggers(db, id, added, now);
        return this.read(db, id);
      }),
    );
  }

  async getJob(id: string): Promise<Job | undefined> {
    return this.guard('cannot read the job', async () => {
      const { rows } = await this.pool.query<JobWithTriggersRow>(`${JOB_WITH_TRIGGERS} WHERE j.id = $1`, [
        id,
      ]);
      const row = rows[0];
      return row === undefined ? undefined : this.jobOf(row);
    });
  }

  /** One statement: every job with its triggers, as of one snapshot. */
  async listJobs(): Promise<JobList> {
    return this.guard('cannot list jobs', async () => {
      const { rows } = await this.pool.query<JobWithTriggersRow>(`${JOB_WITH_TRIGGERS} ORDER BY j.name`);
      const jobs: Job[] = [];
      const unreadable: UnreadableRecord[] = [];
      for (const row of rows) {
        try {
          jobs.push(this.jobOf(row));
        } catch (error) {
          // One bad row must not hide the others: it is named instead (and can be deleted).
          if (!(isStepflowError(error) && error.code === ERROR_CODES.UNREADABLE)) throw error;
          unreadable.push({ id: row.id, name: row.name, error: error.message });
        }
      }
      return { jobs, unreadable };
    });
  }

  /** Triggers, fires, deliveries and pending retries go with it (ON DELETE CASCADE). */
  async deleteJob(id: string): Promise<void> {
    await this.guard('cannot delete the job', async () => {
      const { rowCount } = await this.pool.query('DELETE FROM jobs WHERE id = $1', [id]);
      if (rowCount === 0) throw notFound('job', id);
    });
  }

  async setEnabled(id: string, enabled: boolean): Promise<Job> {
    return this.guard('cannot change the job', () =>
      // One transaction: a job that cannot be read back (unreadable) is left as it was.
      this.transaction(async (db) => {
        const change = await db.query('UPDATE jobs SET enabled = $1, updated_at = $2 WHERE id = $3', [
          enabled ? 1 : 0,
          this.now().toISOString(),
          id,
        ]);
        if (change.rowCount === 0) throw notFound('job', id);
        return this.read(db, id);
      }),
    );
  }

  /**
   * One statement, so one transaction: the fire under its unique (trigger, fire time) key and the
   * plan. A concurrent insert of the same key waits for the first to commit, then inserts nothing:
   * exactly one caller, in any process, gets the record back.
   */
  async recordFire(
    fire: NewFire,
    plan?: { triggerId: string; nextFireMs: number | null },
  ): Promise<FireRecord | undefined> {
    return this.guard('cannot record the fire', async () => {
      const params: unknown[] = [
        fire.jobId,
        fire.triggerId,
        fire.fireMs,
        new Date(fire.fireMs).toISOString(),
        fire.outcome,
        fire.reason ?? null,
        fire.executionId ?? null,
        fire.count ?? 1,
        this.now().toISOString(),
      ];
      const { rows } =
        plan === undefined
          ? await this.pool.query<FireRow>(INSERT_FIRE, params)
          : await this.pool.query<FireRow>(
              `WITH fire AS (${INSERT_FIRE}),
                plan AS (UPDATE job_triggers SET next_fire_ms = $10 WHERE id = $11)
                SELECT * FROM fire`,
              [...params, plan.nextFireMs, plan.triggerId],
            );
      const row = rows[0];
      return row === undefined ? undefined : fireFromRow(row);
    });
  }

  async updateFire(
    id: number,
    change: { outcome: FireRecord['outcome']; reason?: string | null; executionId?: string | null },
  ): Promise<void> {
    await this.guard('cannot update the fire', () =>
      this.pool.query(
        `UPDATE job_fires SET outcome = $1, reason = coalesce($2, reason),
          execution_id = coalesce($3, execution_id) WHERE id = $4`,
        [change.outcome, change.reason ?? null, change.executionId ?? null, id],
      ),
    );
  }

  async planFire(triggerId: string, nextFireMs: number | null): Promise<void> {
    await this.guard('cannot plan the fire', () =>
      this.pool.query('UPDATE job_triggers SET next_fire_ms = $1 WHERE id = $2', [nextFireMs, triggerId]),
    );
  }

  async listFires(jobId: string, query: { limit?: number } = {}): Promise<FireRecord[]> {
    return this.guard('cannot list fires', async () => {
      const { rows } = await this.pool.query<FireRow>(
        'SELECT * FROM job_fires WHERE job_id = $1 ORDER BY id DESC LIMIT $2',
        [jobId, limitOf(query.limit)],
      );
      return rows.map(fireFromRow);
    });
  }

  async recordDelivery(d: Omit<WebhookDelivery, 'id'>): Promise<void> {
    await this.guard('cannot record the delivery', () =>
      this.pool.query(
        `INSERT INTO webhook_deliveries (job_id, delivery_id, url, event, execution_id, attempt,
          status_code, ok, error, sent_at, duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
          d.jobId,
          d.deliveryId,
          d.url,
          d.event,
          d.executionId,
          d.attempt,
          d.statusCode,
          d.ok ? 1 : 0,
          d.error,
          d.sentAt,
          Math.round(d.durationMs),
        ],
      ),
    );
  }

  async listDeliveries(jobId: string, query: { limit?: number } = {}): Promise<WebhookDelivery[]> {
    return this.guard('cannot list deliveries', async () => {
      const { rows } = await this.pool.query<DeliveryRow>(
        'SELECT * FROM webhook_deliveries WHERE job_id = $1 ORDER BY id DESC LIMIT $2',
        [jobId, limitOf(query.limit)],
      );
      return rows.map(deliveryFromRow);
    });
  }

  async lastRuns(): Promise<Map<string, JobLastRun>> {
    return this.guard('cannot read the last runs', () => lastRuns(this.pool));
  }

  async openRuns(jobId: string): Promise<string[]> {
    return this.guard('cannot read the open runs', async () => {
      // The planner takes the (status, id) index: the open runs are few, a job's history may be long.
      const { rows } = await this.pool.query<{ id: string }>(
        `SELECT id FROM executions WHERE status IN ('queued', 'running') AND job_id = $1 ORDER BY id`,
        [jobId],
      );
      return rows.map((row) => row.id);
    });
  }

  async recentRuns(jobIds: readonly string[], limit: number): Promise<Map<string, JobRunSummary[]>> {
    return this.guard('cannot read the recent runs', () => recentJobRuns(this.pool, jobIds, limit));
  }

  async recentStepDurations(jobId: string, runs: number): Promise<StepDurationSample[]> {
    return this.guard('cannot read recent step durations', () => recentStepDurations(this.pool, jobId, runs));
  }

  async savePendingRetry(retry: PendingRetry): Promise<void> {
    await this.guard('cannot save the pending retry', async () => {
      try {
        // INSERT … SELECT: a job deleted before leaves nothing behind.
        await this.pool.query(
          `INSERT INTO job_pending_retries (failed_execution_id, job_id, failed_status, attempt, due_ms,
            scheduled_at, created_at)
            SELECT $1, $2, $3, $4, $5, $6, $7 WHERE EXISTS (SELECT 1 FROM jobs WHERE id = $2)
            ON CONFLICT (failed_execution_id) DO NOTHING`,
          [
            retry.failedExecutionId,
            retry.jobId,
            retry.failedStatus,
            retry.attempt,
            Math.round(retry.dueMs),
            retry.scheduledAt,
            this.now().toISOString(),
          ],
        );
      } catch (error) {
        // A job deleted by another process between the check and the insert: nothing is saved,
        // as for a job deleted before (SQLite's one writer at a time never meets this).
        if ((error as { code?: unknown }).code !== FOREIGN_KEY_VIOLATION) throw error;
      }
    });
  }

  /** `DELETE … RETURNING`: of concurrent claimers in any process, only the one that deleted the row gets it. */
  async claimPendingRetry(failedExecutionId: string): Promise<PendingRetry | undefined> {
    return this.guard('cannot claim the pending retry', async () => {
      const { rows } = await this.pool.query<PendingRetryRow>(
        'DELETE FROM job_pending_retries WHERE failed_execution_id = $1 RETURNING *',
        [failedExecutionId],
      );
      const row = rows[0];
      return row === undefined ? undefined : pendingRetryFromRow(row);
    });
  }

  async listPendingRetries(): Promise<PendingRetry[]> {
    return this.guard('cannot list pending retries', async () => {
      const { rows } = await this.pool.query<PendingRetryRow>(
        'SELECT * FROM job_pending_retries ORDER BY due_ms, failed_execution_id',
      );
      return rows.map(pendingRetryFromRow);
    });
  }

  async dropPendingRetries(jobId: string): Promise<void> {
    await this.guard('cannot drop pending retries', () =>
      this.pool.query('DELETE FROM job_pending_retries WHERE job_id = $1', [jobId]),
    );
  }

  /**
   * Later calls fail with `store_unavailable`; the pool stays open for the execution store. The
   * scheduler lease's connection is this store's own: it closes, freeing the lease for another.
   */
  async close(): Promise<void> {
    this.closed = true;
    await this.schedulerLease.close();
  }

  private async read(db: Queryable, id: string): Promise<Job> {
    const { rows } = await db.query<JobWithTriggersRow>(`${JOB_WITH_TRIGGERS} WHERE j.id = $1`, [id]);
    const row = rows[0];
    if (row === undefined) throw notFound('job', id);
    return this.jobOf(row);
  }

  private jobOf(row: JobWithTriggersRow): Job {
    const { job, triggers } = splitJobRow(row);
    return jobFromRows(job satisfies JobRow, triggers, this.checkedJobs);
  }

  /** New trigger rows (one statement), anchored at `now` (intervals count from it), no fire planned. */
  private async insertTriggers(
    db: Queryable,
    jobId: string,
    triggers: readonly { spec: JobDefinition['triggers'][number]; position: number }[],
    now: Date,
  ): Promise<void> {
    if (triggers.length === 0) return;
    await insertValues(
      db,
      'INSERT INTO job_triggers (id, job_id, position, spec, anchor_ms, next_fire_ms)',
      6,
      triggers.map(({ spec, position }) => [
        this.nextId(now.getTime()),
        jobId,
        position,
        JSON.stringify(spec),
        now.getTime(),
        null,
      ]),
    );
  }

  /** One transaction on one pooled client; a connection that broke under it is not given back. */
  private async transaction<T>(work: (db: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const value = await work(client);
      await client.query('COMMIT');
      return value;
    } catch (error) {
      // The original error is what the caller needs; a failed rollback ends with the connection.
      await client.query('ROLLBACK').catch(() => undefined);
      const mapped = toStoreError(error, '');
      if (
        isStepflowError(mapped) &&
        mapped.code === ERROR_CODES.STORE_UNAVAILABLE &&
        !isStepflowError(error)
      ) {
        broken = error as Error;
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  private async guard<T>(context: string, operation: () => Promise<T>): Promise<T> {
    if (this.closed) {
      throw new StepflowError(ERROR_CODES.STORE_UNAVAILABLE, `${context}: the job store is closed`);
    }
    try {
      return await operation();
    } catch (error) {
      // The only unique key a job write can break (fires and retries use ON CONFLICT) is the name.
      if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) {
        throw new StepflowError(ERROR_CODES.CONFLICT, `${context}: a job with this name already exists`, {
          cause: error,
          details: { field: 'name' },
        });
      }
      throw toStoreError(error, context);
    }
  }
}

function limitOf(limit: number | undefined): number {
  return Math.min(Math.max(1, Math.trunc(limit ?? DEFAULT_LIMIT)), MAX_LIMIT);
}
