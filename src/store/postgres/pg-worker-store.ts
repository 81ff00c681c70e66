import type pg from 'pg';
import { ERROR_CODES, StepflowError } from '../../core/errors.js';
import type { OpenStep } from '../../core/interruption.js';
import type { HostSample } from '../../core/host.js';
import type { Execution, RunSpec } from '../../core/model.js';
import { lostOf, type WorkerIdentity, type WorkerRecord } from '../../core/workers.js';
import { executionFromRow, type ExecutionRow } from '../sqlite/execution-row.js';
import type { StoreChange } from '../store.js';
import type {
  ClaimedExecution,
  ClaimLimits,
  HeartbeatResult,
  HeldClaim,
  WorkerHostSample,
  WorkerStore,
} from '../worker-store.js';
import { executionColumns } from './execution-row.js';
import { lastSignOfLife } from './last-sign-of-life.js';
import { toStoreError } from './pg-errors.js';
import type { Queryable } from './sql-values.js';
import type { PgChangeNotices } from './change-notices.js';
import { onClient, writeTransaction, type ChangeNotice } from './write-transaction.js';

/**
 * Any constant, not the migrations' nor the scheduler's: the key of the advisory lock that claims
 * under a cluster-wide limit take (the bytes of "SFMX").
 */
const CLAIM_LIMIT_LOCK = 0x53464d58;

interface WorkerRow {
  name: string;
  host: string;
  labels: string;
  slots: number;
  version: string;
  last_seen_at: string;
}

/**
 * {@link WorkerStore} on the PostgreSQL backend's pool (the same `executions` rows as the execution
 * store). A claim is one statement whose subquery takes the oldest fitting row `FOR UPDATE SKIP
 * LOCKED`: concurrent claims (any process, any replica) never wait on each other nor take the same
 * run. Claims, cancels and the lease sweep change executions, so they move the change marker after
 * their commit (the live views of other replicas then see them); heartbeats only renew leases.
 */
export class PostgresWorkerStore implements WorkerStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly notices: PgChangeNotices,
  ) {}

  async claimExecution(
    worker: WorkerIdentity,
    at: string,
    { maxRunning }: ClaimLimits = {},
  ): Promise<ClaimedExecution | undefined> {
    return this.guard('cannot claim an execution', () =>
      writeTransaction(
        this.pool,
        async (db) => {
          let full = false;
          if (maxRunning !== undefined) {
            // Count-then-claim must be one step across replicas, or two claims each counting N-1
            // both take a run. SKIP LOCKED cannot give that (a count sees no uncommitted claim), so
            // limited claims queue on a transaction-level advisory lock (freed at commit, after the
            // claim is visible). A counter row would do the same with a row lock, but must then be
            // kept right by every status change of every writer; the count reads the truth from the
            // (status, id) index. Taken first, before any row lock: nothing waits in a cycle. Without
            // a limit, claims never wait on each other.
            await db.query('SELECT pg_advisory_xact_lock($1)', [CLAIM_LIMIT_LOCK]);
            const { rows } = await db.query<{ n: number }>(
              `SELECT count(*)::integer AS n FROM executions WHERE status = 'running'`,
            );
            full = (rows[0]?.n ?? 0) >= maxRunning;
          }
          await register(db, worker, at);
          if (full) return undefined;
          // A run's labels must all be the worker's: jsonb containment of its runs_on in theirs.
          // Same terms as the partial index executions_for_workers, which the subquery walks by id.
          const { rows } = await db.query<{ id: string; run_spec: string }>(
            `UPDATE executions SET status = 'running', started_at = $1, worker_name = $2,
            worker_attempt = coalesce(worker_attempt, 0) + 1, owner_seen_at = $1
          WHERE id = (
            SELECT id FROM executions
            WHERE status = 'queued' AND runs_on IS NOT NULL AND worker_name IS NULL
              AND cancel_requested_at IS NULL AND runs_on::jsonb <@ $3::jsonb
            ORDER BY id LIMIT 1
            FOR UPDATE SKIP LOCKED)
          AND status = 'queued' AND worker_name IS NULL
          RETURNING id, run_spec`,
            [at, worker.name, JSON.stringify(worker.labels)],
          );
          const row = rows[0];
          if (row === undefined) return undefined;
          const execution = await readExecution(db, row.id);
          return {
            execution,
            spec: JSON.parse(row.run_spec) as RunSpec,
            attempt: execution.worker?.attempt ?? 1,
          };
        },
        this.notice((claimed) => (claimed === undefined ? [] : ['log'])),
      ),
    );
  }

  async countRunning(): Promise<number> {
    return this.guard('cannot count running executions', async () => {
      const { rows } = await this.pool.query<{ n: number }>(
        `SELECT count(*)::integer AS n FROM executions WHERE status = 'running'`,
      );
      return rows[0]?.n ?? 0;
    });
  }

  async heartbeat(
    worker: WorkerIdentity,
    held: readonly HeldClaim[],
    at: string,
    host?: HostSample,
  ): Promise<HeartbeatResult> {
    return this.guard('cannot record the heartbeat', () =>
      onClient(this.pool, async (db) => {
        await db.query('BEGIN');
        try {
          await register(db, worker, at);
          await db.query('UPDATE workers SET host_sample = $1 WHERE name = $2', [
            host === undefined ? null : JSON.stringify(host),
            worker.name,
          ]);
          // One statement for every held run, never one per run.
          const renewed = await db.query<{ id: string; attempt: number }>(
            `UPDATE executions e SET owner_seen_at = $1
            FROM unnest($2::text[], $3::integer[]) AS v(id, attempt)
            WHERE e.id = v.id AND e.status = 'running' AND e.worker_name = $4 AND e.worker_attempt = v.attempt
            RETURNING e.id, e.worker_attempt AS attempt`,
            [at, held.map((h) => h.executionId), held.map((h) => h.attempt), worker.name],
          );
          const cancelled = await db.query<{ id: string }>(
            `SELECT id FROM executions WHERE worker_name = $1 AND status IN ('queued', 'running')
              AND cancel_requested_at IS NOT NULL ORDER BY id`,
            [worker.name],
          );
          await db.query('COMMIT');
          const own = new Set(renewed.rows.map((r) => `${r.id}\0${r.attempt}`));
          const ownIds = new Set(renewed.rows.map((r) => r.id));
          return {
            stale: held.filter((h) => !own.has(`${h.executionId}\0${h.attempt}`)).map((h) => h.executionId),
            cancelRequested: cancelled.rows.map((r) => r.id).filter((id) => ownIds.has(id)),
          };
        } catch (error) {
          // The original error is what the caller needs; a failed rollback ends with the connection.
          await db.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      }),
    );
  }

  async expireClaims(before: string, leaseMs: number, now: string): Promise<Execution[]> {
    return this.guard('cannot expire leases', () =>
      writeTransaction(
        this.pool,
        async (db) => {
          // Another replica sweeping at once, or a heartbeat renewing one, holds its rows: skip them
          // (the next sweep looks again) rather than wait.
          const { rows } = await db.query<{
            id: string;
            started_at: string | null;
            worker_name: string;
            worker_attempt: number;
            owner_seen_at: string;
          }>(
            `SELECT id, started_at, worker_name, worker_attempt, owner_seen_at FROM executions
          WHERE worker_name IS NOT NULL AND status IN ('queued', 'running') AND owner_seen_at < $1
          ORDER BY id FOR UPDATE SKIP LOCKED`,
            [before],
          );
          const lost: Execution[] = [];
          for (const row of rows) {
            const steps = await db.query<{ id: number; status: OpenStep['status']; started_at: string }>(
              'SELECT id, status, started_at FROM steps WHERE execution_id = $1 AND ended_at IS NULL',
              [row.id],
            );
            const loss = lostOf({
              startedAt: row.started_at,
              worker: row.worker_name,
              leaseMs,
              lastSignOfLifeMs: await lastSignOfLife(db, row.id),
              nowMs: Date.parse(now),
              openSteps: steps.rows.map((s) => ({ id: s.id, status: s.status, startedAt: s.started_at })),
            });
            const marked = await db.query(
              `UPDATE executions SET status = 'lost', ended_at = $1, duration_ms = $2, error = $3
            WHERE id = $4 AND status = 'running' AND worker_attempt = $5 AND owner_seen_at = $6`,
              [loss.endedAt, loss.durationMs, loss.error, row.id, row.worker_attempt, row.owner_seen_at],
            );
            if (marked.rowCount === 0) continue;
            if (loss.steps.length > 0) {
              await db.query(
                `UPDATE steps s SET status = v.status, ended_at = v.ended_at, duration_ms = v.duration_ms
              FROM unnest($2::integer[], $3::text[], $4::text[], $5::bigint[]) AS v(id, status, ended_at, duration_ms)
              WHERE s.execution_id = $1 AND s.id = v.id`,
                [
                  row.id,
                  loss.steps.map((s) => s.id),
                  loss.steps.map((s) => s.status),
                  loss.steps.map((s) => s.endedAt),
                  loss.steps.map((s) => s.durationMs),
                ],
              );
            }
            lost.push(await readExecution(db, row.id));
          }
          return lost;
        },
        this.notice((lost) => (lost.length === 0 ? [] : ['ended'])),
      ),
    );
  }

  async workerHostSamples(): Promise<WorkerHostSample[]> {
    return this.guard('cannot read the workers’ host samples', async () => {
      const { rows } = await this.pool.query<{ name: string; host: string; host_sample: string }>(
        'SELECT name, host, host_sample FROM workers WHERE host_sample IS NOT NULL ORDER BY name',
      );
      return rows.map((row) => ({
        name: row.name,
        host: row.host,
        sample: JSON.parse(row.host_sample) as HostSample,
      }));
    });
  }

  async listWorkers(): Promise<WorkerRecord[]> {
    return this.guard('cannot list workers', () =>
      onClient(this.pool, async (db) => {
        // One snapshot: the runs listed are those the listed workers hold at the same moment.
        await db.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        try {
          const workers = await db.query<WorkerRow>(
            'SELECT name, host, labels, slots, version, last_seen_at FROM workers ORDER BY name',
          );
          const held = await db.query<{ worker_name: string; id: string; worker_attempt: number }>(
            `SELECT worker_name, id, worker_attempt FROM executions
            WHERE worker_name IS NOT NULL AND status IN ('queued', 'running') ORDER BY id`,
          );
          await db.query('COMMIT');
          return workers.rows.map((row) => ({
            name: row.name,
            host: row.host,
            labels: JSON.parse(row.labels) as string[],
            slots: row.slots,
            version: row.version,
            lastSeenAt: row.last_seen_at,
            running: held.rows
              .filter((h) => h.worker_name === row.name)
              .map((h) => ({ executionId: h.id, attempt: h.worker_attempt })),
          }));
        } catch (error) {
          // The read's error is what the caller needs; a failed rollback ends with the connection.
          await db.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      }),
    );
  }

  async cancelUnclaimed(id: string, at: string, error: string): Promise<Execution | undefined> {
    return this.guard('cannot cancel the execution', () =>
      writeTransaction(
        this.pool,
        async (db) => {
          const { rowCount } = await db.query(
            `UPDATE executions SET status = 'cancelled', ended_at = $1, error = $2
          WHERE id = $3 AND status = 'queued' AND runs_on IS NOT NULL AND worker_name IS NULL`,
            [at, error, id],
          );
          return rowCount === 0 ? undefined : readExecution(db, id);
        },
        this.notice((cancelled) => (cancelled === undefined ? [] : ['ended'])),
      ),
    );
  }

  /** Other processes hear of what a commit changed (change-notices.ts). */
  private notice<T>(changes: (value: T) => StoreChange[]): ChangeNotice<T> {
    return { notices: this.notices, changes };
  }

  private async guard<T>(context: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw toStoreError(error, context);
    }
  }
}

/** Registers the worker by name (a changed identity replaces the old) as seen at `at`. */
async function register(db: Queryable, worker: WorkerIdentity, at: string): Promise<void> {
  await db.query(
    `INSERT INTO workers (name, host, labels, slots, version, started_at, last_seen_at)
    VALUES ($1, $2, $3, $4, $5, $6, $6)
    ON CONFLICT (name) DO UPDATE SET host = excluded.host, labels = excluded.labels,
      slots = excluded.slots, version = excluded.version, last_seen_at = excluded.last_seen_at`,
    [worker.name, worker.host, JSON.stringify(worker.labels), worker.slots, worker.version, at],
  );
}

async function readExecution(db: Queryable, id: string): Promise<Execution> {
  const { rows } = await db.query<ExecutionRow>(
    `SELECT ${executionColumns()} FROM executions WHERE id = $1`,
    [id],
  );
  const row = rows[0];
  if (row === undefined) throw new StepflowError(ERROR_CODES.INTERNAL, `execution ${id} vanished`);
  return executionFromRow(row);
}
