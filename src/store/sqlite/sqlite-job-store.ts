import type Database from 'better-sqlite3';
import { ERROR_CODES, StepflowError, isStepflowError, notFound } from '../../core/errors.js';
import { createExecutionIdFactory } from '../../core/execution-ids.js';
import type { FireRecord, Job, JobDefinition, PendingRetry, WebhookDelivery } from '../../core/jobs/job.js';
import type { StepDurationSample } from '../../core/jobs/step-percentiles.js';
import type { ExecutionStatus } from '../../core/statuses.js';
import type { JobLastRun, JobList, JobRunSummary, JobStore, NewFire } from '../job-store.js';
import { SOLE_SCHEDULER_LEASE } from '../scheduler-lease.js';
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
  type TriggerRow,
} from './job-rows.js';
import { guarded } from './sqlite-errors.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

/**
 * {@link JobStore} on the connection of the execution store it is opened with (`openSqliteStores`):
 * its run history reads the `executions` and `steps` tables that store writes. It does not own the
 * connection: `close()` only ends this store's use of it. Like the execution store, every method
 * is synchronous inside its promise, so no transaction stays open across an await.
 */
export class SqliteJobStore implements JobStore {
  /** Processes on one file coordinate through the unique fire key alone, as before leases. */
  readonly schedulerLease = SOLE_SCHEDULER_LEASE;
  private readonly nextId = createExecutionIdFactory();
  private readonly statements;
  /** Job contents that passed the rules on read (see `jobFromRows`). */
  private readonly checkedJobs = new Set<string>();
  private closed = false;

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => Date,
  ) {
    this.statements = {
      job: db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE id = ?'),
      jobs: db.prepare<[], JobRow>('SELECT * FROM jobs ORDER BY name'),
      triggers: db.prepare<[string], TriggerRow>(
        'SELECT * FROM job_triggers WHERE job_id = ? ORDER BY position',
      ),
      allTriggers: db.prepare<[], TriggerRow>('SELECT * FROM job_triggers ORDER BY job_id, position'),
      insertJob: db.prepare(
        'INSERT INTO jobs (id, name, enabled, definition, late_by_p95, created_at, updated_at, runs_on, retry_on_lost) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      updateJob: db.prepare(
        'UPDATE jobs SET name = ?, enabled = ?, definition = ?, late_by_p95 = ?, updated_at = ?, runs_on = ?, retry_on_lost = ? WHERE id = ?',
      ),
      setEnabled: db.prepare('UPDATE jobs SET enabled = ?, updated_at = ? WHERE id = ?'),
      deleteJob: db.prepare('DELETE FROM jobs WHERE id = ?'),
      insertTrigger: db.prepare(
        'INSERT INTO job_triggers (id, job_id, position, spec, anchor_ms, next_fire_ms) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      moveTrigger: db.prepare('UPDATE job_triggers SET position = ? WHERE id = ?'),
      deleteTrigger: db.prepare('DELETE FROM job_triggers WHERE id = ?'),
      planFire: db.prepare('UPDATE job_triggers SET next_fire_ms = ? WHERE id = ?'),
      insertFire: db.prepare(`INSERT INTO job_fires (job_id, trigger_id, fire_ms, fire_time, outcome, reason,
        execution_id, count, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (trigger_id, fire_ms) DO NOTHING RETURNING *`),
      updateFire: db.prepare(
        'UPDATE job_fires SET outcome = ?, reason = coalesce(?, reason), execution_id = coalesce(?, execution_id) WHERE id = ?',
      ),
      fires: db.prepare<[string, number], FireRow>(
        'SELECT * FROM job_fires WHERE job_id = ? ORDER BY id DESC LIMIT ?',
      ),
      insertDelivery:
        db.prepare(`INSERT INTO webhook_deliveries (job_id, delivery_id, url, event, execution_id,
        attempt, status_code, ok, error, sent_at, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      deliveries: db.prepare<[string, number], DeliveryRow>(
        'SELECT * FROM webhook_deliveries WHERE job_id = ? ORDER BY id DESC LIMIT ?',
      ),
      // Walks the (job_id, id) partial index: one seek per job.
      lastRuns: db.prepare<[], { job_id: string; id: string; status: ExecutionStatus; created_at: string }>(
        `SELECT e.job_id, e.id, e.status, e.created_at FROM executions e
         JOIN (SELECT job_id, max(id) AS id FROM executions WHERE job_id IS NOT NULL GROUP BY job_id) last
         ON e.id = last.id`,
      ),
      // By the (status, id) index: the open runs are few, a job's history may be long.
      openRuns: db
        .prepare<[string], string>(
          `SELECT id FROM executions INDEXED BY executions_status
           WHERE status IN ('queued', 'running') AND job_id = ? ORDER BY id`,
        )
        .pluck(),
      recentRuns: db.prepare<
        [string, number],
        {
          id: string;
          status: ExecutionStatus;
          created_at: string;
          started_at: string | null;
          duration_ms: number | null;
        }
      >(
        `SELECT id, status, created_at, started_at, duration_ms FROM executions
         WHERE job_id = ? ORDER BY id DESC LIMIT ?`,
      ),
      // The job's newest succeeded executions through the (job_id, id) index, then their steps by key.
      recentStepDurations: db.prepare<[string, number], { name: string; duration_ms: number }>(
        `SELECT s.name, s.duration_ms FROM steps s
         JOIN (SELECT id FROM executions WHERE job_id = ? AND status = 'succeeded' ORDER BY id DESC LIMIT ?) recent
         ON s.execution_id = recent.id
         WHERE s.status = 'succeeded' AND s.duration_ms IS NOT NULL`,
      ),
      // INSERT … SELECT: a job deleted meanwhile leaves nothing behind (and no foreign-key error).
      insertPendingRetry: db.prepare(`INSERT INTO job_pending_retries (failed_execution_id, job_id,
        failed_status, attempt, due_ms, scheduled_at, created_at)
        SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM jobs WHERE id = ?)
        ON CONFLICT (failed_execution_id) DO NOTHING`),
      claimPendingRetry: db.prepare<[string], PendingRetryRow>(
        'DELETE FROM job_pending_retries WHERE failed_execution_id = ? RETURNING *',
      ),
      pendingRetries: db.prepare<[], PendingRetryRow>(
        'SELECT * FROM job_pending_retries ORDER BY due_ms, failed_execution_id',
      ),
      dropPendingRetries: db.prepare('DELETE FROM job_pending_retries WHERE job_id = ?'),
    };
  }

  /**
   * One transaction: the job and its triggers, then the job read back through the reader every
   * list uses. A job that could not be read back is never committed.
   */
  async createJob(definition: JobDefinition): Promise<Job> {
    return this.guard('cannot create the job', () =>
      this.db
        .transaction(() => {
          const now = this.now();
          const id = this.nextId(now.getTime());
          const iso = now.toISOString();
          this.statements.insertJob.run(
            id,
            definition.name,
            definition.enabled ? 1 : 0,
            definitionJson(definition),
            definition.lateByP95 ? 1 : 0,
            iso,
            iso,
            JSON.stringify(definition.runsOn),
            definition.retryOnLost ? 1 : 0,
          );
          definition.triggers.forEach((spec, position) => this.insertTrigger(id, position, spec, now));
          return this.read(id);
        })
        .immediate(),
    );
  }

  async updateJob(id: string, definition: JobDefinition): Promise<Job> {
    return this.guard('cannot update the job', () =>
      this.db
        .transaction(() => {
          const now = this.now();
          const change = this.statements.updateJob.run(
            definition.name,
            definition.enabled ? 1 : 0,
            definitionJson(definition),
            definition.lateByP95 ? 1 : 0,
            now.toISOString(),
            JSON.stringify(definition.runsOn),
            definition.retryOnLost ? 1 : 0,
            id,
          );
          if (change.changes === 0) throw notFound('job', id);
          const current = new Map<string, TriggerRow[]>();
          for (const row of this.statements.triggers.all(id)) {
            const key = triggerKey(JSON.parse(row.spec) as JobDefinition['triggers'][number]);
            current.set(key, [...(current.get(key) ?? []), row]);
          }
          definition.triggers.forEach((spec, position) => {
            const kept = current.get(triggerKey(spec))?.shift();
            if (kept) this.statements.moveTrigger.run(position, kept.id);
            else this.insertTrigger(id, position, spec, now);
          });
          for (const rows of current.values())
            for (const row of rows) this.statements.deleteTrigger.run(row.id);
          return this.read(id);
        })
        .immediate(),
    );
  }

  async getJob(id: string): Promise<Job | undefined> {
    return this.guard('cannot read the job', () => {
      const row = this.statements.job.get(id);
      return row === undefined
        ? undefined
        : jobFromRows(row, this.statements.triggers.all(id), this.checkedJobs);
    });
  }

  async listJobs(): Promise<JobList> {
    return this.guard('cannot list jobs', () =>
      this.db.transaction(() => {
        const triggers = new Map<string, TriggerRow[]>();
        for (const row of this.statements.allTriggers.all()) {
          triggers.set(row.job_id, [...(triggers.get(row.job_id) ?? []), row]);
        }
        const jobs: Job[] = [];
        const unreadable: UnreadableRecord[] = [];
        for (const row of this.statements.jobs.all()) {
          try {
            jobs.push(jobFromRows(row, triggers.get(row.id) ?? [], this.checkedJobs));
          } catch (error) {
            // One bad row must not hide the others: it is named instead (and can be deleted).
            if (!(isStepflowError(error) && error.code === ERROR_CODES.UNREADABLE)) throw error;
            unreadable.push({ id: row.id, name: row.name, error: error.message });
          }
        }
        return { jobs, unreadable };
      })(),
    );
  }

  async deleteJob(id: string): Promise<void> {
    this.guard('cannot delete the job', () => {
      if (this.statements.deleteJob.run(id).changes === 0) throw notFound('job', id);
    });
  }

  async setEnabled(id: string, enabled: boolean): Promise<Job> {
    return this.guard('cannot change the job', () =>
      // One transaction: a job that cannot be read back (unreadable) is left as it was.
      this.db.transaction(() => {
        const change = this.statements.setEnabled.run(enabled ? 1 : 0, this.now().toISOString(), id);
        if (change.changes === 0) throw notFound('job', id);
        return this.read(id);
      })(),
    );
  }

  async recordFire(
    fire: NewFire,
    plan?: { triggerId: string; nextFireMs: number | null },
  ): Promise<FireRecord | undefined> {
    return this.guard('cannot record the fire', () =>
      this.db
        .transaction(() => {
          const row = this.statements.insertFire.get(
            fire.jobId,
            fire.triggerId,
            fire.fireMs,
            new Date(fire.fireMs).toISOString(),
            fire.outcome,
            fire.reason ?? null,
            fire.executionId ?? null,
            fire.count ?? 1,
            this.now().toISOString(),
          ) as FireRow | undefined;
          if (plan) this.statements.planFire.run(plan.nextFireMs, plan.triggerId);
          return row === undefined ? undefined : fireFromRow(row);
        })
        .immediate(),
    );
  }

  async updateFire(
    id: number,
    change: { outcome: FireRecord['outcome']; reason?: string | null; executionId?: string | null },
  ): Promise<void> {
    this.guard('cannot update the fire', () => {
      this.statements.updateFire.run(change.outcome, change.reason ?? null, change.executionId ?? null, id);
    });
  }

  async planFire(triggerId: string, nextFireMs: number | null): Promise<void> {
    this.guard('cannot plan the fire', () => {
      this.statements.planFire.run(nextFireMs, triggerId);
    });
  }

  async listFires(jobId: string, query: { limit?: number } = {}): Promise<FireRecord[]> {
    return this.guard('cannot list fires', () =>
      this.statements.fires.all(jobId, limitOf(query.limit)).map(fireFromRow),
    );
  }

  async recordDelivery(d: Omit<WebhookDelivery, 'id'>): Promise<void> {
    this.guard('cannot record the delivery', () => {
      this.statements.insertDelivery.run(
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
        d.durationMs,
      );
    });
  }

  async listDeliveries(jobId: string, query: { limit?: number } = {}): Promise<WebhookDelivery[]> {
    return this.guard('cannot list deliveries', () =>
      this.statements.deliveries.all(jobId, limitOf(query.limit)).map(deliveryFromRow),
    );
  }

  async lastRuns(): Promise<Map<string, JobLastRun>> {
    return this.guard('cannot read the last runs', () => {
      const runs = new Map<string, JobLastRun>();
      for (const row of this.statements.lastRuns.all()) {
        runs.set(row.job_id, { executionId: row.id, status: row.status, createdAt: row.created_at });
      }
      return runs;
    });
  }

  async openRuns(jobId: string): Promise<string[]> {
    return this.guard('cannot read the open runs', () => this.statements.openRuns.all(jobId));
  }

  async recentRuns(jobIds: readonly string[], limit: number): Promise<Map<string, JobRunSummary[]>> {
    return this.guard('cannot read the recent runs', () => {
      const perJob = Math.max(1, Math.trunc(limit));
      const runs = new Map<string, JobRunSummary[]>();
      // One read transaction: every job's runs as of the same moment.
      this.db.transaction(() => {
        for (const jobId of jobIds) {
          runs.set(
            jobId,
            this.statements.recentRuns.all(jobId, perJob).map((row) => ({
              executionId: row.id,
              status: row.status,
              createdAt: row.created_at,
              startedAt: row.started_at,
              durationMs: row.duration_ms,
            })),
          );
        }
      })();
      return runs;
    });
  }

  async recentStepDurations(jobId: string, runs: number): Promise<StepDurationSample[]> {
    return this.guard('cannot read recent step durations', () =>
      this.statements.recentStepDurations
        .all(jobId, Math.max(1, Math.trunc(runs)))
        .map((row) => ({ name: row.name, durationMs: row.duration_ms })),
    );
  }

  async savePendingRetry(retry: PendingRetry): Promise<void> {
    this.guard('cannot save the pending retry', () => {
      this.statements.insertPendingRetry.run(
        retry.failedExecutionId,
        retry.jobId,
        retry.failedStatus,
        retry.attempt,
        Math.round(retry.dueMs),
        retry.scheduledAt,
        this.now().toISOString(),
        retry.jobId,
      );
    });
  }

  async claimPendingRetry(failedExecutionId: string): Promise<PendingRetry | undefined> {
    return this.guard('cannot claim the pending retry', () => {
      const row = this.statements.claimPendingRetry.get(failedExecutionId);
      return row === undefined ? undefined : pendingRetryFromRow(row);
    });
  }

  async listPendingRetries(): Promise<PendingRetry[]> {
    return this.guard('cannot list pending retries', () =>
      this.statements.pendingRetries.all().map(pendingRetryFromRow),
    );
  }

  async dropPendingRetries(jobId: string): Promise<void> {
    this.guard('cannot drop pending retries', () => {
      this.statements.dropPendingRetries.run(jobId);
    });
  }

  /** Later calls fail with `store_unavailable`; the connection stays open for the execution store. */
  async close(): Promise<void> {
    this.closed = true;
  }

  private read(id: string): Job {
    const row = this.statements.job.get(id);
    if (row === undefined) throw notFound('job', id);
    return jobFromRows(row, this.statements.triggers.all(id), this.checkedJobs);
  }

  /** A new trigger row, anchored at `now` (intervals count from it), with no fire planned yet. */
  private insertTrigger(
    jobId: string,
    position: number,
    spec: JobDefinition['triggers'][number],
    now: Date,
  ): void {
    this.statements.insertTrigger.run(
      this.nextId(now.getTime()),
      jobId,
      position,
      JSON.stringify(spec),
      now.getTime(),
      null,
    );
  }

  private guard<T>(context: string, operation: () => T): T {
    if (this.closed) {
      throw new StepflowError(ERROR_CODES.STORE_UNAVAILABLE, `${context}: the job store is closed`);
    }
    return guarded(this.db, context, () => {
      try {
        return operation();
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw error;
        // The only unique key a job write can break (fires use ON CONFLICT) is the name.
        throw new StepflowError(ERROR_CODES.CONFLICT, `${context}: a job with this name already exists`, {
          cause: error,
          details: { field: 'name' },
        });
      }
    });
  }
}

function limitOf(limit: number | undefined): number {
  return Math.min(Math.max(1, Math.trunc(limit ?? DEFAULT_LIMIT)), MAX_LIMIT);
}
