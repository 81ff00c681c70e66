import { ERROR_CODES, StepflowError, notFound } from '../core/errors.js';
import type { Job, Trigger } from '../core/jobs/job.js';
import { planMissedFires } from '../core/jobs/missed-fires.js';
import { fireTimesBetween, nextFireTime } from '../core/jobs/triggers.js';
import { isScriptFailure } from '../core/statuses.js';
import type { Engine } from '../engine/engine.js';
import type { EventBus } from '../engine/event-bus.js';
import type { JobStore } from '../store/job-store.js';
import { systemClock, type Clock } from './clock.js';
import {
  createJobRuns,
  type OwnCommand,
  type PipelineTarget,
  type ProjectPlace,
  type StartedAttempt,
} from './job-runs.js';

export interface SchedulerOptions {
  jobs: JobStore;
  engine: Pick<Engine, 'submit' | 'cancel'>;
  /**
   * Cancels a run wherever it runs (the application's cancel: a worker's run, another replica's);
   * by default the engine's, which knows only this process's runs.
   */
  cancelRun?: (executionId: string, reason: string) => Promise<unknown>;
  /**
   * The event stream: the engine's step starts and ends drive the running-late percentile; the
   * scheduler's own events (fires, retries, late runs) go out on it.
   */
  bus: EventBus;
  clock?: Clock;
  onError?: (error: unknown) => void;
  /**
   * When the store's scheduler lease is shared (several processes on one PostgreSQL database):
   * how often this scheduler checks it — to take it over from a leader that is gone, or to find it
   * lost — and re-reads the jobs, which other processes may have changed. Default 2 s.
   */
  leaseCheckMs?: number;
  /** How this process runs StepFlow's own CLI on its data dir: what a backup job's runs execute. */
  ownCommand?: OwnCommand;
  /** Where a project job's run works: a fresh copy of the project (docs/WORKSPACE.md). */
  projectPlace?: ProjectPlace;
  /** How a pipeline job's fires start pipeline runs (docs/JOBS.md, "Pipeline jobs"). */
  pipelines?: PipelineTarget;
}

export interface Scheduler {
  /** Loads the jobs, applies the missed-fire policies, arms the timer. */
  start(): Promise<void>;
  /** Disarms everything; runs in the engine are the engine's to stop. Safe to call twice. */
  stop(): Promise<void>;
  /** Re-reads one job after it was created, changed, paused, resumed or deleted. */
  reload(jobId: string): Promise<void>;
  /**
   * Starts a run now, outside the triggers and the overlap policy (recorded as a manual fire): an
   * execution, or for a pipeline job a pipeline run.
   */
  runNow(jobId: string): Promise<StartedAttempt>;
  /** Runs of the job in progress (attempts in the engine, retries waiting). */
  activeRuns(jobId: string): number;
}

interface Plan {
  jobId: string;
  trigger: Trigger;
  nextMs: number;
}

/**
 * Arms one timer for the earliest planned fire of all enabled triggers. Each fire is recorded
 * before it runs, under a unique (trigger, fire time) key, so a fire starts at most one execution
 * even across restarts; the plan (next fire time) moves in the same transaction.
 *
 * Where the store's lease is shared (`JobStore.schedulerLease`), only the process holding it plans
 * and fires triggers; the others run manual runs only, and take the lease over when its holder is
 * gone (their start-up then, fire times passed meanwhile being missed). The unique key remains the
 * backstop for a moment with two leaders.
 */
export function createScheduler({
  jobs,
  engine,
  bus,
  cancelRun = async (executionId, reason) => engine.cancel(executionId, reason),
  clock = systemClock,
  onError = (error) => console.error('stepflow: scheduler:', error),
  leaseCheckMs = 2000,
  ownCommand,
  projectPlace,
  pipelines,
}: SchedulerOptions): Scheduler {
  const cache = new Map<string, Job>();
  const plans = new Map<string, Plan>();
  const lease = jobs.schedulerLease;
  // Plans and fires triggers: always where the lease is not shared, else while holding it.
  let leading = false;
  let leaseTimer: unknown;
  let timer: unknown;
  let unwatch: (() => void) | undefined;
  let started = false;
  let stopped = false;
  // Ticks, reloads and starts run one at a time: each reads and moves plans across awaits.
  let serial: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(work: () => Promise<T>): Promise<T> => {
    const result = serial.then(work);
    serial = result.catch(() => undefined);
    return result;
  };

  const runs = createJobRuns({
    jobs,
    engine,
    cancelRun,
    clock,
    publish: bus.publish,
    onError,
    currentJob: (id) => cache.get(id),
    ...(ownCommand ? { ownCommand } : {}),
    ...(projectPlace ? { projectPlace } : {}),
    ...(pipelines ? { pipelines } : {}),
  });

  const arm = (): void => {
    clock.clearTimer(timer);
    timer = undefined;
    if (stopped || !started || !leading) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const plan of plans.values()) earliest = Math.min(earliest, plan.nextMs);
    if (earliest === Number.POSITIVE_INFINITY) return;
    timer = clock.setTimer(() => void inTurn(tick).catch(onError), Math.max(0, earliest - clock.now()));
  };

  const tick = async (): Promise<void> => {
    try {
      const now = clock.now();
      const due = [...plans.values()]
        .filter((plan) => plan.nextMs <= now)
        .sort((a, b) => a.nextMs - b.nextMs);
      for (const plan of due) {
        if (stopped) return;
        await fireDue(plan, now);
      }
    } finally {
      arm();
    }
  };

  const fireDue = async ({ jobId, trigger, nextMs }: Plan, now: number): Promise<void> => {
    const job = cache.get(jobId);
    const next = nextFireTime(trigger, now);
    setPlan(jobId, trigger, next);
    if (job === undefined || !job.enabled) return;
    // A timer that woke late (a busy machine) runs the latest passed time once, not a burst.
    const passed = fireTimesBetween(trigger, nextMs, now);
    const latest = passed.at(-1) ?? nextMs;
    if (passed.length > 1) {
      await jobs.recordFire({
        jobId,
        triggerId: trigger.id,
        fireMs: passed[0] ?? nextMs,
        outcome: 'missed',
        count: passed.length - 1,
        reason: 'the scheduler woke up late; only the latest fire time ran',
      });
    }
    const record = await jobs.recordFire(
      { jobId, triggerId: trigger.id, fireMs: latest, outcome: 'queued' },
      { triggerId: trigger.id, nextFireMs: next },
    );
    // Already recorded: another scheduler (or this one before a restart) fired it.
    if (record !== undefined) await runs.fire(job, record);
  };

  const setPlan = (jobId: string, trigger: Trigger, next: number | null): void => {
    if (next === null) plans.delete(trigger.id);
    else plans.set(trigger.id, { jobId, trigger, nextMs: next });
  };

  /** Plans a trigger from now; at start-up (`catchUp`) fire times passed since its plan are missed. */
  const planTrigger = async (job: Job, trigger: Trigger, catchUp: boolean): Promise<void> => {
    const now = clock.now();
    const planned = trigger.nextFireMs;
    if (catchUp && planned !== null && planned <= now) {
      const next = nextFireTime(trigger, now);
      const plan = planMissedFires(job.missedFire, fireTimesBetween(trigger, planned, now));
      const first = plan.missed[0];
      if (first !== undefined) {
        await jobs.recordFire({
          jobId: job.id,
          triggerId: trigger.id,
          fireMs: first,
          outcome: 'missed',
          count: plan.missed.length,
          reason: `StepFlow was not running (missed fires: ${job.missedFire})`,
        });
        bus.publish({
          type: 'fire.missed',
          jobId: job.id,
          fireTime: new Date(first).toISOString(),
          count: plan.missed.length,
        });
      }
      if (plan.runLate !== null) {
        const record = await jobs.recordFire(
          {
            jobId: job.id,
            triggerId: trigger.id,
            fireMs: plan.runLate,
            outcome: 'queued',
            reason: 'run late: StepFlow was not running at its time (missed fires: run-once)',
          },
          { triggerId: trigger.id, nextFireMs: next },
        );
        if (record !== undefined) await runs.fire(job, record);
      } else {
        await jobs.planFire(trigger.id, next);
      }
      setPlan(job.id, trigger, next);
      return;
    }
    const next = planned !== null && planned > now ? planned : nextFireTime(trigger, now);
    if (next !== planned) await jobs.planFire(trigger.id, next);
    setPlan(job.id, trigger, next);
  };

  const forget = (jobId: string): void => {
    for (const [id, plan] of plans) if (plan.jobId === jobId) plans.delete(id);
  };

  /** Every readable job into the cache (the others are left out; the server reports them). */
  const loadJobs = async (): Promise<void> => {
    for (const job of (await jobs.listJobs()).jobs) cache.set(job.id, job);
  };

  /** Becomes the one that fires: the last outcomes, retries waiting, every enabled trigger planned. */
  const lead = async (): Promise<void> => {
    leading = true;
    for (const [jobId, last] of await jobs.lastRuns()) {
      if (last.status === 'succeeded') runs.rememberOutcome(jobId, 'success');
      if (isScriptFailure(last.status)) runs.rememberOutcome(jobId, 'failure');
    }
    // Before the triggers: a retry waiting since before the restart counts as an active run.
    for (const retry of await jobs.listPendingRetries()) await runs.restoreRetry(retry);
    for (const job of cache.values()) {
      if (!job.enabled) continue;
      for (const trigger of job.triggers) await planTrigger(job, trigger, true);
    }
    arm();
  };

  /** A job as it now is (undefined: deleted) replaces the cached one; its plans follow if leading. */
  const apply = async (jobId: string, job: Job | undefined): Promise<void> => {
    forget(jobId);
    if (job === undefined) {
      cache.delete(jobId);
      await runs.quiesce(jobId, 'the job was deleted');
    } else {
      cache.set(jobId, job);
      if (job.enabled) {
        if (leading) for (const trigger of job.triggers) await planTrigger(job, trigger, false);
      } else {
        await runs.quiesce(jobId, 'the job was paused');
        // No plan while paused: resuming starts from then, the paused time is not "missed".
        if (leading) {
          for (const trigger of job.triggers)
            if (trigger.nextFireMs !== null) await jobs.planFire(trigger.id, null);
        }
      }
    }
    arm();
  };

  /** Jobs changed by other processes (sharing the database): those whose `updatedAt` moved. */
  const refreshJobs = async (): Promise<void> => {
    const list = await jobs.listJobs();
    const seen = new Set(list.unreadable.map((record) => record.id));
    for (const job of list.jobs) {
      seen.add(job.id);
      if (cache.get(job.id)?.updatedAt !== job.updatedAt) await apply(job.id, job);
    }
    for (const jobId of [...cache.keys()]) if (!seen.has(jobId)) await apply(jobId, undefined);
  };

  /** One look at a shared lease: take it, keep it or lose it; then the jobs; then the next look. */
  const checkLease = async (): Promise<void> => {
    if (stopped) return;
    try {
      let holds = false;
      try {
        holds = await lease.tryAcquire();
      } catch (error) {
        // The database is out of reach: no firing until it answers and the lease is held again.
        onError(error);
      }
      if (!holds && leading) {
        leading = false;
        plans.clear();
        arm();
      }
      await refreshJobs();
      if (holds && !leading) await lead();
    } catch (error) {
      // Half led is not led: the next look starts over (fires recorded meanwhile stay recorded).
      leading = false;
      plans.clear();
      arm();
      throw error;
    } finally {
      if (!stopped) {
        leaseTimer = clock.setTimer(() => void inTurn(checkLease).catch(onError), leaseCheckMs);
      }
    }
  };

  return {
    start: () =>
      inTurn(async () => {
        if (started || stopped) return;
        started = true;
        unwatch = bus.subscribe(runs.onEvent);
        await loadJobs();
        if (!lease.shared) await lead();
        else await checkLease();
      }),

    async stop() {
      stopped = true;
      clock.clearTimer(timer);
      timer = undefined;
      clock.clearTimer(leaseTimer);
      unwatch?.();
      unwatch = undefined;
      runs.stop();
      await serial;
      // After the last tick: another process may take over only once this one fires no more.
      await lease.release();
    },

    reload: (jobId) =>
      inTurn(async () => {
        if (!started || stopped) return;
        await apply(jobId, await jobs.getJob(jobId));
      }),

    runNow: (jobId) =>
      inTurn(async () => {
        if (stopped)
          throw new StepflowError(ERROR_CODES.CONFLICT, 'StepFlow is shutting down; not starting runs.');
        const job = cache.get(jobId) ?? (await jobs.getJob(jobId));
        if (job === undefined) throw notFound('job', jobId);
        const record = await jobs.recordFire({
          jobId,
          triggerId: null,
          fireMs: clock.now(),
          outcome: 'queued',
          reason: 'manual run',
        });
        const started = record === undefined ? undefined : await runs.start(job, record);
        if (started === undefined) {
          // A pipeline job whose pipeline is gone: its fire record says so too.
          const skipped =
            job.pipeline !== undefined && record !== undefined
              ? (await jobs.listFires(jobId, { limit: 1 }))[0]
              : undefined;
          if (skipped?.outcome === 'skipped' && skipped.reason !== null)
            throw new StepflowError(ERROR_CODES.CONFLICT, skipped.reason);
          throw new StepflowError(ERROR_CODES.CONFLICT, 'StepFlow is shutting down; not starting runs.');
        }
        return started;
      }),

    activeRuns: (jobId) => runs.activeCount(jobId),
  };
}
