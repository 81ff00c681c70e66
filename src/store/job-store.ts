import type {
  FireOutcome,
  FireRecord,
  Job,
  JobDefinition,
  PendingRetry,
  WebhookDelivery,
} from '../core/jobs/job.js';
import type { StepDurationSample } from '../core/jobs/step-percentiles.js';
import type { ExecutionStatus } from '../core/statuses.js';
import type { SchedulerLease } from './scheduler-lease.js';
import type { UnreadableRecord } from './store.js';

/**
 * The jobs port: saved jobs with their triggers, the fire history and the webhook delivery log.
 * The scheduler and the API only see this interface; `sqlite/sqlite-job-store.ts` implements it,
 * and every backend passes `job-store-contract.ts`.
 *
 * **It is not standalone.** A job's runs are executions, saved through the `ExecutionStore`
 * (with `jobId`, `attempt`, … from `NewExecution.job`): {@link JobStore.lastRuns}, {@link JobStore.recentRuns} and
 * {@link JobStore.recentStepDurations} read those executions and their steps, and fire records, deliveries
 * and pending retries name execution ids. So a backend opens both ports on one database, from one
 * factory (`StoreBackend`, `store-backend.ts`; SQLite: `openSqliteStores`), and these reads see
 * what that execution store committed. Deleting a job leaves its executions.
 */
export interface JobStore {
  /** Stores a new job; a name already taken is a `conflict`. */
  createJob(definition: JobDefinition): Promise<Job>;
  /**
   * Replaces a job's definition. Triggers equal to a current one keep their id and plan (so their
   * fire history and unique fire keys carry over); the others are new.
   */
  updateJob(id: string, definition: JobDefinition): Promise<Job>;
  getJob(id: string): Promise<Job | undefined>;
  /**
   * Every job, by name; a stored job that cannot be read (see `jobFromStored`) is left out and
   * named in `unreadable`, so one bad row never hides the others. `getJob` throws `unreadable` for it.
   */
  listJobs(): Promise<JobList>;
  /** Deletes a job with its triggers, fire history and deliveries; its executions stay. */
  deleteJob(id: string): Promise<void>;
  setEnabled(id: string, enabled: boolean): Promise<Job>;

  /**
   * Records a fire time once: returns the new record, or undefined when this (trigger, fire time)
   * is already recorded (by an earlier run of the scheduler, or another one). In the same
   * transaction the trigger's planned fire moves to `nextFireMs`.
   */
  recordFire(
    fire: NewFire,
    plan?: { triggerId: string; nextFireMs: number | null },
  ): Promise<FireRecord | undefined>;
  updateFire(
    id: number,
    change: { outcome: FireOutcome; reason?: string | null; executionId?: string | null },
  ): Promise<void>;
  /** Moves a trigger's planned fire (start-up, after missed fires, after an edit). */
  planFire(triggerId: string, nextFireMs: number | null): Promise<void>;
  /** Newest first. */
  listFires(jobId: string, query?: { limit?: number }): Promise<FireRecord[]>;

  recordDelivery(delivery: Omit<WebhookDelivery, 'id'>): Promise<void>;
  /** Newest first. */
  listDeliveries(jobId: string, query?: { limit?: number }): Promise<WebhookDelivery[]>;

  /** The newest execution of each job that has one (any attempt). */
  lastRuns(): Promise<Map<string, JobLastRun>>;
  /**
   * The newest `limit` executions (any attempt) of each of `jobIds`, newest first; a job without
   * runs maps to `[]`. One index seek per job: what a jobs list draws its run history from.
   */
  recentRuns(jobIds: readonly string[], limit: number): Promise<Map<string, JobRunSummary[]>>;

  /**
   * The ids of the job's executions still open (`queued` or `running`), whoever started them: any
   * process, any replica, a worker. What a job's `maxConcurrentRuns` and overlap policy count, so
   * that a scheduler taking over from another counts the runs that one left going. One indexed read
   * of the open executions only, never of the job's whole history.
   */
  openRuns(jobId: string): Promise<string[]>;

  /**
   * The durations of the finished steps of the job's newest `runs` succeeded executions (any
   * attempt), for the running-late percentile. Only what the store has committed.
   */
  recentStepDurations(jobId: string, runs: number): Promise<StepDurationSample[]>;

  /**
   * Keeps a retry waiting for its delay, under a unique key (its failed attempt): saving the same
   * one twice keeps the first. Nothing is saved when the job no longer exists.
   */
  savePendingRetry(retry: PendingRetry): Promise<void>;
  /**
   * Removes a pending retry and returns it, or undefined when it is gone (another scheduler, or
   * this one before a restart, claimed it; or its job was paused or deleted). Only the caller that
   * gets it back may start the retry: that is what makes it run once.
   */
  claimPendingRetry(failedExecutionId: string): Promise<PendingRetry | undefined>;
  /** Every pending retry, the earliest due first. */
  listPendingRetries(): Promise<PendingRetry[]>;
  /** Drops a job's pending retries (pause). */
  dropPendingRetries(jobId: string): Promise<void>;

  /**
   * Which process on this database fires the schedule (see `scheduler-lease.ts`). SQLite: every
   * process leads (not shared); PostgreSQL: one at a time, by a session advisory lock.
   */
  readonly schedulerLease: SchedulerLease;

  close(): Promise<void>;
}

export interface NewFire {
  jobId: string;
  triggerId: string | null;
  fireMs: number;
  outcome: FireOutcome;
  reason?: string | null;
  executionId?: string | null;
  /** How many fire times the record stands for (missed fires are summarised). Default 1. */
  count?: number;
}

export interface JobLastRun {
  executionId: string;
  status: ExecutionStatus;
  createdAt: string;
}

export interface JobRunSummary extends JobLastRun {
  startedAt: string | null;
  /** Null until the run ends. */
  durationMs: number | null;
}

export interface JobList {
  jobs: Job[];
  unreadable: UnreadableRecord[];
}
