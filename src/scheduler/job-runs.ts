import { ERROR_CODES, StepflowError, isStepflowError } from '../core/errors.js';
import { isExecutionEvent, type JobEvent, type StepflowEvent } from '../core/events.js';
import type { FireRecord, Job, PendingRetry } from '../core/jobs/job.js';
import { decideOverlap } from '../core/jobs/overlap.js';
import { retryDelayMs, shouldRetry } from '../core/jobs/retry.js';
import type { Execution, ProjectRef, RunSpec } from '../core/model.js';
import type { PipelineRunJobLink } from '../core/pipelines/pipeline-run.js';
import { isScriptFailure } from '../core/statuses.js';
import type { Engine } from '../engine/engine.js';
import type { JobStore } from '../store/job-store.js';
import type { Clock } from './clock.js';
import { createLateWarnings, loadStepThresholds } from './late-warnings.js';

/** One run of a job: the first attempt and its retries, started by one fire (or a manual run). */
interface Run {
  /** The fire that started it; null for a run whose retry was restored after a restart. */
  fire: FireRecord | null;
  /** Every attempt's `scheduledAt`: the fire time, null for a manual run. */
  scheduledAt: string | null;
  attempt: number;
  /**
   * The attempt going on now — an execution, or for a pipeline job a pipeline run; null while
   * waiting for a retry.
   */
  attemptId: string | null;
  retryTimer: unknown;
  /** The waiting retry as saved in the job store (null when saving it failed: in memory only). */
  savedRetry: PendingRetry | null;
  /** What its attempts are: executions, or (a pipeline job) pipeline runs. */
  kind: 'execution' | 'pipeline';
  /** Stopped on purpose (cancel-previous, pause): no retry. */
  cancelled: boolean;
  /** An attempt was lost and started again (`retryOnLost`): once per run, outside the retry budget. */
  lostRetried: boolean;
}

/** What a run ends with: its last attempt (for a pipeline job, its last pipeline run). */
type Outcome = Pick<Execution, 'id' | 'status'>;

/** What started one attempt: an execution, or (a pipeline job) a pipeline run. */
export type StartedAttempt =
  { kind: 'execution'; id: string; execution: Execution } | { kind: 'pipeline'; id: string };

/** A pipeline run a job started, and its end. */
export interface StartedPipelineRun {
  id: string;
  /**
   * Its final status: `succeeded`, `failed`, `cancelled`, or `timed_out` when the job's
   * `timeoutSeconds` cancelled it.
   */
  done: Promise<Outcome>;
}

/**
 * How a pipeline job's attempts run (docs/JOBS.md, "Pipeline jobs"): the application's pipeline
 * runs, bound in the composition root (the scheduler cannot import the application layer).
 */
export interface PipelineTarget {
  /**
   * Starts a run of the job's saved pipeline as it is now, linked to the fire. Rejects with a
   * StepflowError when it cannot (the pipeline was deleted): the fire is skipped saying why.
   */
  start(job: Job, link: PipelineRunJobLink): Promise<StartedPipelineRun>;
  /** A retry: a re-run of the failed nodes of `failedId` (the succeeded ones keep their outputs). */
  rerunFailed(job: Job, failedId: string, link: PipelineRunJobLink): Promise<StartedPipelineRun>;
  /** Cancels a pipeline run wherever it is driven. Rejects with a StepflowError when it has ended. */
  cancel(id: string, reason: string): Promise<unknown>;
  /** The job's pipeline runs open in the store (this replica's and the others'). */
  openRuns(jobId: string): Promise<string[]>;
}

interface JobState {
  runs: Run[];
  /** Fires waiting for a run to end (overlap `queue`/`parallel` at the limit, `cancel-previous`). */
  waiting: FireRecord[];
  /**
   * Attempts that ended here but may still read as open in the store (its writer commits a moment
   * later); each is forgotten once the store no longer lists it.
   */
  endedHere: Set<string>;
  /** Runs of the job elsewhere that `cancel-previous` asked to stop (nothing here hears of their end). */
  cancelledElsewhere: Set<string>;
  /** Looks again for the end of those runs, to start the fires waiting on them. */
  drainTimer: unknown;
}

export interface JobRunsDeps {
  jobs: JobStore;
  engine: Pick<Engine, 'submit'>;
  /**
   * Cancels a run wherever it runs: this process's engine, a worker, another StepFlow process
   * (the application's cancel). Rejects with a StepflowError when it has already ended.
   */
  cancelRun: (executionId: string, reason: string) => Promise<unknown>;
  clock: Clock;
  /** Puts a job event on the stream (the notifier, the live hub and the log follow it). */
  publish: (event: JobEvent) => void;
  onError: (error: unknown) => void;
  /** The job as it is now (definitions change while runs go on), or undefined once deleted. */
  currentJob: (jobId: string) => Job | undefined;
  ownCommand?: OwnCommand;
  projectPlace?: ProjectPlace;
  pipelines?: PipelineTarget;
}

/**
 * Makes the folder a project job's run works in (a copy of the project's current version, `cwd`
 * inside it; for a worker's run none: the worker fetches the version) and says which version it
 * is; `release` removes it when the run could not start.
 */
export type ProjectPlace = (
  project: string,
  cwd: string,
  runsOn: readonly string[],
) => Promise<{ cwd: string; project: ProjectRef; release(): Promise<void> }>;

/**
 * StepFlow's own CLI as this process starts it (`node …/bin/stepflow.js`) and the environment that
 * points it at this process's data dir. A backup job stores `stepflow backup …`; its runs get this
 * instead of the first word, found when it fires, so an upgrade or a moved install needs no edit.
 */
export interface OwnCommand {
  argv: string[];
  env: Record<string, string>;
}

/** Per-job waiting lines beyond this are recorded as skipped instead of growing without end. */
const MAX_WAITING_PER_JOB = 100;
/** How often fires waiting on runs that end elsewhere look whether they may start. */
const ELSEWHERE_DRAIN_MS = 1000;

/**
 * The runs of every job: overlap decisions, the per-job limit, retries with backoff, the
 * running-late warning and notifications. Runs go through the engine, so the global
 * MAX_CONCURRENT_TASKS queue applies to them like to any execution.
 */
export function createJobRuns(deps: JobRunsDeps) {
  const { jobs, engine, clock, publish, onError } = deps;
  const states = new Map<string, JobState>();
  /** The last final outcome per job, for `recovery` notifications. */
  const lastOutcome = new Map<string, 'success' | 'failure'>();
  let stopped = false;

  const late = createLateWarnings({
    clock,
    onLate(job, executionId, warning) {
      if (stopped) return;
      publish({ type: 'late.warning', jobId: job.id, executionId, late: warning });
    },
  });

  const stateOf = (jobId: string): JobState => {
    let state = states.get(jobId);
    if (state === undefined) {
      state = {
        runs: [],
        waiting: [],
        endedHere: new Set(),
        cancelledElsewhere: new Set(),
        drainTimer: undefined,
      };
      states.set(jobId, state);
    }
    return state;
  };

  /**
   * The job's runs going on anywhere: its executions open in the store (started by this process,
   * by a scheduler that led before, by "run now" on another replica) and this process's runs not
   * open there (waiting for a retry, or being submitted). One read per decision, not per tick.
   */
  const activeRuns = async (job: Job): Promise<number> => {
    const state = stateOf(job.id);
    // `parallel` without a limit never looks at the count: no read.
    if (job.overlap === 'parallel' && job.maxConcurrentRuns === null) return state.runs.length;
    let open: Set<string>;
    try {
      open = new Set(await openRunsOf(job));
    } catch (error) {
      // The store cannot say: decide on what this process knows, as before, and report why.
      onError(error);
      return state.runs.length;
    }
    for (const id of state.endedHere) {
      if (open.has(id)) open.delete(id);
      else state.endedHere.delete(id);
    }
    for (const id of state.cancelledElsewhere) if (!open.has(id)) state.cancelledElsewhere.delete(id);
    const notInStore = state.runs.filter((run) => run.attemptId === null || !open.has(run.attemptId));
    return open.size + notInStore.length;
  };

  /** Applies the overlap policy to a recorded fire. */
  const fire = async (job: Job, record: FireRecord): Promise<void> => {
    const state = stateOf(job.id);
    // Fires waiting on runs that ended elsewhere (nothing here told of their end) go first.
    if (state.waiting.length > 0) await drain(job.id);
    const decision = decideOverlap(job.overlap, await activeRuns(job), job.maxConcurrentRuns);
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
    if (decision === 'cancel-previous') await cancelOldest(job);
    state.waiting.push(record);
    await jobs.updateFire(record.id, {
      outcome: 'queued',
      reason: `waiting for a run to end (overlap: ${job.overlap})`,
    });
    publish({ type: 'fire.queued', jobId: job.id, fireTime: record.fireTime });
  };

  const skip = async (record: FireRecord, reason: string): Promise<void> => {
    await jobs.updateFire(record.id, { outcome: 'skipped', reason });
    publish({ type: 'fire.skipped', jobId: record.jobId, fireTime: record.fireTime, reason });
  };

  /** Starts a run's first attempt, whatever the overlap (manual runs come here directly). */
  const start = async (job: Job, record: FireRecord): Promise<StartedAttempt | undefined> => {
    const run: Run = {
      fire: record,
      scheduledAt: record.triggerId === null ? null : record.fireTime,
      attempt: 1,
      attemptId: null,
      kind: job.pipeline !== undefined ? 'pipeline' : 'execution',
      retryTimer: undefined,
      savedRetry: null,
      cancelled: false,
      lostRetried: false,
    };
    stateOf(job.id).runs.push(run);
    if (job.pipeline !== undefined) {
      const id = await startPipelineAttempt(job, run, null);
      return id === undefined ? undefined : { kind: 'pipeline', id };
    }
    const execution = await submitAttempt(job, run, null);
    return execution === undefined ? undefined : { kind: 'execution', id: execution.id, execution };
  };

  /** The attempts of a pipeline job (whose runs go on elsewhere). */
  const openRunsOf = (job: Job): Promise<string[]> =>
    job.pipeline !== undefined && deps.pipelines !== undefined
      ? deps.pipelines.openRuns(job.id)
      : jobs.openRuns(job.id);

  /** An attempt that could not start: the fire says why; the run ends here with nothing to show. */
  const notStarted = async (job: Job, run: Run, error: unknown): Promise<void> => {
    removeRun(job.id, run);
    if (run.attempt === 1 && run.fire !== null) {
      await skip(run.fire, isStepflowError(error) ? error.message : String(error));
    }
    if (!isStepflowError(error)) onError(error);
  };

  /**
   * A pipeline job's attempt: the first starts a run of its saved pipeline, a retry re-runs the
   * failed nodes of the run it retries. Returns the pipeline run's id; undefined when none started.
   */
  const startPipelineAttempt = async (
    job: Job,
    run: Run,
    retryOfId: string | null,
  ): Promise<string | undefined> => {
    const link: PipelineRunJobLink = {
      jobId: job.id,
      attempt: run.attempt,
      retryOfId,
      scheduledAt: run.scheduledAt,
    };
    let started: StartedPipelineRun;
    try {
      if (deps.pipelines === undefined)
        throw new StepflowError(ERROR_CODES.UNSUPPORTED, 'this process cannot run pipeline jobs');
      started =
        retryOfId === null
          ? await deps.pipelines.start(job, link)
          : await deps.pipelines.rerunFailed(job, retryOfId, link);
    } catch (error) {
      // The pipeline was deleted (or its file no longer parses), or StepFlow is shutting down.
      await notStarted(job, run, error);
      return undefined;
    }
    run.attemptId = started.id;
    if (run.attempt === 1 && run.fire !== null) {
      await jobs.updateFire(run.fire.id, { outcome: 'started', executionId: started.id });
      publish({
        type: 'fire.started',
        jobId: job.id,
        fireTime: run.fire.fireTime,
        executionId: started.id,
        manual: run.fire.triggerId === null,
        pipelineRun: true,
      });
    }
    if (retryOfId !== null) {
      publish({
        type: 'retry.started',
        jobId: job.id,
        executionId: started.id,
        retryOfId,
        attempt: run.attempt,
        pipelineRun: true,
      });
    }
    void started.done.then((final) => attemptEnded(job.id, run, final)).catch(onError);
    return started.id;
  };

  const submitAttempt = async (
    job: Job,
    run: Run,
    retryOfId: string | null,
    reason?: 'lost',
  ): Promise<Execution | undefined> => {
    const thresholds = await loadStepThresholds(jobs, job, onError);
    let submitted;
    let place: Awaited<ReturnType<ProjectPlace>> | undefined;
    try {
      let spec = specOf(job, deps.ownCommand);
      if (job.project !== undefined) {
        if (deps.projectPlace === undefined)
          throw new StepflowError(ERROR_CODES.UNSUPPORTED, 'this process cannot run jobs in projects');
        place = await deps.projectPlace(job.project, job.cwd, spec.runsOn ?? []);
        spec = { ...spec, cwd: place.cwd, project: place.project };
      }
      submitted = await engine.submit(spec, {
        job: { jobId: job.id, attempt: run.attempt, retryOfId, scheduledAt: run.scheduledAt },
        createdBy: `job:${job.name}`,
      });
    } catch (error) {
      // The engine refuses only while shutting down, the project only when it is gone: the fire is
      // not lost silently, it says why.
      await place?.release().catch(onError);
      await notStarted(job, run, error);
      return undefined;
    }
    const { execution, done } = submitted;
    run.attemptId = execution.id;
    // Before any await: the process cannot have printed a step yet (its output needs an I/O turn).
    late.watch(job, execution.id, thresholds);
    if (run.attempt === 1 && run.fire !== null) {
      await jobs.updateFire(run.fire.id, { outcome: 'started', executionId: execution.id });
      publish({
        type: 'fire.started',
        jobId: job.id,
        fireTime: run.fire.fireTime,
        executionId: execution.id,
        manual: run.fire.triggerId === null,
      });
    }
    if (retryOfId !== null) {
      publish({
        type: 'retry.started',
        jobId: job.id,
        executionId: execution.id,
        retryOfId,
        attempt: run.attempt,
        ...(reason !== undefined ? { reason } : {}),
      });
    }
    void done.then((final) => attemptEnded(job.id, run, final)).catch(onError);
    return execution;
  };

  const attemptEnded = async (
    jobId: string,
    run: Run,
    final: Outcome & { exitCode?: number | null },
  ): Promise<void> => {
    late.ended(final.id);
    stateOf(jobId).endedHere.add(final.id);
    run.attemptId = null;
    const job = deps.currentJob(jobId);
    if (job && !run.cancelled && job.enabled && !stopped && final.status === 'lost' && job.retryOnLost) {
      if (!run.lostRetried) return retryLost(job, run, final);
    }
    // The attempt a lost one got again is not the retry policy's: it does not count against it.
    const attempts = run.attempt - (run.lostRetried ? 1 : 0);
    const result = { status: final.status, exitCode: final.exitCode ?? null };
    if (!job || run.cancelled || !job.enabled || !shouldRetry(job.retry, attempts, result)) {
      if (!stopped) finishRun(jobId, run, final);
      return;
    }
    const delayMs = retryDelayMs(job.retry, run.attempt);
    // A pipeline job's retry re-runs the failed nodes of this run: it is keyed by its id.
    const retry: PendingRetry = {
      jobId,
      failedExecutionId: final.id,
      failedStatus: final.status,
      attempt: run.attempt + 1,
      dueMs: clock.now() + delayMs,
      scheduledAt: run.scheduledAt,
    };
    // Saved before the timer is armed (also while shutting down): a restart finds it and runs it.
    run.savedRetry = await saveRetry(retry);
    if (stopped) return;
    publish({
      type: 'retry.planned',
      jobId,
      executionId: final.id,
      attempt: retry.attempt,
      at: new Date(retry.dueMs).toISOString(),
      ...(run.kind === 'pipeline' ? { pipelineRun: true } : {}),
    });
    armRetry(run, retry);
  };

  /**
   * A lost attempt (its worker went silent) of a `retryOnLost` job starts again at once, as the
   * next attempt linked to it, once per run: the lost worker is not live, so a live one claims it.
   */
  const retryLost = async (job: Job, run: Run, lost: Outcome): Promise<void> => {
    run.lostRetried = true;
    const lostAttempt = run.attempt;
    run.attempt += 1;
    const execution = await submitAttempt(job, run, lost.id, 'lost');
    // Refused: only while shutting down, when no run is finished here anyway.
    if (execution === undefined || run.fire === null) return;
    await jobs.updateFire(run.fire.id, {
      outcome: 'started',
      reason: `${run.fire.reason === null ? '' : `${run.fire.reason}; `}attempt ${lostAttempt} was lost (its worker went silent), started again as ${execution.id} (retryOnLost)`,
    });
  };

  const saveRetry = async (retry: PendingRetry): Promise<PendingRetry | null> => {
    try {
      await jobs.savePendingRetry(retry);
      return retry;
    } catch (error) {
      // The retry still runs from this process; only a restart during its delay would lose it.
      onError(error);
      return null;
    }
  };

  const armRetry = (run: Run, retry: PendingRetry): void => {
    run.retryTimer = clock.setTimer(
      () => {
        run.retryTimer = undefined;
        void startRetry(run, retry).catch(onError);
      },
      Math.max(0, retry.dueMs - clock.now()),
    );
  };

  /** Starts a due retry, unless someone else already did (the claim on its store record decides). */
  const startRetry = async (run: Run, retry: PendingRetry): Promise<void> => {
    // Stopping: the saved record stays, the next start runs the retry.
    if (stopped) return;
    const { jobId } = retry;
    if (run.savedRetry !== null) {
      run.savedRetry = null;
      if ((await claimRetry(retry)) === undefined) {
        // Another scheduler on this data dir took it (or the job went): it is not ours to run.
        removeRun(jobId, run);
        void drain(jobId).catch(onError);
        return;
      }
    }
    const failed: Outcome = { id: retry.failedExecutionId, status: retry.failedStatus };
    const current = deps.currentJob(jobId);
    if (run.cancelled || current === undefined || !current.enabled) return finishRun(jobId, run, failed);
    run.attempt = retry.attempt;
    const started =
      run.kind === 'pipeline'
        ? await startPipelineAttempt(current, run, retry.failedExecutionId)
        : await submitAttempt(current, run, retry.failedExecutionId);
    if (started === undefined) {
      // Refused (shutting down): put the record back for the next start. A pipeline run that
      // cannot be re-run (deleted meanwhile) never will be: the job's run ends with its failure.
      if (run.kind === 'pipeline' && !stopped) finishRun(jobId, run, failed);
      else await saveRetry(retry);
    }
  };

  const claimRetry = async (retry: PendingRetry): Promise<PendingRetry | undefined> => {
    try {
      return await jobs.claimPendingRetry(retry.failedExecutionId);
    } catch (error) {
      onError(error);
      return undefined;
    }
  };

  /** A retry found in the store at start-up: it waits for the rest of its delay (none when overdue). */
  const restoreRetry = async (retry: PendingRetry): Promise<void> => {
    const job = deps.currentJob(retry.jobId);
    if (job === undefined || !job.enabled) {
      // Paused or deleted while no scheduler ran: pausing drops pending retries.
      await claimRetry(retry);
      return;
    }
    const run: Run = {
      fire: null,
      scheduledAt: retry.scheduledAt,
      attempt: retry.attempt - 1,
      attemptId: null,
      kind: job.pipeline !== undefined ? 'pipeline' : 'execution',
      retryTimer: undefined,
      savedRetry: retry,
      cancelled: false,
      lostRetried: false,
    };
    stateOf(job.id).runs.push(run);
    publish({
      type: 'retry.planned',
      jobId: job.id,
      executionId: retry.failedExecutionId,
      attempt: retry.attempt,
      at: new Date(Math.max(retry.dueMs, clock.now())).toISOString(),
      ...(job.pipeline !== undefined ? { pipelineRun: true } : {}),
    });
    armRetry(run, retry);
  };

  const finishRun = (jobId: string, run: Run, final: Outcome): void => {
    removeRun(jobId, run);
    const pipelineRun = run.kind === 'pipeline';
    publish({
      type: 'job.run_finished',
      jobId,
      executionId: final.id,
      status: final.status,
      attempts: run.attempt,
      recovered: recordOutcome(jobId, final),
      ...(pipelineRun ? { pipelineRun } : {}),
    });
    void drain(jobId).catch(onError);
  };

  /** Remembers how the job's run ended; true when it succeeded after a failed one (a recovery). */
  const recordOutcome = (jobId: string, final: Outcome): boolean => {
    if (final.status === 'succeeded') {
      const recovered = lastOutcome.get(jobId) === 'failure';
      lastOutcome.set(jobId, 'success');
      return recovered;
    }
    if (isScriptFailure(final.status)) lastOutcome.set(jobId, 'failure');
    // Cancelled or interrupted: someone (or a dead process) stopped it; not the script's outcome.
    return false;
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
      if (decideOverlap(job.overlap, await activeRuns(job), job.maxConcurrentRuns) !== 'start') return;
      const next = state.waiting.shift();
      if (next) await start(job, next);
    }
  };

  /**
   * `cancel-previous`: stops the job's oldest run — one this process started, else one the store
   * lists as open (started by another replica, or before a restart) — wherever it runs.
   */
  const cancelOldest = async (job: Job): Promise<void> => {
    const state = stateOf(job.id);
    const reason = `a newer run of job ${job.name} is due (overlap: cancel-previous)`;
    const oldest = state.runs.find((run) => !run.cancelled);
    if (oldest !== undefined) {
      oldest.cancelled = true;
      if (oldest.attemptId !== null) await cancelQuietly(job, oldest.attemptId, reason);
      return;
    }
    let open: string[];
    try {
      open = await openRunsOf(job);
    } catch (error) {
      onError(error);
      return;
    }
    const elsewhere = open.filter((id) => !state.cancelledElsewhere.has(id)).sort()[0];
    if (elsewhere !== undefined) {
      state.cancelledElsewhere.add(elsewhere);
      await cancelQuietly(job, elsewhere, reason);
    }
    if (state.cancelledElsewhere.size > 0) drainLater(job.id);
  };

  const cancelQuietly = async (job: Job, attemptId: string, reason: string): Promise<void> => {
    try {
      if (job.pipeline !== undefined && deps.pipelines !== undefined) {
        await deps.pipelines.cancel(attemptId, reason);
      } else {
        await deps.cancelRun(attemptId, reason);
      }
    } catch (error) {
      // It ended meanwhile: the fires waiting on it start as its end is seen.
      if (!isStepflowError(error)) onError(error);
    }
  };

  /** Fires waiting on runs cancelled elsewhere start once the store no longer lists those as open. */
  const drainLater = (jobId: string): void => {
    const state = stateOf(jobId);
    if (state.drainTimer !== undefined || stopped) return;
    state.drainTimer = clock.setTimer(() => {
      state.drainTimer = undefined;
      void drain(jobId)
        .then(() => {
          if (state.waiting.length > 0 && state.cancelledElsewhere.size > 0) drainLater(jobId);
        })
        .catch(onError);
    }, ELSEWHERE_DRAIN_MS);
  };

  return {
    fire,
    start,
    restoreRetry,
    /** The engine's execution events: step starts and ends for the percentile warning. */
    onEvent(event: StepflowEvent): void {
      if (!stopped && isExecutionEvent(event)) late.handle(event);
    },
    /** Active runs of a job (attempts in the engine and retries waiting). */
    activeCount: (jobId: string): number => states.get(jobId)?.runs.length ?? 0,
    /** Seeds the recovery tracking from stored history. */
    rememberOutcome(jobId: string, outcome: 'success' | 'failure'): void {
      lastOutcome.set(jobId, outcome);
    },
    /**
     * Pause or delete: waiting fires are dropped (recorded skipped), pending retries stop and
     * their store records go. Running attempts go on.
     */
    async quiesce(jobId: string, reason: string): Promise<void> {
      const state = states.get(jobId);
      if (state !== undefined) {
        for (const record of state.waiting.splice(0)) await skip(record, reason);
        for (const run of state.runs) {
          if (run.retryTimer !== undefined) {
            clock.clearTimer(run.retryTimer);
            run.retryTimer = undefined;
            removeRun(jobId, run);
          }
        }
      }
      // Also the records of retries this process never armed (saved by another scheduler).
      await jobs.dropPendingRetries(jobId).catch(onError);
    },
    /** Timers stop; saved retries stay in the store for the next start. */
    stop(): void {
      stopped = true;
      late.stop();
      for (const state of states.values()) {
        for (const run of state.runs) clock.clearTimer(run.retryTimer);
        clock.clearTimer(state.drainTimer);
      }
    },
  };
}

function specOf(job: Job, own: OwnCommand | undefined): RunSpec {
  const backup = job.backup && own && job.argv !== null;
  return {
    name: job.name,
    ...(backup
      ? { argv: [...own.argv, ...job.argv!.slice(1)] }
      : job.argv !== null
        ? { argv: job.argv }
        : { command: job.command ?? '' }),
    cwd: job.cwd,
    env: backup ? { ...job.env, ...own.env } : job.env,
    ...(job.secretEnv !== undefined ? { secretEnv: job.secretEnv } : {}),
    tags: job.tags,
    ...(job.timeoutSeconds !== null ? { timeoutSeconds: job.timeoutSeconds } : {}),
    // On the run itself, so every process (and the dashboard's timer) can tell it is late.
    ...(job.lateAfterSeconds !== null ? { lateAfterSeconds: job.lateAfterSeconds } : {}),
    ...(job.limits !== undefined ? { limits: job.limits } : {}),
    // Its runs go to a worker with these labels, like an execution submitted with them.
    ...(job.runsOn.length > 0 ? { runsOn: job.runsOn } : {}),
    ...(job.environment !== undefined ? { environment: job.environment } : {}),
  };
}
