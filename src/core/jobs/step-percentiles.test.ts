import { describe, expect, it } from 'vitest';
import {
  P95_MIN_LATE_MS,
  P95_MIN_SAMPLES,
  nearestRankPercentile,
  stepLateThresholds,
  type StepDurationSample,
} from './step-percentiles.js';

const samples = (name: string, durations: number[]): StepDurationSample[] =>
  durations.map((durationMs) => ({ name, durationMs }));

describe('nearest-rank percentile', () => {
  it('is the value of rank ceil(p/100 × n), whatever the input order', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1
    expect(nearestRankPercentile(hundred, 95)).toBe(95);
    expect(nearestRankPercentile(hundred, 50)).toBe(50);
    // 20 values: rank ceil(19) = 19, the second largest.
    const twenty = Array.from({ length: 20 }, (_, i) => (i + 1) * 10);
    expect(nearestRankPercentile(twenty, 95)).toBe(190);
    // 21 values: rank ceil(19.95) = 20.
    expect(nearestRankPercentile([...twenty, 5], 95)).toBe(190);
    expect(nearestRankPercentile([...twenty, 500], 95)).toBe(200);
  });

  it('with few values is the largest; never interpolates; empty has none', () => {
    expect(nearestRankPercentile([300, 310, 290], 95)).toBe(310);
    expect(nearestRankPercentile([7], 95)).toBe(7);
    expect(nearestRankPercentile([1, 2], 50)).toBe(1);
    expect(nearestRankPercentile([1, 2, 3, 4], 0)).toBe(1);
    expect(nearestRankPercentile([1, 2, 3, 4], 100)).toBe(4);
    expect(nearestRankPercentile([], 95)).toBeUndefined();
  });
});

describe('step late thresholds', () => {
  it('gives each step name with enough samples its p95, at least the floor', () => {
    const thresholds = stepLateThresholds([
      ...samples('Build', [4000, 5000, 4500, 4200]),
      ...samples('Lint', [20, 30, 25]),
      ...samples('Deploy', [9000, 9500]),
    ]);
    expect(Object.fromEntries(thresholds)).toEqual({
      Build: { p95Ms: 5000, samples: 4, lateAfterMs: 5000 },
      // A 30 ms step is not called late at 31 ms: the floor applies.
      Lint: { p95Ms: 30, samples: 3, lateAfterMs: P95_MIN_LATE_MS },
    });
    expect(P95_MIN_SAMPLES).toBe(3);
  });

  it('counts every occurrence of a repeated step; skips durations that make no sense', () => {
    const thresholds = stepLateThresholds([
      ...samples('Fetch', [1200, 1100]),
      ...samples('Fetch', [Number.NaN, -5, 1300]),
    ]);
    expect(thresholds.get('Fetch')).toEqual({ p95Ms: 1300, samples: 3, lateAfterMs: 1300 });
  });

  it('takes its minimums as options', () => {
    const thresholds = stepLateThresholds(samples('Quick', [300, 320]), { minSamples: 2, minLateMs: 0 });
    expect(thresholds.get('Quick')).toEqual({ p95Ms: 320, samples: 2, lateAfterMs: 320 });
    expect(stepLateThresholds([]).size).toBe(0);
  });
});
