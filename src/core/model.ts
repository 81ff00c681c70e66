import type { EnvironmentBuildSpec } from './environments.js';
import type { LimitHit, RunLimits } from './run-limits.js';
import type { AnnotationLevel, ArtifactStatus, ExecutionStatus, LogStream, StepStatus } from './statuses.js';

/**
 * Domain model shared by every layer. Entities carry ISO 8601 timestamps (they are few and read by
 * people); log lines and resource samples carry epoch milliseconds (they are many).
 */

/** Everything needed to start (or re-run) an execution. */
export interface RunSpec {
  name?: string | undefined;
  /** Exactly one of `command` / `argv`. */
  command?: string | undefined;
  argv?: string[] | undefined;
  cwd: string;
  env?: Record<string, string> | undefined;
  /** Set in the child's environment like `env`, and masked in everything the run records. */
  secretEnv?: Record<string, string> | undefined;
  tags?: Record<string, string> | undefined;
  /** Seconds; absent or 0 means no timeout. */
  timeoutSeconds?: number | undefined;
  /** Seconds after its creation at which the run counts as running late (docs/JOBS.md); absent: never. */
  lateAfterSeconds?: number | undefined;
  /** Memory, CPU and log limits (docs/LIMITS.md); absent means none but the server's defaults. */
  limits?: RunLimits | undefined;
  /**
   * Labels a worker must all have to run it (`runsOn: ["gpu"]`, docs/WORKERS.md). Any: only a
   * `stepflow worker` with them runs it; none: the server runs it itself (or, `--no-runner`, any worker).
   */
  runsOn?: string[] | undefined;
  /**
   * The name of a saved Python environment (docs/WORKSPACE-ENVIRONMENTS.md): the run gets its
   * `VIRTUAL_ENV` and its `bin` first on `PATH`, the host building it first when it has no copy.
   */
  environment?: string | undefined;
  /** That environment as resolved when the run was submitted (set by StepFlow, not by callers). */
  pythonEnvironment?: EnvironmentBuildSpec | undefined;
  /** Set when it runs in a project (docs/WORKSPACE.md): which one, and the version its copy is of. */
  project?: ProjectRef | undefined;
}

/** A project and one of its versions, as a run records it. */
export interface ProjectRef {
  name: string;
  version: number;
  /**
   * The project's id, set in the spec of a run for a worker (docs/WORKSPACE.md): the worker fetches
   * the version by id and number, which name the same files forever (a name can be reused).
   */
  id?: string;
}

/** The process that drives an execution, so another process can tell when it died. */
export interface ExecutionOwner {
  host: string;
  pid: number;
  /** Process start time as reported by the OS (`/proc/<pid>/stat` field 22), to detect pid reuse. */
  startTime: number;
}

export interface ResourcePeaks {
  cpuPercentPeak: number;
  memoryBytesPeak: number;
  processCountPeak: number;
}

export interface Execution {
  id: string;
  name: string;
  /** Display form of what runs: the shell string, or the argv joined with spaces. */
  command: string;
  /** Present when the execution runs an argv array without a shell. */
  argv: string[] | null;
  cwd: string;
  tags: Record<string, string>;
  status: ExecutionStatus;
  exitCode: number | null;
  /** Signal that ended the main process, e.g. `SIGKILL`. */
  signal: string | null;
  /** Why it failed, in one line: the first `STEP_ERROR` message, a timeout, a spawn error… */
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
  timeoutSeconds: number | null;
  /** Execution-level `META:` values (those printed when no step was open). */
  meta: Record<string, string>;
  /** From the execution-level `META:ESTIMATED_DURATION:<seconds>` (see core/estimated-duration.ts). */
  estimatedDurationSeconds: number | null;
  /** Running late after this many seconds from creation (see core/running-late.ts); null: never. */
  lateAfterSeconds: number | null;
  owner: ExecutionOwner | null;
  /** Number of stored log lines (the highest seq). */
  lineCount: number;
  resources: ResourcePeaks | null;
  /** The job that started it (docs/JOBS.md); null for an ad-hoc execution. */
  jobId: string | null;
  /** 1 for a job run's first try, 2… for its retries; null for an ad-hoc execution. */
  attempt: number | null;
  /** The execution this attempt retries; null for a first attempt. */
  retryOfId: string | null;
  /** The fire time (ISO) that started it; null for ad-hoc and manual runs. */
  scheduledAt: string | null;
  /** The execution this one re-runs (its direct parent: a re-run of a re-run names the latter). */
  rerunOf: string | null;
  /** The step a re-run resumes from: the run's processes get it as `STEPFLOW_RESUME_FROM`. */
  resumeFrom: string | null;
  /**
   * The script wrote to `$STEPFLOW_STEP_SUMMARY`. The Markdown itself (up to 1 MiB) is not part of
   * the execution, so listings and live updates stay small: read it with {@link ExecutionSummary}.
   */
  hasSummary: boolean;
  /** `$STEPFLOW_OUTPUT` and `::set-output` values by name (masked; the last value of a name wins). */
  outputs: Record<string, string>;
  /** The limits it runs under (its own and the server's defaults); null when none. */
  limits: RunLimits | null;
  /** The limits that triggered, in order (docs/LIMITS.md); empty when none did. */
  limitHits: LimitHit[];
  /** Present when it is for workers (docs/WORKERS.md): the labels a worker must all have, maybe none. */
  runsOn?: string[];
  /** The worker that claimed it and the claim's attempt; absent until a worker claims it. */
  worker?: ExecutionWorker;
  /** Why a run for workers is still queued (no live worker has its labels); absent otherwise. */
  waitingFor?: string;
  /** Pinned: retention never expires it (docs/RETENTION.md). Absent when not pinned. */
  pinned?: boolean;
  /**
   * When retention dropped its log text (ISO): the record, its steps and `lineCount` stay, the
   * lines are gone. Absent while the log is kept.
   */
  logExpiredAt?: string;
  /**
   * Who started it (docs/AUDIT.md): a user's name, `api-key`, `local` (a server asking for no
   * credentials), `job:<name>` (a job's fire, retry or run-now), or the OS user of `stepflow run`.
   * Absent for runs recorded before it was kept, and for remote runs.
   */
  createdBy?: string;
  /** The project and version it ran in (docs/WORKSPACE.md); absent for a run outside a project. */
  project?: ProjectRef;
}

/** Which worker runs (ran) an execution: its claim. Reports of any other attempt are refused. */
interface ExecutionWorker {
  name: string;
  /** 1 for the first claim, 2… when it was claimed again. */
  attempt: number;
}

/** How an execution started by a job is linked to it (see {@link Execution}). */
export interface ExecutionJobLink {
  jobId: string;
  attempt: number;
  retryOfId: string | null;
  scheduledAt: string | null;
}

/** How a re-run is linked to the execution it re-runs (see {@link Execution}). */
export interface ExecutionRerunLink {
  rerunOf: string;
  /** The name of a step of `rerunOf`; null to run it all. */
  resumeFrom: string | null;
}

export interface Step {
  /** 1-based, unique within its execution, in order of start. */
  id: number;
  parentId: number | null;
  name: string;
  status: StepStatus;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  meta: Record<string, string>;
  /** Set for the steps StepFlow creates to hold output printed outside any step. */
  implicit: boolean;
  /** Marker dialect that opened the step. */
  source: StepSource;
  /** `STEP_ERROR` message (or another reason) when the step failed. */
  error: string | null;
  /** From `META:ESTIMATED_DURATION:<seconds>`, drives the progress estimate. */
  estimatedDurationSeconds: number | null;
  /** Seq of the first line of this step (its opening marker when there is one). */
  firstSeq: number;
  /**
   * Something was appended to `$STEPFLOW_STEP_SUMMARY` while this step was the innermost open one
   * (the text: {@link ExecutionSummary}).
   */
  hasSummary: boolean;
}

/**
 * What a run wrote to `$STEPFLOW_STEP_SUMMARY` (Markdown, masked, each text at most 1 MiB and ended
 * by a note when cut): the run's whole summary and each step's share, read apart from the execution.
 */
export interface ExecutionSummary {
  /** All of it, in the order written; null when nothing was written. */
  summary: string | null;
  /** The steps that wrote some, by step id (ascending). */
  steps: { stepId: number; summary: string }[];
}

/** @public */
export const STEP_SOURCES = ['stepflow', 'github', 'gitlab', 'buildkite', 'implicit'] as const;
export type StepSource = (typeof STEP_SOURCES)[number];

/** Bit flags on a log line. */
export const LineFlag = {
  /** The line is a recognised marker (it stays in the log, flagged). */
  Marker: 1,
  /** The line was longer than the maximum stored length; it continues in the next seq. */
  Continued: 2,
} as const;

export interface LogLine {
  /** 1-based, gapless per execution but where a log limit dropped lines (one gap line stands for them). */
  seq: number;
  /** Epoch milliseconds when StepFlow read the line. */
  ts: number;
  stream: LogStream;
  stepId: number | null;
  text: string;
  /** Bitwise OR of {@link LineFlag} values; 0 for plain output. */
  flags: number;
}

export interface Artifact {
  /** 1-based, unique within its execution. */
  id: number;
  stepId: number | null;
  /** Path as resolved against the working directory (relative to it when inside it). */
  path: string;
  description: string;
  status: ArtifactStatus;
  /** Reason when `failed`. */
  error: string | null;
  kind: 'file' | 'directory' | null;
  size: number | null;
  sha256: string | null;
  mediaType: string | null;
  createdAt: string;
  /** Location of the copy, relative to the data dir. Never sent to clients. */
  storedPath: string | null;
}

export interface Annotation {
  id: number;
  stepId: number | null;
  seq: number;
  level: AnnotationLevel;
  message: string;
  title: string | null;
  file: string | null;
  line: number | null;
  col: number | null;
  endLine: number | null;
  endCol: number | null;
}

export interface ResourceSample {
  ts: number;
  cpuPercent: number;
  memoryBytes: number;
  processCount: number;
}

/** An execution with everything that hangs off it except the log. */
export interface ExecutionDetail extends Execution {
  steps: Step[];
  artifacts: Artifact[];
  annotations: Annotation[];
}

/** The execution row of a detail, its lists left out: what `store.write({ executions })` takes. */
export function executionOf(detail: ExecutionDetail): Execution {
  const { steps: _steps, artifacts: _artifacts, annotations: _annotations, ...execution } = detail;
  return execution;
}
