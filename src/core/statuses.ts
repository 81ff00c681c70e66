/** Every status an execution can have. `queued` and `running` are the only non-terminal ones. */
export const EXECUTION_STATUSES = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
  'interrupted',
] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

/** Every status a step can have. */
/** @public */
export const STEP_STATUSES = ['running', 'succeeded', 'failed', 'cancelled'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** `stored`: copied into the data dir. `failed`: recorded with a reason, nothing copied. */
/** @public */
export const ARTIFACT_STATUSES = ['stored', 'failed'] as const;
export type ArtifactStatus = (typeof ARTIFACT_STATUSES)[number];

/** @public */
export const ANNOTATION_LEVELS = ['error', 'warning', 'notice'] as const;
export type AnnotationLevel = (typeof ANNOTATION_LEVELS)[number];

export const LOG_STREAMS = ['stdout', 'stderr', 'system'] as const;
/** `system` lines are written by StepFlow itself (warnings about artifacts, kill notices…). */
export type LogStream = (typeof LOG_STREAMS)[number];

const TERMINAL_EXECUTION: ReadonlySet<ExecutionStatus> = new Set([
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
  'interrupted',
]);

export function isTerminalExecutionStatus(status: ExecutionStatus): boolean {
  return TERMINAL_EXECUTION.has(status);
}

export function isExecutionStatus(value: string): value is ExecutionStatus {
  return (EXECUTION_STATUSES as readonly string[]).includes(value);
}
