import type { PipelineRunStatus } from './pipeline-run.js';
import type { NodeWarningKind } from './node-timing.js';

/** What happened to one node (its execution's status, or the rules' verdict). */
type PipelineNodeEvent = 'queued' | 'started' | 'succeeded' | 'failed' | 'skipped' | 'retrying' | 'cancelled';

/**
 * One change of a pipeline run, as published on the event stream (`pipeline.changed`) and sent on
 * the `pipeline:<runId>` topic. Times are ISO 8601, durations milliseconds.
 */
export type PipelineChange =
  /** The run's status or progress moved; `etaMs`: what is left by past runs' medians (null: unknown). */
  | {
      kind: 'run';
      status: PipelineRunStatus;
      done: number;
      total: number;
      etaMs: number | null;
    }
  | {
      kind: 'node';
      node: string;
      event: PipelineNodeEvent;
      attempt: number;
      executionId: string | null;
      /** Why it was skipped, failed or cancelled; when the next attempt starts for `retrying`. */
      reason?: string;
      retryAt?: string;
      /** Of the attempt, once it ended. */
      durationMs?: number;
      outputs?: Record<string, string>;
    }
  /** A step of a node's execution started or finished. */
  | {
      kind: 'step';
      node: string;
      executionId: string;
      event: 'started' | 'finished';
      step: { id: number; name: string; status: string; durationMs: number | null };
    }
  /** A node runs past a threshold: `warning`, `critical`, or slower than its p95 of the last 20 runs. */
  | {
      kind: 'warning';
      node: string;
      executionId: string;
      level: NodeWarningKind;
      elapsedMs: number;
      thresholdMs: number;
    };
