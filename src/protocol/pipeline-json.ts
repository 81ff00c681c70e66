import type { PipelineRun, PipelineRunNode } from '../core/pipelines/pipeline-run.js';
import { pipelineProgress } from '../core/pipelines/pipeline-rules.js';

/** One attempt of a node on the wire: its execution, status and duration. @public */
export interface PipelineNodeAttemptJson {
  executionId: string;
  status: string;
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
}

/** @public */
export interface PipelineRunNodeJson extends Omit<PipelineRunNode, 'attempts'> {
  /** The last attempt's execution; null before one starts. */
  executionId: string | null;
  /** From its first attempt's start to its end (or now, while it runs). */
  durationMs: number | null;
  attempts: PipelineNodeAttemptJson[];
}

/** `GET /api/pipelines/runs/:id`, the `pipeline-run` live message and each listing item. */
export interface PipelineRunJson extends Omit<PipelineRun, 'nodes'> {
  progress: { done: number; total: number };
  durationMs: number | null;
  nodes: PipelineRunNodeJson[];
}

function between(start: string | null, end: string | null, nowMs: number): number | null {
  if (start === null) return null;
  return Math.max(0, (end === null ? nowMs : Date.parse(end)) - Date.parse(start));
}

export function toPipelineRunJson(run: PipelineRun, nowMs: number): PipelineRunJson {
  return {
    ...run,
    progress: pipelineProgress(run.nodes),
    durationMs: between(run.startedAt, run.endedAt, nowMs),
    nodes: run.nodes.map((node) => ({
      ...node,
      executionId: node.attempts.at(-1)?.executionId ?? null,
      durationMs: between(node.startedAt, node.endedAt, nowMs),
      attempts: node.attempts.map((attempt) => ({
        ...attempt,
        durationMs: attempt.startedAt === null ? null : between(attempt.startedAt, attempt.endedAt, nowMs),
      })),
    })),
  };
}
