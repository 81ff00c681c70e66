import type { PipelineDefinition } from './pipeline-definition.js';

/** What the cycle check needs of a node: its name and the names it needs, each a known node. */
interface GraphNode {
  name: string;
  needs: readonly string[];
}

/**
 * Each node's dependency level: 0 for a node that needs nothing, else one more than the highest
 * level among what it needs. The graph lays nodes out in columns by level; the count of distinct
 * levels is the longest chain. In the definition's node order (a `Map` keeps it). The definition is
 * a validated one: every `needs` names a node and there is no cycle.
 */
export function dependencyLevels(definition: Pick<PipelineDefinition, 'nodes'>): Map<string, number> {
  const levels = new Map<string, number>(definition.nodes.map((node) => [node.name, 0]));
  // Kahn's algorithm, so a 500-node chain needs no deep recursion.
  const waiting = new Map(definition.nodes.map((node) => [node.name, new Set(node.needs).size]));
  const dependants = new Map<string, string[]>();
  for (const node of definition.nodes) {
    for (const need of new Set(node.needs))
      dependants.set(need, [...(dependants.get(need) ?? []), node.name]);
  }
  const ready = definition.nodes.filter((node) => waiting.get(node.name) === 0).map((node) => node.name);
  for (let index = 0; index < ready.length; index++) {
    const name = ready[index] ?? '';
    const level = levels.get(name) ?? 0;
    for (const dependant of dependants.get(name) ?? []) {
      levels.set(dependant, Math.max(levels.get(dependant) ?? 0, level + 1));
      const left = (waiting.get(dependant) ?? 0) - 1;
      waiting.set(dependant, left);
      if (left === 0) ready.push(dependant);
    }
  }
  return levels;
}

/**
 * The cycles among `nodes`, each as the path that closes it (`[a, b, c, a]`: a needs b, b needs c,
 * c needs a), with the index in its last-but-one node's `needs` of the entry that closes it. One
 * cycle per back edge of a depth-first walk in file order, so every node on a cycle is named by at
 * least one, up to `limit` (a file where every node needs every other has thousands). Self-needs
 * are the caller's to report; they are skipped here.
 */
export function findCycles(
  nodes: readonly GraphNode[],
  { limit = Infinity }: { limit?: number } = {},
): { path: string[]; needIndex: number }[] {
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const state = new Map<string, 'open' | 'done'>();
  const cycles: { path: string[]; needIndex: number }[] = [];
  for (const root of nodes) {
    if (cycles.length >= limit) break;
    if (state.has(root.name)) continue;
    // An explicit stack of (node, next need to look at): no recursion depth limit.
    const stack: { node: GraphNode; next: number }[] = [{ node: root, next: 0 }];
    state.set(root.name, 'open');
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top === undefined) break;
      const needIndex = top.next++;
      if (needIndex >= top.node.needs.length) {
        state.set(top.node.name, 'done');
        stack.pop();
        continue;
      }
      const need = top.node.needs[needIndex] ?? '';
      const target = byName.get(need);
      if (target === undefined || need === top.node.name) continue;
      const seen = state.get(need);
      if (seen === 'open') {
        const from = stack.findIndex((entry) => entry.node.name === need);
        cycles.push({ path: [...stack.slice(from).map((entry) => entry.node.name), need], needIndex });
        if (cycles.length >= limit) break;
      } else if (seen === undefined) {
        state.set(need, 'open');
        stack.push({ node: target, next: 0 });
      }
    }
  }
  return cycles;
}
