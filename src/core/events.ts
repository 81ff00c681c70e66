import type { RunningLate } from './jobs/job.js';
import type { Annotation, Artifact, Execution, LogLine, ResourceSample, Step } from './model.js';
import type { PipelineChange } from './pipelines/pipeline-change.js';

/**
 * What happens to one execution. Lines travel in batches: never one event per line.
 */
export type ExecutionEvent =
  /** Accepted, waiting for a free slot (only published when it has to wait). */
  | { type: 'execution.queued'; executionId: string; execution: Execution }
  | { type: 'execution.started'; executionId: string; execution: Execution }
  | { type: 'execution.updated'; executionId: string; execution: Execution }
  | { type: 'execution.finished'; executionId: string; execution: Execution }
  | { type: 'log.lines'; executionId: string; lines: LogLine[] }
  | { type: 'step.started'; executionId: string; step: Step }
  | { type: 'step.updated'; executionId: string; step: Step }
  | { type: 'step.finished'; executionId: string; step: Step }
  | { type: 'artifact.recorded'; executionId: string; artifact: Artifact }
  | { type: 'annotation.added'; executionId: string; annotation: Annotation }
  | { type: 'resource.sampled'; executionId: string; sample: ResourceSample }
  /**
   * The summary Markdown of a step (`stepId`) or of the whole run (`stepId: null`) is now `summary`
   * (its whole text, not an addition). Published before the step or execution whose `hasSummary`
   * it sets, for the store; the live hub does not send it (clients fetch the text).
   */
  | { type: 'summary.updated'; executionId: string; stepId: number | null; summary: string };

/**
 * What happens to a job: its definition changes (from the API, the CLI or the dashboard alike), or
 * its scheduler acts (a fire starts, is skipped, queued or missed; a retry is planned or starts; a
 * run is late; a run — all its attempts — ends). Fire times and `at` are ISO 8601.
 */
export type JobEvent =
  | { type: 'job.created'; jobId: string }
  /** Edited (name, command, triggers, policies…). */
  | { type: 'job.updated'; jobId: string }
  | { type: 'job.paused'; jobId: string }
  | { type: 'job.resumed'; jobId: string }
  | { type: 'job.deleted'; jobId: string }
  /** A fire started its first attempt (`manual`: "run now"). */
  | {
      type: 'fire.started';
      jobId: string;
      fireTime: string;
      executionId: string;
      manual: boolean;
      /** A pipeline job's fire: `executionId` is the pipeline run it started. */
      pipelineRun?: true;
    }
  /** The overlap policy (or a shutdown) refused a fire; `reason` says why. */
  | { type: 'fire.skipped'; jobId: string; fireTime: string; reason: string }
  /** A fire waits for a run of the same job to end (overlap `queue`). */
  | { type: 'fire.queued'; jobId: string; fireTime: string }
  /** Fires that passed while no StepFlow ran (`count` of them, the first at `fireTime`). */
  | { type: 'fire.missed'; jobId: string; fireTime: string; count: number }
  /** `executionId` failed; attempt `attempt` starts at `at`. */
  | {
      type: 'retry.planned';
      jobId: string;
      executionId: string;
      attempt: number;
      at: string;
      /** A pipeline job's retry: `executionId` is the failed pipeline run. */
      pipelineRun?: true;
    }
  /**
   * Attempt `attempt` started as `executionId`, retrying `retryOfId`. `reason: 'lost'`: its worker
   * went silent and the job has `retryOnLost` (at once, outside the retry policy); absent: the
   * retry policy's retry of a failure.
   */
  | {
      type: 'retry.started';
      jobId: string;
      executionId: string;
      retryOfId: string;
      attempt: number;
      reason?: 'lost';
      /** A pipeline job's retry: both ids are pipeline runs (the new one re-runs the failed nodes). */
      pipelineRun?: true;
    }
  /** Once per attempt at most, whichever threshold passes first (`late` says which). */
  | { type: 'late.warning'; jobId: string; executionId: string; late: RunningLate }
  /**
   * A run of the job ended, retries included: `executionId` is its last attempt. `recovered`: it
   * succeeded after the job's previous run had failed.
   */
  | {
      type: 'job.run_finished';
      jobId: string;
      executionId: string;
      status: Execution['status'];
      attempts: number;
      recovered: boolean;
      /** A pipeline job's run: `executionId` is its last pipeline run, `status` that run's. */
      pipelineRun?: true;
    };

/**
 * The one event vocabulary: everything that happens, on one stream. The store writer, the live
 * hub, the terminal view, the webhook notifier and the server log are all subscribers of it.
 */
export type StepflowEvent = ExecutionEvent | JobEvent | PipelineEvent;

/** What happens to a pipeline run (docs/PIPELINES-RUNNING.md), published by its orchestrator. */
export interface PipelineEvent {
  type: 'pipeline.changed';
  pipelineRunId: string;
  change: PipelineChange;
}

/** True for the events of a pipeline run. */
export function isPipelineEvent(event: StepflowEvent): event is PipelineEvent {
  return event.type === 'pipeline.changed';
}

export type StepflowEventListener = (event: StepflowEvent) => void;

const EXECUTION_EVENT_TYPES: ReadonlySet<string> = new Set<ExecutionEvent['type']>([
  'execution.queued',
  'execution.started',
  'execution.updated',
  'execution.finished',
  'log.lines',
  'step.started',
  'step.updated',
  'step.finished',
  'artifact.recorded',
  'annotation.added',
  'resource.sampled',
  'summary.updated',
]);

/** True for the events of one execution; subscribers that only follow executions skip the rest. */
export function isExecutionEvent(event: StepflowEvent): event is ExecutionEvent {
  return EXECUTION_EVENT_TYPES.has(event.type);
}
