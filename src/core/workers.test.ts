import { describe, expect, it } from 'vitest';
import { waitingReason } from './workers.js';

describe('waitingReason', () => {
  const live = [{ labels: ['linux'] }];

  it('names the missing labels first: no limit frees a run that no worker can take', () => {
    expect(waitingReason(['gpu'], live, { running: 5, maxRunning: 2 })).toBe('no live worker has label gpu');
  });

  it('names the cluster-wide limit while the cluster runs that many already', () => {
    expect(waitingReason([], live, { running: 2, maxRunning: 2 })).toBe(
      'the cluster runs MAX_CONCURRENT_TASKS = 2 runs already',
    );
    expect(waitingReason(['linux'], live, { running: 1, maxRunning: 1 })).toBe(
      'the cluster runs MAX_CONCURRENT_TASKS = 1 run already',
    );
    // Below the limit, or with none: ordinary queueing for a free slot.
    expect(waitingReason([], live, { running: 1, maxRunning: 2 })).toBeUndefined();
    expect(waitingReason([], live)).toBeUndefined();
  });
});
