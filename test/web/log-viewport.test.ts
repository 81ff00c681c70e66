import { describe, expect, it } from 'vitest';
import { createViewport } from '../../web/src/features/log/log-viewport.js';

describe('log viewport', () => {
  it('maps scrollTop to rows one to one for short lists', () => {
    const viewport = createViewport(1000, 400, 20);
    expect(viewport.scrollHeight).toBe(20_000);
    expect(viewport.range(0, 0)).toEqual({ first: 0, last: 20 });
    expect(viewport.range(1000, 5)).toEqual({ first: 45, last: 75 });
    expect(viewport.range(19_600, 5)).toEqual({ first: 975, last: 999 });
    expect(viewport.scrollTopFor(500)).toBe(500);
  });

  it('scales a list taller than the cap so the first and last rows are both reachable', () => {
    const viewport = createViewport(1_000_000, 600, 20, 15_000_000);
    expect(viewport.scrollHeight).toBe(15_000_000);
    const bottom = viewport.scrollHeight - 600;
    expect(viewport.virtualTop(bottom)).toBe(20_000_000 - 600);
    expect(viewport.range(bottom, 0).last).toBe(999_999);
    expect(viewport.range(0, 0).first).toBe(0);
    // Half way down the scroll area is half way down the list.
    expect(viewport.range(bottom / 2, 0).first).toBe(Math.floor((20_000_000 - 600) / 2 / 20));
    expect(viewport.virtualTop(viewport.scrollTopFor(12_345_670))).toBeCloseTo(12_345_670, 3);
  });

  it('handles an empty list', () => {
    const viewport = createViewport(0, 500);
    expect(viewport.scrollHeight).toBe(0);
    expect(viewport.range(0, 10)).toEqual({ first: 0, last: -1 });
  });
});
