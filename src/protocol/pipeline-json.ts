import type { PipelineRun, PipelineRunNode } from '../core/pipelines/pipeline-run.js';
import { dependencyLevels } from '../core/pipelines/dependency-levels.js';
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
  /** The nodes it needs, from the definition (the graph's edges). */
  needs: string[];
  /** Its dependency level: 0 needs nothing, else one more than the deepest node it needs (the graph's column). */
  level: number;
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
  const levels = dependencyLevels(run.definition);
  const needs = new Map(run.definition.nodes.map((node) => [node.name, node.needs]));
  return {
    ...run,
    progress: pipelineProgress(run.nodes),
    durationMs: between(run.startedAt, run.endedAt, nowMs),
    nodes: run.nodes.map((node) => ({
      ...node,
      executionId: node.attempts.at(-1)?.executionId ?? null,
      needs: needs.get(node.name) ?? [],
      level: levels.get(node.name) ?? 0,
      durationMs: between(node.startedAt, node.endedAt, nowMs),
      attempts: node.attempts.map((attempt) => ({
        ...attempt,
        durationMs: attempt.startedAt === null ? null : between(attempt.startedAt, attempt.endedAt, nowMs),
      })),
    })),
  };
}
