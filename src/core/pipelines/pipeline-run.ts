import type { ExecutionOwner } from '../model.js';
import type { PipelineDefinition } from './pipeline-definition.js';

/**
 * A run of a pipeline (docs/PIPELINES-RUNNING.md): the definition it ran as, and one record per
 * node. Each node's attempts are ordinary executions, tagged with {@link PIPELINE_RUN_TAG} and
 * {@link PIPELINE_NODE_TAG}, so an execution's page can say "node X of pipeline run Y".
 */

/** Tag on each node's execution: the pipeline run's id. */
export const PIPELINE_RUN_TAG = 'stepflow.pipeline-run';
/** Tag on each node's execution: the node's name. */
export const PIPELINE_NODE_TAG = 'stepflow.pipeline-node';

/**
 * `waiting`: a node it needs has not ended; `queued`: ready, its execution submitted or waiting
 * for a slot of the pipeline's `concurrency`; `running`: its execution runs; `retrying`: an
 * attempt failed and the next starts after the retry delay. The rest are final.
 */
export const PIPELINE_NODE_STATUSES = [
  'waiting',
  'queued',
  'running',
  'retrying',
  'succeeded',
  'failed',
  'skipped',
  'cancelled',
] as const;
export type PipelineNodeStatus = (typeof PIPELINE_NODE_STATUSES)[number];

export const PIPELINE_RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type PipelineRunStatus = (typeof PIPELINE_RUN_STATUSES)[number];

const FINAL_NODE: ReadonlySet<PipelineNodeStatus> = new Set(['succeeded', 'failed', 'skipped', 'cancelled']);

/** Whether a node's status is final (nothing more runs for it in this run). */
export function isFinalNodeStatus(status: PipelineNodeStatus): boolean {
  return FINAL_NODE.has(status);
}

export function isFinalRunStatus(status: PipelineRunStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'cancelled';
}

interface PipelineNodeAttempt {
  executionId: string;
  /** The execution's status as last seen (ended attempts keep their final one). */
  status: string;
  startedAt: string | null;
  endedAt: string | null;
}

export interface PipelineRunNode {
  name: string;
  status: PipelineNodeStatus;
  /** 1 for the first attempt; 0 until one starts. */
  attempt: number;
  /** Every attempt's execution, in order. */
  attempts: PipelineNodeAttempt[];
  /** The last attempt's outputs (`OUTPUT:k=v`, `$STEPFLOW_OUTPUT`); kept by a re-run of the failed nodes. */
  outputs: Record<string, string>;
  startedAt: string | null;
  endedAt: string | null;
  /** When the next attempt starts (ISO), while `retrying`. */
  retryAt?: string;
  /** Why it was skipped or cancelled, or how its last attempt failed. */
  reason?: string;
}

/**
 * The job whose fire started a pipeline run (docs/JOBS.md, "Pipeline jobs"): saved with the run, so
 * every replica counts a job's open pipeline runs for its overlap policy, and lists them by job.
 */
export interface PipelineRunJobLink {
  jobId: string;
  /** 1 for the fire's run; each retry (a re-run of the failed nodes) one more. */
  attempt: number;
  /** The failed pipeline run this attempt re-runs (a retry); null for the first. */
  retryOfId: string | null;
  /** The fire time (every attempt carries it); null for "run now". */
  scheduledAt: string | null;
}

export interface PipelineRun {
  id: string;
  name: string;
  definition: PipelineDefinition;
  status: PipelineRunStatus;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  createdBy?: string;
  /** The pipeline run this one re-runs. */
  rerunOf: string | null;
  /** A cancel was asked for: nothing more starts. */
  cancelRequested: boolean;
  /** In the definition's order. */
  nodes: PipelineRunNode[];
  /** Started by a job's fire (or its retry); absent for runs started by hand. */
  job?: PipelineRunJobLink;
  /**
   * The process that drives it (absent in runs saved before): a run whose driver died is driven
   * by nobody, and a job's overlap count ends it rather than wait for it forever.
   */
  driver?: ExecutionOwner;
}

/** The first record of every node: all `waiting`. */
export function newRunNodes(definition: PipelineDefinition): PipelineRunNode[] {
  return definition.nodes.map((node) => ({
    name: node.name,
    status: 'waiting',
    attempt: 0,
    attempts: [],
    outputs: {},
    startedAt: null,
    endedAt: null,
  }));
}
