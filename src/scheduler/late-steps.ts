import type { ExecutionEvent } from '../core/events.js';
import type { StepLateThreshold } from '../core/jobs/step-percentiles.js';
import type { Clock } from './clock.js';

/** A step of a watched execution that ran past its threshold. */
export interface LateStep {
  executionId: string;
  step: { id: number; name: string };
  threshold: StepLateThreshold;
  elapsedMs: number;
}

interface Watched {
  thresholds: ReadonlyMap<string, StepLateThreshold>;
  /** One timer per running step with a threshold, by step id. */
  timers: Map<number, unknown>;
}

/**
 * Watches the steps of executions whose job runs late by percentile: one timer per running step
 * that has a threshold, armed on `step.started`, cleared when the step ends. The first step to
 * pass its threshold reports the execution late; it is then no longer watched (one warning each).
 *
 * Elapsed time is counted on the scheduler's clock from the moment the bus delivered the start:
 * the step's own `startedAt` comes from the engine's clock, which a test may not share.
 */
export function createLateStepWatch(clock: Clock, onLate: (late: LateStep) => void) {
  const watched = new Map<string, Watched>();

  const unwatch = (executionId: string): void => {
    const entry = watched.get(executionId);
    if (entry === undefined) return;
    for (const timer of entry.timers.values()) clock.clearTimer(timer);
    watched.delete(executionId);
  };

  const stepEnded = (executionId: string, stepId: number): void => {
    const entry = watched.get(executionId);
    const timer = entry?.timers.get(stepId);
    if (entry === undefined || timer === undefined) return;
    clock.clearTimer(timer);
    entry.timers.delete(stepId);
  };

  const stepStarted = (executionId: string, step: { id: number; name: string }): void => {
    const entry = watched.get(executionId);
    const threshold = entry?.thresholds.get(step.name);
    if (entry === undefined || threshold === undefined || entry.timers.has(step.id)) return;
    const seenAt = clock.now();
    const timer = clock.setTimer(() => {
      if (watched.get(executionId) !== entry) return;
      unwatch(executionId);
      onLate({ executionId, step, threshold, elapsedMs: clock.now() - seenAt });
    }, threshold.lateAfterMs);
    entry.timers.set(step.id, timer);
  };

  return {
    /**
     * Starts watching an execution. Call it before its process can print anything (right after
     * the engine accepted it): a step that started earlier would go unwatched.
     */
    watch(executionId: string, thresholds: ReadonlyMap<string, StepLateThreshold>): void {
      if (thresholds.size > 0) watched.set(executionId, { thresholds, timers: new Map() });
    },
    unwatch,
    /** An event bus listener: cheap for the events it does not care about (log lines). */
    handle(event: ExecutionEvent): void {
      switch (event.type) {
        case 'step.started':
          if (event.step.status === 'running') {
            stepStarted(event.executionId, { id: event.step.id, name: event.step.name });
          }
          return;
        case 'step.updated':
          if (event.step.status !== 'running') stepEnded(event.executionId, event.step.id);
          return;
        case 'step.finished':
          stepEnded(event.executionId, event.step.id);
          return;
        case 'execution.finished':
          unwatch(event.executionId);
          return;
        default:
          return;
      }
    },
    stop(): void {
      for (const executionId of [...watched.keys()]) unwatch(executionId);
    },
  };
}
