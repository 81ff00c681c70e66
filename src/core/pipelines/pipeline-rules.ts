import type { PipelineDefinition, PipelineNode } from './pipeline-definition.js';
import {
  isFinalNodeStatus,
  type PipelineNodeStatus,
  type PipelineRun,
  type PipelineRunNode,
  type PipelineRunStatus,
} from './pipeline-run.js';

/**
 * The rules of a pipeline run, pure: given the nodes' states, which nodes start now, which are
 * skipped, the run's status and its progress. The orchestrator (app/pipelines/) applies them
 * after every change; nothing else decides them.
 */

export interface PipelinePlan {
  /** Nodes to submit now, in the definition's order (within the `concurrency` left). */
  start: string[];
  /** Nodes that will never run, with why. */
  skip: { name: string; reason: string }[];
}

/** A need counts as passed: it succeeded, or failed with `continueOnError`. */
function passed(node: PipelineNode, state: PipelineRunNode): boolean {
  return state.status === 'succeeded' || (state.status === 'failed' && node.continueOnError);
}

/**
 * Whether something before this node failed: a need failed (without `continueOnError`) or was
 * cancelled, or a need itself had a failure before it (GitHub's `failure()` looks at ancestors).
 */
function upstreamFailed(
  name: string,
  nodes: ReadonlyMap<string, PipelineNode>,
  states: ReadonlyMap<string, PipelineRunNode>,
  memo: Map<string, boolean>,
): boolean {
  const known = memo.get(name);
  if (known !== undefined) return known;
  memo.set(name, false); // the definition has no cycles; this only guards a bad one
  let failed = false;
  for (const need of nodes.get(name)?.needs ?? []) {
    const node = nodes.get(need);
    const state = states.get(need);
    if (node === undefined || state === undefined) continue;
    if ((state.status === 'failed' && !node.continueOnError) || state.status === 'cancelled') failed = true;
    else if (upstreamFailed(need, nodes, states, memo)) failed = true;
    if (failed) break;
  }
  memo.set(name, failed);
  return failed;
}

const ACTIVE: ReadonlySet<PipelineNodeStatus> = new Set(['queued', 'running', 'retrying']);

/** What to do next: the `waiting` nodes whose needs have all ended either start or are skipped. */
export function planPipeline(
  definition: PipelineDefinition,
  states: readonly PipelineRunNode[],
  options: { cancelRequested?: boolean } = {},
): PipelinePlan {
  const nodes = new Map(definition.nodes.map((node) => [node.name, node]));
  const byName = new Map(states.map((state) => [state.name, state]));
  const plan: PipelinePlan = { start: [], skip: [] };
  if (options.cancelRequested) return plan;
  let slots =
    (definition.concurrency ?? Number.POSITIVE_INFINITY) -
    states.filter((state) => ACTIVE.has(state.status)).length;
  const memo = new Map<string, boolean>();
  for (const node of definition.nodes) {
    const state = byName.get(node.name);
    if (state?.status !== 'waiting') continue;
    const needs = node.needs.map((need) => ({ node: nodes.get(need), state: byName.get(need) }));
    if (needs.some((need) => need.state === undefined || !isFinalNodeStatus(need.state.status))) continue;
    const failedBefore = upstreamFailed(node.name, nodes, byName, memo);
    const allPassed = needs.every((need) => need.node !== undefined && passed(need.node, need.state!));
    const runs = node.if === 'always' || (node.if === 'failure' ? failedBefore : allPassed && !failedBefore);
    if (!runs) {
      plan.skip.push({ name: node.name, reason: skipReason(node, needs) });
      continue;
    }
    if (slots <= 0) continue;
    slots--;
    plan.start.push(node.name);
  }
  return plan;
}

function skipReason(
  node: PipelineNode,
  needs: { node: PipelineNode | undefined; state: PipelineRunNode | undefined }[],
): string {
  if (node.if === 'failure') return 'nothing before it failed (if: failure)';
  const blocking = needs.filter((need) => need.node === undefined || !passed(need.node, need.state!));
  const names = blocking.map((need) => `${need.state?.name ?? '?'} ${need.state?.status ?? ''}`.trim());
  return names.length === 0 ? 'a node before it failed' : `needs ${names.join(', ')}`;
}

/**
 * The run's status from its nodes: `queued` until one starts, `running` while any is not final,
 * then `cancelled` (a cancel was asked for), `failed` (a node failed without `continueOnError`),
 * else `succeeded`.
 */
export function pipelineRunStatus(
  definition: PipelineDefinition,
  states: readonly PipelineRunNode[],
  cancelRequested: boolean,
): PipelineRunStatus {
  if (states.some((state) => !isFinalNodeStatus(state.status))) {
    return states.some((state) => state.status !== 'waiting' || state.attempt > 0) ? 'running' : 'queued';
  }
  if (cancelRequested) return 'cancelled';
  const continuing = new Set(
    definition.nodes.filter((node) => node.continueOnError).map((node) => node.name),
  );
  const failed = states.some((state) => state.status === 'failed' && !continuing.has(state.name));
  return failed ? 'failed' : 'succeeded';
}

/** Nodes that have ended (any final status) out of all. */
export function pipelineProgress(states: readonly PipelineRunNode[]): { done: number; total: number } {
  return {
    done: states.filter((state) => isFinalNodeStatus(state.status)).length,
    total: states.length,
  };
}

/**
 * The nodes a "re-run failed" runs again: those that did not succeed (failed, skipped, cancelled)
 * and every node after one of them. The others keep their state and outputs.
 */
export function nodesToRerun(definition: PipelineDefinition, previous: PipelineRun): Set<string> {
  const byName = new Map(previous.nodes.map((node) => [node.name, node]));
  const again = new Set<string>();
  // The definition's order is not necessarily topological: repeat until nothing changes.
  let changed = true;
  while (changed) {
    changed = false;
    for (const node of definition.nodes) {
      if (again.has(node.name)) continue;
      const state = byName.get(node.name);
      if (state?.status !== 'succeeded' || node.needs.some((need) => again.has(need))) {
        again.add(node.name);
        changed = true;
      }
    }
  }
  return again;
}
