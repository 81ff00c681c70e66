import { describe, expect, it } from 'vitest';
import { stepSubtree } from './step-subtree.js';

const step = (id: number, parentId: number | null) => ({ id, parentId });

describe('stepSubtree', () => {
  const steps = [step(1, null), step(2, 1), step(3, 2), step(4, null), step(5, 1), step(6, 4)];

  it('holds the step, its children and their children, not its siblings', () => {
    expect([...stepSubtree(steps, [1])].sort()).toEqual([1, 2, 3, 5]);
    expect([...stepSubtree(steps, [2])].sort()).toEqual([2, 3]);
    expect([...stepSubtree(steps, [3])]).toEqual([3]);
  });

  it('joins several roots (a name used twice) and survives a cycle in damaged data', () => {
    expect([...stepSubtree(steps, [2, 4])].sort()).toEqual([2, 3, 4, 6]);
    expect([...stepSubtree([step(1, 2), step(2, 1)], [1])].sort()).toEqual([1, 2]);
  });
});
