/** Every status an execution can have. `queued` and `running` are the only non-terminal ones. */
export const EXECUTION_STATUSES = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
  'interrupted',
  'lost',
] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

/** Every status a step can have. */
/** @public */
export const STEP_STATUSES = ['running', 'succeeded', 'failed', 'cancelled'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/**
 * `stored`: copied into the data dir. `failed`: recorded with a reason, nothing copied. `expired`:
 * was stored; retention deleted the file and kept the record (docs/RETENTION.md).
 */
/** @public */
export const ARTIFACT_STATUSES = ['stored', 'failed', 'expired'] as const;
export type ArtifactStatus = (typeof ARTIFACT_STATUSES)[number];

/** @public */
export const ANNOTATION_LEVELS = ['error', 'warning', 'notice'] as const;
export type AnnotationLevel = (typeof ANNOTATION_LEVELS)[number];

export const LOG_STREAMS = ['stdout', 'stderr', 'system'] as const;
/** `system` lines are written by StepFlow itself (warnings about artifacts, kill notices…). */
export type LogStream = (typeof LOG_STREAMS)[number];

/** The statuses an execution ends in; it never changes status again. */
const TERMINAL_EXECUTION_STATUSES = [
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
  'interrupted',
  'lost',
] as const satisfies readonly ExecutionStatus[];
export type TerminalExecutionStatus = (typeof TERMINAL_EXECUTION_STATUSES)[number];

export function isTerminalExecutionStatus(status: ExecutionStatus): boolean {
  return (TERMINAL_EXECUTION_STATUSES as readonly ExecutionStatus[]).includes(status);
}

/**
 * What counts as a failure, everywhere (stats, charts, the dashboard's failure summary and log
 * focus): the run ended without succeeding and nobody stopped it on purpose. `failed` (non-zero
 * exit, `STEP_ERROR`, could not start, could not be saved), `timed_out`, and `interrupted` (the
 * StepFlow process running it died, or a remote run's lease expired). `cancelled` is not a failure:
 * someone asked for it. `lost`: the worker running it went silent past its lease (docs/WORKERS.md).
 */
export const FAILURE_STATUSES = [
  'failed',
  'timed_out',
  'interrupted',
  'lost',
] as const satisfies readonly TerminalExecutionStatus[];
export type FailureStatus = (typeof FAILURE_STATUSES)[number];

export function isFailureStatus(status: ExecutionStatus): boolean {
  return (FAILURE_STATUSES as readonly ExecutionStatus[]).includes(status);
}

/**
 * The failures the script itself produced: every failure but `interrupted`. Retries, a job's
 * `failure`/`recovery` webhooks and its remembered last outcome act on these only. An interrupted
 * run says nothing about the script (StepFlow's process died), and it may not even have stopped: a
 * remote run whose lease expired is reopened by its next report, and a dead server's scripts are
 * being killed by the next one, so a retry could run the script twice at once.
 */
export function isScriptFailure(status: ExecutionStatus): boolean {
  // `lost` likewise: the worker may be alive behind a partition, its script still running.
  return isFailureStatus(status) && status !== 'interrupted' && status !== 'lost';
}

export function isExecutionStatus(value: string): value is ExecutionStatus {
  return (EXECUTION_STATUSES as readonly string[]).includes(value);
}
