import type { RetentionPolicy } from '../retention.js';
import type { RunLimits } from '../run-limits.js';
import type { ExecutionStatus } from '../statuses.js';

/**
 * The job model: a saved command plus when to run it (triggers) and what to do around a run
 * (retries, overlap, notifications). Pure data; the scheduler gives it life. See docs/JOBS.md.
 */

/** What happens when a fire finds the job already at its limit of active runs. */
export const OVERLAP_POLICIES = ['skip', 'queue', 'parallel', 'cancel-previous'] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

/** What happens, at start-up, to fire times that passed while no scheduler was running. */
export const MISSED_FIRE_POLICIES = ['skip', 'run-once'] as const;
export type MissedFirePolicy = (typeof MISSED_FIRE_POLICIES)[number];

/** When a webhook is called. `recovery`: the first success after a failure. */
export const WEBHOOK_EVENTS = ['failure', 'recovery', 'success', 'running-late'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/**
 * What became of one fire time. `started`: an execution was submitted (see its status);
 * `queued`: waiting for a run of the same job to end (overlap `queue`); `skipped`: not run because
 * of the overlap policy or a shutdown; `missed`: passed while the scheduler was down.
 */
export const FIRE_OUTCOMES = ['started', 'queued', 'skipped', 'missed'] as const;
export type FireOutcome = (typeof FIRE_OUTCOMES)[number];

export type TriggerSpec =
  | { kind: 'cron'; cron: string; timezone: string }
  | { kind: 'interval'; intervalSeconds: number }
  | { kind: 'once'; at: string };

/** A trigger as stored: its spec plus the id the fire records key on. */
export type Trigger = TriggerSpec & {
  id: string;
  /** Epoch ms interval fires are counted from (the trigger's creation). */
  anchorMs: number;
  /**
   * Scheduler bookkeeping: the fire time it is waiting for, or null when none is planned. One
   * found in the past at start-up passed while no scheduler ran (a missed fire).
   */
  nextFireMs: number | null;
};

export interface RetryPolicy {
  /** Attempts in all, the first included: 1 means no retry. */
  maxAttempts: number;
  /** Delay before the first retry, seconds. */
  delaySeconds: number;
  /** Each further retry waits this many times longer (1 = fixed delay). */
  backoffFactor: number;
  /** No retry waits longer than this, seconds. */
  maxDelaySeconds: number;
  /** Retry only when the attempt exited with one of these codes; null: any failure or timeout. */
  onExitCodes: number[] | null;
}

export interface Webhook {
  url: string;
  events: WebhookEvent[];
  /** Key of the `X-StepFlow-Signature` HMAC-SHA256; null: unsigned. Never sent back by the API. */
  secret: string | null;
  /** Delivery attempts in all (the first included). */
  maxAttempts: number;
  /** Delay before the second attempt, seconds; doubles each time, capped at 60 s. */
  backoffSeconds: number;
}

/** What a job runs, the part shared with an ad-hoc execution's run spec (cwd is absolute). */
export interface JobCommand {
  command: string | null;
  argv: string[] | null;
  cwd: string;
  env: Record<string, string>;
  /** Set like `env` and masked in the log; never returned by the API. Absent in jobs saved before. */
  secretEnv?: Record<string, string> | undefined;
  tags: Record<string, string>;
  timeoutSeconds: number | null;
  /** Memory, CPU and log limits of its runs (docs/LIMITS.md). Absent: none (and in jobs saved before). */
  limits?: RunLimits | undefined;
  /** The saved Python environment its runs get (docs/WORKSPACE-ENVIRONMENTS.md). Absent: none. */
  environment?: string | undefined;
  /**
   * The project its runs start in (docs/WORKSPACE.md): each in a copy of the project's current
   * version at its fire, `cwd` then a relative folder inside it (`''`: its root). Absent: none.
   */
  project?: string | undefined;
  /**
   * A pipeline job (docs/JOBS.md, "Pipeline jobs"): each fire starts a run of the saved pipeline of
   * this name, read as it is at the fire; `command` and `argv` are then null. Absent: a command job.
   */
  pipeline?: string | undefined;
}

/**
 * A backup job (docs/OPERATIONS.md, "Scheduled backups"): each run is StepFlow's own
 * `stepflow backup --to <dir> --keep <keep>` against the server's data dir, so it has a live log
 * like any run; the folder keeps the newest `keep` backups StepFlow named.
 */
export interface BackupJob {
  /** An absolute folder on the server's host. */
  dir: string;
  keep: number;
}

/** The command a backup job shows and stores; the server runs its own CLI with these arguments. */
export function backupJobArgv({ dir, keep }: BackupJob): string[] {
  return ['stepflow', 'backup', '--to', dir, '--keep', String(keep)];
}

/** Everything a user defines about a job. */
export interface JobDefinition extends JobCommand {
  name: string;
  enabled: boolean;
  triggers: TriggerSpec[];
  retry: RetryPolicy;
  overlap: OverlapPolicy;
  /** Active runs allowed at once before the overlap policy applies; null: no limit (`parallel` only). */
  maxConcurrentRuns: number | null;
  missedFire: MissedFirePolicy;
  /** A run still going after this many seconds raises a `running-late` warning; null: never. */
  lateAfterSeconds: number | null;
  /**
   * A running step that takes longer than its 95th percentile over the job's recent successful
   * runs raises a `running-late` warning too (see step-percentiles.ts).
   */
  lateByP95: boolean;
  webhooks: Webhook[];
  /**
   * Labels a worker must all have to run the job's runs (docs/WORKERS.md), sorted; empty: the
   * server runs them (or, `server --no-runner`, any worker). Non-empty needs an absolute `cwd`.
   */
  runsOn: string[];
  /**
   * A run whose worker went silent (`lost`) is started again once, at once, on a worker that is
   * live (a second `lost` is final); that attempt does not count against `retry.maxAttempts`.
   */
  retryOnLost: boolean;
  /**
   * The job's own retention policy (docs/RETENTION.md): it replaces the global one for the job's
   * runs, whole (`{}` keeps them forever). Absent: the global policy applies, and in jobs saved before.
   */
  retention?: RetentionPolicy | undefined;
  /** Set: a backup job, whose command is {@link backupJobArgv}. Absent in other jobs (and older ones). */
  backup?: BackupJob | undefined;
}

export interface Job extends Omit<JobDefinition, 'triggers'> {
  id: string;
  triggers: Trigger[];
  createdAt: string;
  updatedAt: string;
}

/** One fire time of one trigger (or a manual run), and what became of it. */
export interface FireRecord {
  id: number;
  jobId: string;
  /** Null for a manual run (`POST /api/jobs/:id/run`). */
  triggerId: string | null;
  fireTime: string;
  outcome: FireOutcome;
  reason: string | null;
  /** The first attempt's execution, when one was started. */
  executionId: string | null;
  /** For `missed`: how many fire times this record stands for (the first is `fireTime`). */
  count: number;
  createdAt: string;
}

/**
 * Why a run is called late: its fixed `lateAfterSeconds` passed, or one of its steps ran past the
 * 95th percentile of that step's recent durations. Webhook payloads and scheduler events carry it.
 */
export type RunningLate =
  | { reason: 'threshold'; lateAfterSeconds: number }
  | {
      reason: 'step-p95';
      step: { id: number; name: string };
      /** The step's 95th percentile (nearest rank) over recent successful runs, ms. */
      p95Ms: number;
      /** How many recent durations of the step the percentile was taken over. */
      samples: number;
      /** How long the step had been running when the warning went out, ms. */
      elapsedMs: number;
    };

/**
 * A retry waiting for its backoff delay, as the job store keeps it so that a restart during the
 * delay still runs it (once: starting it removes the record, and only one remover wins).
 */
export interface PendingRetry {
  jobId: string;
  /** The attempt that failed; the retry links to it as `retryOfId`. */
  failedExecutionId: string;
  /** Its final status (failed or timed out): what the run ends with if the retry never starts. */
  failedStatus: ExecutionStatus;
  /** The attempt number the retry gets (the failed one's plus 1). */
  attempt: number;
  /** When the retry is due, epoch ms. */
  dueMs: number;
  /** The run's fire time, carried to every attempt (null for a manual run). */
  scheduledAt: string | null;
}

/** One attempt at delivering one webhook call. */
export interface WebhookDelivery {
  id: number;
  jobId: string;
  /** Same for every attempt of one call; sent as `X-StepFlow-Delivery`. */
  deliveryId: string;
  url: string;
  event: WebhookEvent;
  executionId: string | null;
  attempt: number;
  /** HTTP status, or null when no answer came (network error, timeout). */
  statusCode: number | null;
  ok: boolean;
  error: string | null;
  sentAt: string;
  durationMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 1,
  delaySeconds: 10,
  backoffFactor: 2,
  maxDelaySeconds: 600,
  onExitCodes: null,
};

export const DEFAULT_WEBHOOK_ATTEMPTS = 5;
export const DEFAULT_WEBHOOK_BACKOFF_SECONDS = 2;
