import type { Step } from '../../api/types.js';

export interface StepRow {
  step: Step;
  /** 0 for top-level steps, +1 per parent. */
  depth: number;
}

/**
 * Steps in display order: each parent followed by its children (depth first), siblings in start
 * order (ids grow as steps start). A step whose parent is unknown yet is shown at the top level.
 */
export function orderSteps(steps: readonly Step[]): StepRow[] {
  const ids = new Set(steps.map((step) => step.id));
  const children = new Map<number | null, Step[]>();
  for (const step of [...steps].sort((a, b) => a.id - b.id)) {
    const parent = step.parentId !== null && ids.has(step.parentId) ? step.parentId : null;
    const list = children.get(parent);
    if (list) list.push(step);
    else children.set(parent, [step]);
  }
  const rows: StepRow[] = [];
  // Iterative, so a pathological nesting depth cannot overflow the stack.
  const stack: StepRow[] = (children.get(null) ?? []).map((step) => ({ step, depth: 0 })).reverse();
  for (let row = stack.pop(); row; row = stack.pop()) {
    rows.push(row);
    const depth = row.depth + 1;
    const kids = children.get(row.step.id) ?? [];
    for (let i = kids.length - 1; i >= 0; i--) stack.push({ step: kids[i] as Step, depth });
  }
  return rows;
}

/**
 * The step to blame for a failed run, by the log viewer's rule (so both point at the same one):
 * the earliest failed step with no failed step inside it (its parents fail with it); for a run
 * that timed out or was interrupted mid-step, the last step that did not finish.
 */
export function failedStep(steps: readonly Step[]): Step | undefined {
  const failed = steps.filter((step) => step.status === 'failed');
  const innermost = failed.filter((step) => !failed.some((other) => other.parentId === step.id));
  const first = innermost.sort((a, b) => a.firstSeq - b.firstSeq)[0];
  if (first) return first;
  return steps
    .filter((step) => step.status === 'cancelled' || step.status === 'running')
    .sort((a, b) => b.firstSeq - a.firstSeq)[0];
}
