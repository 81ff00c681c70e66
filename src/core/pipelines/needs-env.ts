import type { PipelineNode } from './pipeline-definition.js';

/** `STEPFLOW_NEEDS_<NODE>_<KEY>`: upper-cased, every character outside `[A-Z0-9_]` becomes `_`. */
function needsVariable(node: string, key: string): string {
  return `STEPFLOW_NEEDS_${envPart(node)}_${envPart(key)}`;
}

/** A node's name or an output's key as it appears in a variable name. */
export function envPart(text: string): string {
  return text.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

/** The variables a node gets from the outputs of the nodes it needs (directly). */
export function needsEnv(
  node: Pick<PipelineNode, 'needs'>,
  outputs: ReadonlyMap<string, Record<string, string>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const need of node.needs) {
    for (const [key, value] of Object.entries(outputs.get(need) ?? {})) env[needsVariable(need, key)] = value;
  }
  return env;
}
