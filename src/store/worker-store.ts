import type { Execution, RunSpec } from '../core/model.js';
import type { WorkerIdentity, WorkerRecord } from '../core/workers.js';
import type { HostSample } from '../core/host.js';

/** A run a worker has just claimed: what it needs to run it, and the attempt its reports carry. */
export interface ClaimedExecution {
  execution: Execution;
  /** The spec it was submitted with, env included: only for the worker that runs it. */
  spec: RunSpec;
  attempt: number;
}

/** Limits a claim honours (docs/WORKERS.md). */
export interface ClaimLimits {
  /** At most this many `running` executions across the database: none is claimed at or above it. */
  maxRunning?: number;
}

/** One run a worker says it holds, in a heartbeat. */
export interface HeldClaim {
  executionId: string;
  attempt: number;
}

/** A worker's latest machine sample (the host monitor), with its name and host name. */
export interface WorkerHostSample {
  name: string;
  host: string;
  sample: HostSample;
}

/** What a heartbeat found of the runs the worker holds. */
export interface HeartbeatResult {
  /** Runs it must stop: ended, lost, or claimed by another attempt. Their leases were not renewed. */
  stale: string[];
  /** Runs still its own that someone asked to cancel. */
  cancelRequested: string[];
}

/**
 * The worker port (docs/WORKERS.md): claims of queued runs by `stepflow worker` processes, their
 * leases and the workers' registry, on the same database as the {@link ExecutionStore} (same
 * executions). Every backend passes `worker-store-contract.ts`. Domain rules (labels, liveness,
 * what a lost run becomes) come from `core/workers.ts`.
 */
export interface WorkerStore {
  /**
   * Takes the oldest `queued` run for workers (`runsOn` set) that no one claimed, whose labels the
   * worker has all, and that no one asked to cancel: it becomes `running` (started at `at`), with
   * `worker` = this name and attempt 1 (one more than its previous claim), its lease renewed at
   * `at`; the worker is registered as by {@link heartbeat}. Exactly once across processes: SQLite
   * does it in one IMMEDIATE transaction; PostgreSQL will `SELECT … FOR UPDATE SKIP LOCKED`, so
   * concurrent claims never wait on each other nor take the same row. Undefined when none fits.
   *
   * With `maxRunning` (the cluster-wide MAX_CONCURRENT_TASKS), it takes a run only while fewer than
   * that many executions are `running` in the whole database (claimed ones and local runs of any
   * process alike), exactly even across concurrent claims from several processes.
   */
  claimExecution(
    worker: WorkerIdentity,
    at: string,
    limits?: ClaimLimits,
  ): Promise<ClaimedExecution | undefined>;

  /** How many executions are `running` in the whole database (any process, any worker). */
  countRunning(): Promise<number>;

  /**
   * Registers the worker (by name; a changed identity replaces the old) as seen at `at`, and renews
   * at `at` the lease of each held run that is still `running` under that worker and attempt. Its
   * machine's `host` sample (the host monitor) replaces the one kept for it; none clears it.
   */
  heartbeat(
    worker: WorkerIdentity,
    held: readonly HeldClaim[],
    at: string,
    host?: HostSample,
  ): Promise<HeartbeatResult>;

  /** The latest host sample of each registered worker that sent one, by worker name. */
  workerHostSamples(): Promise<WorkerHostSample[]>;

  /**
   * Ends as `lost` every `running` claimed run whose lease was last renewed before `before`, as core
   * decides (`lostOf`: ended at its last sign of life, open steps closed, lines kept); each only if
   * it is still running with that lease at that moment. Returns them as stored now.
   */
  expireClaims(before: string, leaseMs: number, now: string): Promise<Execution[]>;

  /** Every registered worker, by name, with the runs it holds. */
  listWorkers(): Promise<WorkerRecord[]>;

  /**
   * Cancels a `queued` run for workers that no worker has claimed (`cancelled`, ended at `at`, with
   * `error`); undefined, with nothing changed, when it is not such a run (claimed meanwhile, ended).
   */
  cancelUnclaimed(id: string, at: string, error: string): Promise<Execution | undefined>;
}
