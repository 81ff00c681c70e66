import { describe, expect, it } from 'vitest';
import type { Step } from '../../web/src/api/types.js';
import { failedStep } from '../../web/src/features/log/failure-focus.js';

const step = (id: number, status: Step['status'], fields: Partial<Step> = {}): Step => ({
  id,
  parentId: null,
  name: `s${id}`,
  status,
  startedAt: '2026-01-01T00:00:00.000Z',
  endedAt: null,
  durationMs: null,
  meta: {},
  implicit: false,
  source: 'stepflow',
  error: null,
  estimatedDurationSeconds: null,
  firstSeq: id * 10,
  hasSummary: false,
  ...fields,
});

describe('the step a failed run opens at', () => {
  it('is the innermost failed step, the earliest when several failed', () => {
    const steps = [
      step(1, 'succeeded'),
      step(2, 'failed'),
      step(3, 'failed', { parentId: 2 }),
      step(4, 'succeeded', { parentId: 3 }),
      step(5, 'failed'),
    ];
    expect(failedStep(steps)?.id).toBe(3);
  });

  it('is the last unfinished step of a run that timed out, and none when all succeeded', () => {
    expect(
      failedStep([step(1, 'succeeded'), step(2, 'cancelled'), step(3, 'cancelled', { parentId: 2 })])?.id,
    ).toBe(3);
    expect(failedStep([step(1, 'succeeded')])).toBeUndefined();
  });
});
