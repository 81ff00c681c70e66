import { describe, expect, it } from 'vitest';
import type { JobChange, PendingRetry } from '../../web/src/api/types.js';
import {
  applyRetryChange,
  EMPTY_RETRY_OVERLAY,
  waitingRetries,
  type RetryOverlay,
} from '../../web/src/features/jobs/retry-overlay.js';

const JOB = 'job-1';
const saved: PendingRetry[] = [{ retryOfId: 'failed-a', attempt: 2, at: '2026-01-01T10:00:05.000Z' }];
const planned: JobChange = {
  change: 'retry.planned',
  jobId: JOB,
  executionId: 'failed-b',
  attempt: 3,
  at: '2026-01-01T10:00:02.000Z',
};

const apply = (changes: JobChange[], rest: PendingRetry[] = saved): PendingRetry[] =>
  waitingRetries(
    rest,
    changes.reduce<RetryOverlay>(
      (overlay, change) => applyRetryChange(overlay, change, rest),
      EMPTY_RETRY_OVERLAY,
    ),
  );

describe('the job page’s waiting retries (REST view plus the jobs topic)', () => {
  it('shows a retry planned live at once, with the saved ones, earliest first', () => {
    expect(apply([planned])).toEqual([
      { retryOfId: 'failed-b', attempt: 3, at: '2026-01-01T10:00:02.000Z' },
      saved[0],
    ]);
    // The refetch then lists it too: still once.
    expect(apply([planned], [...saved, { retryOfId: 'failed-b', attempt: 3, at: planned.at }])).toHaveLength(
      2,
    );
  });

  it('drops a retry when it starts or when its run ends without it, even before REST says so', () => {
    const started: JobChange = {
      change: 'retry.started',
      jobId: JOB,
      executionId: 'attempt-3',
      retryOfId: 'failed-b',
      attempt: 3,
    };
    expect(apply([planned, started])).toEqual(saved);
    const finished: JobChange = {
      change: 'job.run_finished',
      jobId: JOB,
      executionId: 'failed-a',
      status: 'failed',
      attempts: 1,
      recovered: false,
    };
    expect(apply([finished])).toEqual([]);
  });

  it('drops every waiting retry when the job is paused or deleted; a retry planned again after that shows', () => {
    for (const change of ['paused', 'deleted'] as const) {
      expect(apply([planned, { change, jobId: JOB }])).toEqual([]);
    }
    expect(apply([planned, { change: 'paused', jobId: JOB }, planned])).toEqual([
      { retryOfId: 'failed-b', attempt: 3, at: planned.at },
    ]);
    // Other changes leave them.
    expect(
      apply([planned, { change: 'updated', jobId: JOB }, { change: 'resumed', jobId: JOB }]),
    ).toHaveLength(2);
  });
});
