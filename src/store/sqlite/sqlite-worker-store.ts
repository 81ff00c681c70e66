import type Database from 'better-sqlite3';
import { ERROR_CODES, StepflowError } from '../../core/errors.js';
import type { Execution, RunSpec } from '../../core/model.js';
import type { OpenStep } from '../../core/interruption.js';
import type { HostSample } from '../../core/host.js';
import { lostOf, type WorkerIdentity, type WorkerRecord } from '../../core/workers.js';
import type {
  ClaimedExecution,
  ClaimLimits,
  HeartbeatResult,
  HeldClaim,
  WorkerHostSample,
  WorkerStore,
} from '../worker-store.js';
import { EXECUTION_COLUMNS, executionFromRow, type ExecutionRow } from './execution-row.js';
import { createSignOfLifeReader } from './last-sign-of-life.js';
import { guarded } from './sqlite-errors.js';

interface WorkerRow {
  name: string;
  host: string;
  labels: string;
  slots: number;
  version: string;
  started_at: string;
  last_seen_at: string;
}

interface ClaimRow {
  id: string;
  started_at: string | null;
  worker_name: string;
  worker_attempt: number;
  owner_seen_at: string;
}

/**
 * {@link WorkerStore} on the execution store's connection (the same `executions` rows). Claims,
 * heartbeats and the lease sweep are each one IMMEDIATE transaction: another process's claim waits
 * on busy_timeout and then sees the row taken. `onChange` tells the execution store its listings
 * are stale (this connection's own commits do not move `data_version`).
 */
export class SqliteWorkerStore implements WorkerStore {
  private readonly claim: Database.Transaction<
    (worker: WorkerIdentity, at: string, limits: ClaimLimits) => ClaimedExecution | undefined
  >;
  private readonly selectRunningCount: Database.Statement<[], number>;
  private readonly beat: Database.Transaction<
    (worker: WorkerIdentity, held: readonly HeldClaim[], at: string, host: string | null) => HeartbeatResult
  >;
  private readonly selectHostSamples: Database.Statement<
    [],
    { name: string; host: string; host_sample: string }
  >;
  private readonly expire: Database.Transaction<
    (before: string, leaseMs: number, now: string) => Execution[]
  >;
  private readonly selectWorkers: Database.Statement<[], WorkerRow>;
  private readonly selectHeld: Database.Statement<
    [],
    { worker_name: string; id: string; worker_attempt: number }
  >;
  private readonly dropQueued: Database.Transaction<
    (id: string, at: string, error: string) => Execution | undefined
  >;

  constructor(
    private readonly db: Database.Database,
    private readonly onChange: () => void,
  ) {
    const upsertWorker = db.prepare<[string, string, string, number, string, string, string]>(
      `INSERT INTO workers (name, host, labels, slots, version, started_at, last_seen_at)
      VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET host = excluded.host, labels = excluded.labels,
        slots = excluded.slots, version = excluded.version, last_seen_at = excluded.last_seen_at`,
    );
    const register = (worker: WorkerIdentity, at: string): void => {
      upsertWorker.run(
        worker.name,
        worker.host,
        JSON.stringify(worker.labels),
        worker.slots,
        worker.version,
        at,
        at,
      );
    };
    const selectRow = db.prepare<[string], ExecutionRow>(
      `SELECT ${EXECUTION_COLUMNS} FROM executions WHERE id = ?`,
    );
    const readExecution = (id: string): Execution => {
      const row = selectRow.get(id);
      if (row === undefined) throw new StepflowError(ERROR_CODES.INTERNAL, `execution ${id} vanished`);
      return executionFromRow(row);
    };

    // Same terms as the partial index executions_for_workers. A run's labels must all be the worker's.
    const selectClaimable = db.prepare<[string], { id: string; run_spec: string }>(
      `SELECT id, run_spec FROM executions
      WHERE status = 'queued' AND runs_on IS NOT NULL AND worker_name IS NULL AND cancel_requested_at IS NULL
        AND NOT EXISTS (SELECT 1 FROM json_each(executions.runs_on) AS needed
          WHERE needed.value NOT IN (SELECT value FROM json_each(?)))
      ORDER BY id LIMIT 1`,
    );
    const markClaimed = db.prepare<[string, string, string, string]>(
      `UPDATE executions SET status = 'running', started_at = ?, worker_name = ?,
        worker_attempt = coalesce(worker_attempt, 0) + 1, owner_seen_at = ?
      WHERE id = ? AND status = 'queued' AND worker_name IS NULL`,
    );
    // Walks the (status, id) index: only the running rows, never the history.
    this.selectRunningCount = db
      .prepare<[], number>(`SELECT count(*) FROM executions WHERE status = 'running'`)
      .pluck();
    this.claim = db.transaction((worker, at, { maxRunning }) => {
      register(worker, at);
      // Inside the IMMEDIATE transaction: no other connection claims between this count and the
      // claim, so the limit holds exactly across processes.
      if (maxRunning !== undefined && this.selectRunningCount.get()! >= maxRunning) return undefined;
      const row = selectClaimable.get(JSON.stringify(worker.labels));
      if (row === undefined) return undefined;
      markClaimed.run(at, worker.name, at, row.id);
      const execution = readExecution(row.id);
      return {
        execution,
        spec: JSON.parse(row.run_spec) as RunSpec,
        attempt: execution.worker?.attempt ?? 1,
      };
    });

    const renew = db.prepare<[string, string, string, number]>(
      `UPDATE executions SET owner_seen_at = ?
      WHERE id = ? AND status = 'running' AND worker_name = ? AND worker_attempt = ?`,
    );
    const selectCancelled = db
      .prepare<[string], string>(
        `SELECT id FROM executions WHERE worker_name = ? AND status IN ('queued', 'running')
          AND cancel_requested_at IS NOT NULL ORDER BY id`,
      )
      .pluck();
    const setHostSample = db.prepare<[string | null, string]>(
      'UPDATE workers SET host_sample = ? WHERE name = ?',
    );
    this.selectHostSamples = db.prepare(
      'SELECT name, host, host_sample FROM workers WHERE host_sample IS NOT NULL ORDER BY name',
    );
    this.beat = db.transaction((worker, held, at, host) => {
      register(worker, at);
      setHostSample.run(host, worker.name);
      const stale: string[] = [];
      const own = new Set<string>();
      for (const { executionId, attempt } of held) {
        if (renew.run(at, executionId, worker.name, attempt).changes === 0) stale.push(executionId);
        else own.add(executionId);
      }
      return { stale, cancelRequested: selectCancelled.all(worker.name).filter((id) => own.has(id)) };
    });

    const selectExpired = db.prepare<[string], ClaimRow>(
      `SELECT id, started_at, worker_name, worker_attempt, owner_seen_at FROM executions
      WHERE worker_name IS NOT NULL AND status IN ('queued', 'running') AND owner_seen_at < ?
      ORDER BY id`,
    );
    const markLost = db.prepare<[string, number | null, string, string, number, string]>(
      `UPDATE executions SET status = 'lost', ended_at = ?, duration_ms = ?, error = ?
      WHERE id = ? AND status = 'running' AND worker_attempt = ? AND owner_seen_at = ?`,
    );
    const openSteps = db.prepare<[string], { id: number; status: OpenStep['status']; started_at: string }>(
      'SELECT id, status, started_at FROM steps WHERE execution_id = ? AND ended_at IS NULL',
    );
    const closeStep = db.prepare(
      'UPDATE steps SET status = ?, ended_at = ?, duration_ms = ? WHERE execution_id = ? AND id = ?',
    );
    const lastSignOfLife = createSignOfLifeReader(db);
    this.expire = db.transaction((before, leaseMs, now) => {
      const lost: Execution[] = [];
      for (const row of selectExpired.all(before)) {
        const loss = lostOf({
          startedAt: row.started_at,
          worker: row.worker_name,
          leaseMs,
          lastSignOfLifeMs: lastSignOfLife(row.id),
          nowMs: Date.parse(now),
          openSteps: openSteps
            .all(row.id)
            .map((s) => ({ id: s.id, status: s.status, startedAt: s.started_at })),
        });
        const changed = markLost.run(
          loss.endedAt,
          loss.durationMs,
          loss.error,
          row.id,
          row.worker_attempt,
          row.owner_seen_at,
        ).changes;
        if (changed === 0) continue;
        for (const step of loss.steps)
          closeStep.run(step.status, step.endedAt, step.durationMs, row.id, step.id);
        lost.push(readExecution(row.id));
      }
      return lost;
    });

    this.selectWorkers = db.prepare('SELECT * FROM workers ORDER BY name');
    this.selectHeld = db.prepare(
      `SELECT worker_name, id, worker_attempt FROM executions
      WHERE worker_name IS NOT NULL AND status IN ('queued', 'running') ORDER BY id`,
    );

    const markCancelled = db.prepare<[string, string, string]>(
      `UPDATE executions SET status = 'cancelled', ended_at = ?, error = ?
      WHERE id = ? AND status = 'queued' AND runs_on IS NOT NULL AND worker_name IS NULL`,
    );
    this.dropQueued = db.transaction((id, at, error) =>
      markCancelled.run(at, error, id).changes === 0 ? undefined : readExecution(id),
    );
  }

  async claimExecution(
    worker: WorkerIdentity,
    at: string,
    limits: ClaimLimits = {},
  ): Promise<ClaimedExecution | undefined> {
    return this.change('cannot claim an execution', () => this.claim.immediate(worker, at, limits));
  }

  async countRunning(): Promise<number> {
    return guarded(this.db, 'cannot count running executions', () => this.selectRunningCount.get()!);
  }

  async heartbeat(
    worker: WorkerIdentity,
    held: readonly HeldClaim[],
    at: string,
    host?: HostSample,
  ): Promise<HeartbeatResult> {
    const sample = host === undefined ? null : JSON.stringify(host);
    return guarded(this.db, 'cannot record the heartbeat', () =>
      this.beat.immediate(worker, held, at, sample),
    );
  }

  async workerHostSamples(): Promise<WorkerHostSample[]> {
    return guarded(this.db, 'cannot read the workers’ host samples', () =>
      this.selectHostSamples.all().map((row) => ({
        name: row.name,
        host: row.host,
        sample: JSON.parse(row.host_sample) as HostSample,
      })),
    );
  }

  async expireClaims(before: string, leaseMs: number, now: string): Promise<Execution[]> {
    return this.change('cannot expire leases', () => this.expire.immediate(before, leaseMs, now));
  }

  async listWorkers(): Promise<WorkerRecord[]> {
    return guarded(this.db, 'cannot list workers', () => {
      const held = this.selectHeld.all();
      return this.selectWorkers.all().map((row) => ({
        name: row.name,
        host: row.host,
        labels: JSON.parse(row.labels) as string[],
        slots: row.slots,
        version: row.version,
        lastSeenAt: row.last_seen_at,
        running: held
          .filter((h) => h.worker_name === row.name)
          .map((h) => ({ executionId: h.id, attempt: h.worker_attempt })),
      }));
    });
  }

  async cancelUnclaimed(id: string, at: string, error: string): Promise<Execution | undefined> {
    return this.change('cannot cancel the execution', () => this.dropQueued.immediate(id, at, error));
  }

  private change<T>(context: string, operation: () => T): T {
    const result = guarded(this.db, context, operation);
    this.onChange();
    return result;
  }
}
