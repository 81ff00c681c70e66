import { describe, expect, it } from 'vitest';
import { stepLateThresholds } from './jobs/step-percentiles.js';
import { lateAtMs, runningLate, type LateRun } from './running-late.js';
import { executionEstimatedSeconds, parseEstimatedSeconds } from './estimated-duration.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const run = (overrides: Partial<LateRun> = {}): LateRun => ({
  status: 'running',
  createdAt: new Date(T0).toISOString(),
  lateAfterSeconds: 60,
  ...overrides,
});

describe('runningLate: the fixed threshold', () => {
  it('is late from createdAt + lateAfterSeconds on, not a millisecond before', () => {
    expect(lateAtMs(run())).toBe(T0 + 60_000);
    expect(runningLate(run(), T0 + 59_999)).toBeNull();
    expect(runningLate(run(), T0 + 60_000)).toEqual({ reason: 'threshold', lateAfterSeconds: 60 });
  });

  it('counts a queued run too (waiting is being late), but never an ended one', () => {
    expect(runningLate(run({ status: 'queued' }), T0 + 61_000)).not.toBeNull();
    for (const status of ['succeeded', 'failed', 'cancelled', 'timed_out', 'interrupted'] as const) {
      expect(runningLate(run({ status }), T0 + 3_600_000)).toBeNull();
    }
  });

  it('never calls a run without a threshold late', () => {
    expect(lateAtMs(run({ lateAfterSeconds: null }))).toBeNull();
    expect(runningLate(run({ lateAfterSeconds: null }), T0 + 1e9)).toBeNull();
    expect(lateAtMs(run({ createdAt: 'yesterday' }))).toBeNull();
  });
});

describe('runningLate: by step percentile', () => {
  // p95 of [1000, 2000, 3000] is 3000 ms.
  const thresholds = stepLateThresholds(
    [1000, 2000, 3000].map((durationMs) => ({ name: 'build', durationMs })),
  );
  const building = (startMs: number) => [
    { id: 2, name: 'build', status: 'running' as const, startedAt: new Date(startMs).toISOString() },
  ];

  it('calls a run late when a running step passes its threshold', () => {
    const noFixed = run({ lateAfterSeconds: null });
    expect(runningLate(noFixed, T0 + 2_999, { steps: building(T0), thresholds })).toBeNull();
    expect(runningLate(noFixed, T0 + 3_500, { steps: building(T0), thresholds })).toEqual({
      reason: 'step-p95',
      step: { id: 2, name: 'build' },
      p95Ms: 3000,
      samples: 3,
      elapsedMs: 3_500,
    });
  });

  it('ignores ended steps and steps without a threshold, and prefers the fixed threshold', () => {
    const ended = [
      { id: 1, name: 'build', status: 'succeeded' as const, startedAt: new Date(T0).toISOString() },
    ];
    const other = [
      { id: 1, name: 'test', status: 'running' as const, startedAt: new Date(T0).toISOString() },
    ];
    expect(
      runningLate(run({ lateAfterSeconds: null }), T0 + 10_000, { steps: ended, thresholds }),
    ).toBeNull();
    expect(
      runningLate(run({ lateAfterSeconds: null }), T0 + 10_000, { steps: other, thresholds }),
    ).toBeNull();
    expect(runningLate(run(), T0 + 60_000, { steps: building(T0), thresholds })?.reason).toBe('threshold');
  });
});

describe('estimated duration', () => {
  it('takes a plain positive number of seconds, and nothing else', () => {
    expect(['300', '1.5', '0.25'].map(parseEstimatedSeconds)).toEqual([300, 1.5, 0.25]);
    expect(['soon', '-5', '0', '1e3', '', ' 5', 'Infinity'].map(parseEstimatedSeconds)).toEqual(
      new Array(7).fill(null),
    );
  });

  it("reads the run's estimate from its execution-level meta", () => {
    expect(executionEstimatedSeconds({ ESTIMATED_DURATION: '120' })).toBe(120);
    expect(executionEstimatedSeconds({ ESTIMATED_DURATION: 'later' })).toBeNull();
    expect(executionEstimatedSeconds({ estimated_duration: '120' })).toBeNull();
    expect(
      executionEstimatedSeconds(Object.create({ ESTIMATED_DURATION: '5' }) as Record<string, string>),
    ).toBeNull();
  });
});
