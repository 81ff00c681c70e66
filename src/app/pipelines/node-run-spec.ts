import path from 'node:path';
import type { RunSpec } from '../../core/model.js';
import type { PipelineDefinition, PipelineNode } from '../../core/pipelines/pipeline-definition.js';
import { needsEnv } from '../../core/pipelines/needs-env.js';
import { PIPELINE_NODE_TAG, PIPELINE_RUN_TAG } from '../../core/pipelines/pipeline-run.js';

/**
 * A node's execution: an ordinary run spec, tagged with its pipeline run and node, its env the
 * pipeline's, the node's, and the outputs of the nodes it needs (`STEPFLOW_NEEDS_<NODE>_<KEY>`).
 * `definition.cwd` is absolute (set when the run was created).
 */
export function nodeRunSpec(
  definition: PipelineDefinition,
  node: PipelineNode,
  runId: string,
  outputs: ReadonlyMap<string, Record<string, string>>,
): RunSpec {
  const base = definition.cwd ?? process.cwd();
  return {
    name: `${definition.name}/${node.name}`,
    ...(node.command !== undefined ? { command: node.command } : { argv: node.argv }),
    cwd: node.cwd === undefined ? base : path.resolve(base, node.cwd),
    env: { ...definition.env, ...node.env, ...needsEnv(node, outputs) },
    tags: { [PIPELINE_RUN_TAG]: runId, [PIPELINE_NODE_TAG]: node.name },
    ...(node.timeoutSeconds !== undefined ? { timeoutSeconds: node.timeoutSeconds } : {}),
    ...(node.runsOn.length > 0 ? { runsOn: node.runsOn } : {}),
  };
}
