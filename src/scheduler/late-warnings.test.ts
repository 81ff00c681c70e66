import { describe, expect, it } from 'vitest';
import type { ExecutionEvent } from '../core/events.js';
import type { Job, RunningLate } from '../core/jobs/job.js';
import { stepLateThresholds, type StepDurationSample } from '../core/jobs/step-percentiles.js';
import { validateJob } from '../core/jobs/validate-job.js';
import type { Step } from '../core/model.js';
import type { Clock } from './clock.js';
import { createLateWarnings } from './late-warnings.js';

/** Fake time for the arithmetic: timers fire, in order, as `advance` passes them. */
function fakeClock(): Clock & { advance(ms: number): void; pending(): number } {
  let now = 0;
  let nextId = 1;
  const timers = new Map<number, { at: number; callback: () => void }>();
  return {
    now: () => now,
    setTimer(callback, delayMs) {
      timers.set(nextId, { at: now + delayMs, callback });
      return nextId++;
    },
    clearTimer(handle) {
      timers.delete(handle as number);
    },
    advance(ms) {
      const target = now + ms;
      for (;;) {
        const due = [...timers].filter(([, t]) => t.at <= target).sort((a, b) => a[1].at - b[1].at)[0];
        if (due === undefined) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].callback();
      }
      now = target;
    },
    pending: () => timers.size,
  };
}

function jobWith(lateAfterSeconds: number | null): Job {
  const definition = validateJob(
    { name: 'nightly', triggers: [], lateAfterSeconds, lateByP95: true },
    { command: 'true', argv: null, cwd: '/', env: {}, tags: {}, timeoutSeconds: null },
  );
  const at = '2030-01-01T00:00:00.000Z';
  return { ...definition, id: 'job-1', triggers: [], createdAt: at, updatedAt: at };
}

const durations = (name: string, ms: number[]): StepDurationSample[] =>
  ms.map((durationMs) => ({ name, durationMs }));

/** Build usually takes ≤ 2 s, Test ≤ 5 s; Deploy has too little history to be watched. */
const thresholds = stepLateThresholds([
  ...durations('Build', [1800, 2000, 1900]),
  ...durations('Test', [4000, 5000, 4500, 4200]),
  ...durations('Deploy', [9000, 9500]),
]);

function stepEvent(
  type: 'step.started' | 'step.finished',
  executionId: string,
  id: number,
  name: string,
): ExecutionEvent {
  const step: Step = {
    id,
    parentId: null,
    name,
    status: type === 'step.started' ? 'running' : 'succeeded',
    startedAt: '2030-01-01T00:00:00.000Z',
    endedAt: null,
    durationMs: null,
    meta: {},
    implicit: false,
    source: 'stepflow',
    error: null,
    estimatedDurationSeconds: null,
    firstSeq: 0,
    hasSummary: false,
  };
  return { type, executionId, step };
}

function setup() {
  const clock = fakeClock();
  const warnings: { executionId: string; late: RunningLate }[] = [];
  const late = createLateWarnings({
    clock,
    onLate: (_job, executionId, warning) => warnings.push({ executionId, late: warning }),
  });
  return { clock, warnings, late };
}

describe('running-late warnings (fake time)', () => {
  it('arms a timer per running step; the first step past its p95 warns once, naming the step and the p95', () => {
    const { clock, warnings, late } = setup();
    late.watch(jobWith(null), 'exec-1', thresholds);

    late.handle(stepEvent('step.started', 'exec-1', 1, 'Build'));
    expect(clock.pending()).toBe(1);
    clock.advance(1500);
    late.handle(stepEvent('step.finished', 'exec-1', 1, 'Build'));
    expect(clock.pending()).toBe(0);

    late.handle(stepEvent('step.started', 'exec-1', 2, 'Test'));
    clock.advance(4999);
    expect(warnings).toEqual([]);
    clock.advance(1);
    expect(warnings).toEqual([
      {
        executionId: 'exec-1',
        late: { reason: 'step-p95', step: { id: 2, name: 'Test' }, p95Ms: 5000, samples: 4, elapsedMs: 5000 },
      },
    ]);

    // Once per attempt: later steps of the same execution are not watched any more.
    late.handle(stepEvent('step.started', 'exec-1', 3, 'Build'));
    clock.advance(60_000);
    expect(warnings).toHaveLength(1);
    expect(clock.pending()).toBe(0);
  });

  it('watches only steps with enough history, of watched executions; their end clears the timers', () => {
    const { clock, warnings, late } = setup();
    late.watch(jobWith(null), 'exec-1', thresholds);
    late.handle(stepEvent('step.started', 'exec-1', 1, 'Deploy'));
    late.handle(stepEvent('step.started', 'exec-2', 1, 'Build'));
    expect(clock.pending()).toBe(0);

    late.handle(stepEvent('step.started', 'exec-1', 2, 'Build'));
    late.handle(stepEvent('step.started', 'exec-1', 3, 'Test'));
    expect(clock.pending()).toBe(2);
    late.ended('exec-1');
    expect(clock.pending()).toBe(0);
    clock.advance(60_000);
    expect(warnings).toEqual([]);
  });

  it('an execution that finishes stops its watch; a job without thresholds arms nothing', () => {
    const { clock, warnings, late } = setup();
    late.watch(jobWith(null), 'exec-1', thresholds);
    late.handle(stepEvent('step.started', 'exec-1', 1, 'Build'));
    late.handle({ type: 'execution.finished', executionId: 'exec-1', execution: {} as never });
    expect(clock.pending()).toBe(0);

    late.watch(jobWith(null), 'exec-2', new Map());
    late.handle(stepEvent('step.started', 'exec-2', 1, 'Build'));
    clock.advance(60_000);
    expect(warnings).toEqual([]);
  });

  it('the fixed threshold and the percentile share one warning per attempt, whichever passes first', () => {
    const { clock, warnings, late } = setup();
    const job = jobWith(3);
    late.watch(job, 'exec-1', thresholds);
    late.handle(stepEvent('step.started', 'exec-1', 1, 'Build'));
    clock.advance(2000);
    expect(warnings.map((w) => [w.executionId, w.late.reason])).toEqual([['exec-1', 'step-p95']]);
    clock.advance(5000);
    expect(warnings).toHaveLength(1);

    // The next attempt: its steps stay under their p95, the fixed threshold passes.
    late.watch(job, 'exec-2', thresholds);
    late.handle(stepEvent('step.started', 'exec-2', 1, 'Test'));
    clock.advance(3000);
    expect(warnings[1]).toEqual({
      executionId: 'exec-2',
      late: { reason: 'threshold', lateAfterSeconds: 3 },
    });
    expect(clock.pending()).toBe(0);

    // An attempt that ends first never warns.
    late.watch(job, 'exec-3', thresholds);
    clock.advance(2999);
    late.ended('exec-3');
    clock.advance(60_000);
    expect(warnings).toHaveLength(2);
  });
});
