import { isStepflowError } from '../core/errors.js';
import type { FireRecord, Job, WebhookEvent } from '../core/jobs/job.js';
import { decideOverlap } from '../core/jobs/overlap.js';
import { retryDelayMs, shouldRetry } from '../core/jobs/retry.js';
import type { Execution, RunSpec } from '../core/model.js';
import type { Engine } from '../engine/engine.js';
import type { Notifier } from '../notify/notifier.js';
import type { JobStore } from '../store/job-store.js';
import type { Clock } from './clock.js';
import type { SchedulerEvent } from './scheduler-events.js';

/** One run of a job: the first attempt and its retries, started by one fire (or a manual run). */
interface Run {
  fire: FireRecord;
  attempt: number;
  /** The attempt in the engine now; null while waiting for a retry. */
  executionId: string | null;
  retryTimer: unknown;
  lateTimer: unknown;
  /** Stopped on purpose (cancel-previous, pause): no retry. */
  cancelled: boolean;
}

interface JobState {
  runs: Run[];
  /** Fires waiting for a run to end (overlap `queue`/`parallel` at the limit, `cancel-previous`). */
  waiting: FireRecord[];
}

export interface JobRunsDeps {
  jobs: JobStore;
  engine: Pick<Engine, 'submit' | 'cancel'>;
  notifier: Pick<Notifier, 'notify'>;
  clock: Clock;
  emit: (event: SchedulerEvent) => void;
  onError: (error: unknown) => void;
  /** The job as it is now (definitions change while runs go on), or undefined once deleted. */
  currentJob: (jobId: string) => Job | undefined;
}

/** Per-job waiting lines beyond this are recorded as skipped instead of growing without end. */
const MAX_WAITING_PER_JOB = 100;

/**
 * The runs of every job: overlap decisions, the per-job limit, retries with backoff, the
 * running-late warning and notifications. Runs go through the engine, so the global
 * MAX_CONCURRENT_TASKS queue applies to them like to any execution.
 */
export function createJobRuns(deps: JobRunsDeps) {
  const { jobs, engine, clock, emit, onError } = deps;
  const states = new Map<string, JobState>();
  /** The last final outcome per job, for `recovery` notifications. */
  const lastOutcome = new Map<string, 'success' | 'failure'>();
  let stopped = false;

  const stateOf = (jobId: string): JobState => {
    let state = states.get(jobId);
    if (state === undefined) states.set(jobId, (state = { runs: [], waiting: [] }));
    return state;
  };

  /** Applies the overlap policy to a recorded fire. */
  const fire = async (job: Job, record: FireRecord): Promise<void> => {
    const state = stateOf(job.id);
    const decision = decideOverlap(job.overlap, state.runs.length, job.maxConcurrentRuns);
    if (decision === 'start') {
      await start(job, record);
      return;
    }
    if (decision === 'skip') {
      return skip(record, `the previous run is still going (overlap: skip)`);
    }
    if (state.waiting.length >= MAX_WAITING_PER_JOB) {
      return skip(record, `${MAX_WAITING_PER_JOB} fires are already waiting for this job`);
    }
    if (decision === 'cancel-previous') {
      const oldest = state.runs.find((run) => !run.cancelled);
      if (oldest) stopRun(oldest);
    }
    state.waiting.push(record);
    await jobs.updateFire(record.id, {
      outcome: 'queued',
      reason: `waiting for a run to end (overlap: ${job.overlap})`,
    });
    emit({ type: 'job.queued', jobId: job.id, fireTime: record.fireTime });
  };

  const skip = async (record: FireRecord, reason: string): Promise<void> => {
    await jobs.updateFire(record.id, { outcome: 'skipped', reason });
    emit({ type: 'job.skipped', jobId: record.jobId, fireTime: record.fireTime, reason });
  };

  /** Starts a run's first attempt, whatever the overlap (manual runs come here directly). */
  const start = async (job: Job, record: FireRecord): Promise<Execution | undefined> => {
    const run: Run = {
      fire: record,
      attempt: 1,
      executionId: null,
      retryTimer: undefined,
      lateTimer: undefined,
      cancelled: false,
    };
    stateOf(job.id).runs.push(run);
    return submitAttempt(job, run, null);
  };

  const submitAttempt = async (
    job: Job,
    run: Run,
    retryOfId: string | null,
  ): Promise<Execution | undefined> => {
    let submitted;
    try {
      submitted = await engine.submit(specOf(job), {
        jobId: job.id,
        attempt: run.attempt,
        retryOfId,
        scheduledAt: run.fire.triggerId === null ? null : run.fire.fireTime,
      });
    } catch (error) {
      // The engine refuses only while shutting down: the fire is not lost silently, it says why.
      removeRun(job.id, run);
      if (run.attempt === 1) {
        await skip(run.fire, isStepflowError(error) ? error.message : String(error));
      }
      if (!isStepflowError(error)) onError(error);
      return undefined;
    }
    const { execution, done } = submitted;
    run.executionId = execution.id;
    if (run.attempt === 1) {
      await jobs.updateFire(run.fire.id, { outcome: 'started', executionId: execution.id });
      emit({ type: 'job.fired', jobId: job.id, fireTime: run.fire.fireTime, executionId: execution.id });
    }
    if (job.lateAfterSeconds !== null) {
      const lateAfterSeconds = job.lateAfterSeconds;
      // Counted from the submission: a run stuck in the global queue is late too.
      run.lateTimer = clock.setTimer(() => {
        if (stopped || run.executionId !== execution.id) return;
        emit({ type: 'job.running_late', jobId: job.id, executionId: execution.id, lateAfterSeconds });
        deps.notifier.notify(deps.currentJob(job.id) ?? job, 'running-late', execution.id);
      }, lateAfterSeconds * 1000);
    }
    void done.then(
      (final) => attemptEnded(job.id, run, final),
      (error: unknown) => onError(error),
    );
    return execution;
  };

  const attemptEnded = (jobId: string, run: Run, final: Execution): void => {
    clock.clearTimer(run.lateTimer);
    run.executionId = null;
    if (stopped) return;
    const job = deps.currentJob(jobId);
    if (job && !run.cancelled && job.enabled && shouldRetry(job.retry, run.attempt, final)) {
      const delayMs = retryDelayMs(job.retry, run.attempt);
      emit({ type: 'job.retry_scheduled', jobId, executionId: final.id, attempt: run.attempt + 1, delayMs });
      run.retryTimer = clock.setTimer(() => {
        run.retryTimer = undefined;
        if (stopped || run.cancelled) return finishRun(jobId, run, final);
        run.attempt++;
        const current = deps.currentJob(jobId);
        if (current === undefined) return finishRun(jobId, run, final);
        void submitAttempt(current, run, final.id).catch(onError);
      }, delayMs);
      return;
    }
    finishRun(jobId, run, final);
  };

  const finishRun = (jobId: string, run: Run, final: Execution): void => {
    removeRun(jobId, run);
    emit({
      type: 'job.run_finished',
      jobId,
      executionId: final.id,
      status: final.status,
      attempts: run.attempt,
    });
    const job = deps.currentJob(jobId);
    if (job) {
      for (const event of outcomeEvents(jobId, final)) deps.notifier.notify(job, event, final.id);
    }
    void drain(jobId).catch(onError);
  };

  const outcomeEvents = (jobId: string, final: Execution): WebhookEvent[] => {
    if (final.status === 'succeeded') {
      const recovered = lastOutcome.get(jobId) === 'failure';
      lastOutcome.set(jobId, 'success');
      return recovered ? ['success', 'recovery'] : ['success'];
    }
    if (final.status === 'failed' || final.status === 'timed_out') {
      lastOutcome.set(jobId, 'failure');
      return ['failure'];
    }
    // Cancelled or interrupted: someone (or a shutdown) stopped it; not the script's outcome.
    return [];
  };

  const removeRun = (jobId: string, run: Run): void => {
    const state = stateOf(jobId);
    state.runs = state.runs.filter((r) => r !== run);
  };

  /** Starts waiting fires while the job is below its limit. */
  const drain = async (jobId: string): Promise<void> => {
    const state = stateOf(jobId);
    const job = deps.currentJob(jobId);
    while (!stopped && job && state.waiting.length > 0) {
      if (decideOverlap(job.overlap, state.runs.length, job.maxConcurrentRuns) !== 'start') return;
      const next = state.waiting.shift();
      if (next) await start(job, next);
    }
  };

  const stopRun = (run: Run): void => {
    run.cancelled = true;
    if (run.executionId !== null) {
      try {
        engine.cancel(run.executionId);
      } catch (error) {
        // Already gone from the engine (it just ended): its end handler drains the queue.
        if (!isStepflowError(error)) throw error;
      }
    }
  };

  return {
    fire,
    start,
    /** Active runs of a job (attempts in the engine and retries waiting). */
    activeCount: (jobId: string): number => states.get(jobId)?.runs.length ?? 0,
    /** Seeds the recovery tracking from stored history. */
    rememberOutcome(jobId: string, outcome: 'success' | 'failure'): void {
      lastOutcome.set(jobId, outcome);
    },
    /** Pause or delete: waiting fires are dropped (recorded skipped), pending retries stop. Running attempts go on. */
    async quiesce(jobId: string, reason: string): Promise<void> {
      const state = states.get(jobId);
      if (state === undefined) return;
      for (const record of state.waiting.splice(0)) await skip(record, reason);
      for (const run of state.runs) {
        if (run.retryTimer !== undefined) {
          clock.clearTimer(run.retryTimer);
          run.retryTimer = undefined;
          removeRun(jobId, run);
        }
      }
    },
    stop(): void {
      stopped = true;
      for (const state of states.values()) {
        for (const run of state.runs) {
          clock.clearTimer(run.retryTimer);
          clock.clearTimer(run.lateTimer);
        }
      }
    },
  };
}

function specOf(job: Job): RunSpec {
  return {
    name: job.name,
    ...(job.argv !== null ? { argv: job.argv } : { command: job.command ?? '' }),
    cwd: job.cwd,
    env: job.env,
    tags: job.tags,
    ...(job.timeoutSeconds !== null ? { timeoutSeconds: job.timeoutSeconds } : {}),
  };
}
