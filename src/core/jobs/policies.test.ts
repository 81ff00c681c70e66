import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, type RetryPolicy } from './job.js';
import { planMissedFires } from './missed-fires.js';
import { decideOverlap } from './overlap.js';
import { retryDelayMs, shouldRetry } from './retry.js';

describe('retry policy', () => {
  const policy: RetryPolicy = {
    ...DEFAULT_RETRY,
    maxAttempts: 6,
    delaySeconds: 2,
    backoffFactor: 3,
    maxDelaySeconds: 30,
  };

  it('backs off exponentially from the base delay up to the cap', () => {
    expect([1, 2, 3, 4, 5].map((attempt) => retryDelayMs(policy, attempt))).toEqual([
      2000, 6000, 18000, 30000, 30000,
    ]);
    expect(retryDelayMs({ ...policy, backoffFactor: 1 }, 4)).toBe(2000);
  });

  it('retries failures and timeouts until maxAttempts, never cancelled or interrupted runs', () => {
    expect(shouldRetry(policy, 1, { status: 'failed', exitCode: 1 })).toBe(true);
    expect(shouldRetry(policy, 5, { status: 'timed_out', exitCode: null })).toBe(true);
    expect(shouldRetry(policy, 6, { status: 'failed', exitCode: 1 })).toBe(false);
    expect(shouldRetry(policy, 1, { status: 'succeeded', exitCode: 0 })).toBe(false);
    expect(shouldRetry(policy, 1, { status: 'cancelled', exitCode: null })).toBe(false);
    expect(shouldRetry(policy, 1, { status: 'interrupted', exitCode: null })).toBe(false);
  });

  it('with onExitCodes, retries only those exit codes', () => {
    const only75 = { ...policy, onExitCodes: [75] };
    expect(shouldRetry(only75, 1, { status: 'failed', exitCode: 75 })).toBe(true);
    expect(shouldRetry(only75, 1, { status: 'failed', exitCode: 1 })).toBe(false);
    expect(shouldRetry(only75, 1, { status: 'timed_out', exitCode: null })).toBe(false);
  });
});

describe('overlap decision', () => {
  it('starts below the limit whatever the policy', () => {
    for (const policy of ['skip', 'queue', 'parallel', 'cancel-previous'] as const) {
      expect(decideOverlap(policy, 0, null)).toBe('start');
      expect(decideOverlap(policy, 2, 3)).toBe('start');
    }
  });

  it('at the limit (1 by default) the policy decides; parallel has no default limit', () => {
    expect(decideOverlap('skip', 1, null)).toBe('skip');
    expect(decideOverlap('queue', 1, null)).toBe('queue');
    expect(decideOverlap('cancel-previous', 1, null)).toBe('cancel-previous');
    expect(decideOverlap('parallel', 100, null)).toBe('start');
    expect(decideOverlap('parallel', 3, 3)).toBe('queue');
    expect(decideOverlap('skip', 3, 3)).toBe('skip');
  });
});

describe('missed fires', () => {
  it('skip records every missed time; run-once runs the latest and records the others', () => {
    expect(planMissedFires('skip', [1, 2, 3])).toEqual({ missed: [1, 2, 3], runLate: null });
    expect(planMissedFires('run-once', [1, 2, 3])).toEqual({ missed: [1, 2], runLate: 3 });
    expect(planMissedFires('run-once', [])).toEqual({ missed: [], runLate: null });
  });
});
