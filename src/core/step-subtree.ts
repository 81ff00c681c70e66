import type { Step } from './model.js';

/**
 * The ids of the given steps and of every step nested under them (`parentId` chains), as a set.
 * "The log of step X" means X's own lines and those of the steps it contains, as a step's
 * duration does.
 */
export function stepSubtree(
  steps: readonly Pick<Step, 'id' | 'parentId'>[],
  roots: Iterable<number>,
): Set<number> {
  const children = new Map<number, number[]>();
  for (const step of steps) {
    if (step.parentId === null) continue;
    const siblings = children.get(step.parentId);
    if (siblings) siblings.push(step.id);
    else children.set(step.parentId, [step.id]);
  }
  const found = new Set<number>();
  const pending = [...roots];
  for (let id = pending.pop(); id !== undefined; id = pending.pop()) {
    if (found.has(id)) continue;
    found.add(id);
    pending.push(...(children.get(id) ?? []));
  }
  return found;
}
