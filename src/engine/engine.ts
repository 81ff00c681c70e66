import * as path from 'node:path';
import { StepflowError, ERROR_CODES, notFound } from '../core/errors.js';
import type {
  Execution,
  ExecutionJobLink,
  ExecutionOwner,
  ExecutionRerunLink,
  RunSpec,
} from '../core/model.js';
import { effectiveLimits, type RunLimits } from '../core/run-limits.js';
import type { ChildEnvironmentPolicy } from '../runner/child-environment.js';
import type { ProcessMonitor, SpawnProcess } from '../runner/run-process.js';
import type { SecretKeeper } from '../secrets/secret-keeper.js';
import type { ExecutionStore } from '../store/store.js';
import type { EventBus } from './event-bus.js';
import type { ExecutionRun } from './execution-run.js';
import { startExecutionRun } from './execution-run.js';
import { hostRunSpec } from './environment-wrapper.js';

export interface EngineOptions {
  store: ExecutionStore;
  bus: EventBus;
  monitor: ProcessMonitor;
  /** How processes are started (from this process when absent). */
  spawn?: SpawnProcess;
  owner: ExecutionOwner;
  dataDir: string;
  /** Extra directories artifacts may come from, besides each execution's working directory. */
  artifactRoots?: string[];
  /** Executions beyond this many wait as `queued`, in order. */
  maxConcurrent?: number;
  killGraceMs?: number;
  /** Env names whose values are masked; DEFAULT_SECRET_ENV_PATTERNS when absent. */
  secretEnvPatterns?: readonly string[];
  /** What scripts get of this process's environment (all but StepFlow's own variables when absent). */
  environment?: ChildEnvironmentPolicy;
  now?: () => number;
  /** Commits what is pending and says whether the store could (see ExecutionRunDeps.storeFailure). */
  storeFailure?: () => Promise<string | null>;
  /** Limits of a run that sets none of its own (`STEPFLOW_MAX_LOG_BYTES`…, docs/LIMITS.md). */
  defaultLimits?: RunLimits;
  /**
   * Seals the secret values of what is stored and opens them for the process that runs
   * (docs/SECRETS.md); absent: specs are stored and run as given.
   */
  secrets?: Pick<SecretKeeper, 'seal' | 'open'>;
  /** Where this host keeps its Python environments (`<dataDir>/envs` when absent). */
  environmentsDir?: string;
}

/** @public */
export interface SubmittedExecution {
  execution: Execution;
  /** Resolves with the final state once it has finished (and been handed to the bus). */
  done: Promise<Execution>;
}

/** What a new execution is linked to, if anything. */
interface ExecutionLinks {
  /** Set by the scheduler: the job and the previous attempt. */
  job?: ExecutionJobLink;
  /** Set by a re-run: what it re-runs and the step it resumes from. */
  rerun?: ExecutionRerunLink;
  /** Who starts it (Execution.createdBy). */
  createdBy?: string;
}

export interface Engine {
  submit(spec: RunSpec, links?: ExecutionLinks): Promise<SubmittedExecution>;
  /**
   * Stops a running execution or drops a queued one; both end `cancelled`. `reason`: why, when it
   * was not asked for in this process (e.g. a request from another one), shown in its log and error.
   */
  cancel(id: string, reason?: string): void;
  /** Stops a running execution, which ends `failed` with `reason`; does nothing if it is not running. */
  fail(id: string, reason: string): void;
  /** Executions this process is running or holding in its queue. */
  active(): Execution[];
  /** Cancels everything running, drops the queue (recorded as cancelled), waits for the ends. */
  shutdown(): Promise<void>;
}

interface Pending {
  execution: Execution;
  spec: RunSpec;
  resolve: (execution: Execution) => void;
}

export function createEngine(options: EngineOptions): Engine {
  const { store, bus, monitor, owner, dataDir } = options;
  const maxConcurrent = options.maxConcurrent ?? 50;
  const now = options.now ?? Date.now;
  const running = new Map<string, ExecutionRun>();
  const queue: Pending[] = [];
  let stopping = false;

  const launch = (pending: Pending): void => {
    const run = startExecutionRun(
      {
        bus,
        monitor,
        ...(options.spawn ? { spawn: options.spawn } : {}),
        dataDir,
        artifactRoots: options.artifactRoots ?? [],
        killGraceMs: options.killGraceMs ?? 5000,
        ...(options.secretEnvPatterns ? { secretEnvPatterns: options.secretEnvPatterns } : {}),
        environment: options.environment,
        now,
        ...(options.storeFailure ? { storeFailure: options.storeFailure } : {}),
      },
      pending.execution,
      hostRunSpec(pending.spec, options.environmentsDir ?? path.join(dataDir, 'envs')),
    );
    running.set(run.id, run);
    void run.done.then((final) => {
      running.delete(run.id);
      pending.resolve(final);
      drain();
    });
  };

  const drain = (): void => {
    while (!stopping && running.size < maxConcurrent) {
      const next = queue.shift();
      if (!next) return;
      launch(next);
    }
  };

  const cancelQueued = (index: number, reason?: string): void => {
    const [pending] = queue.splice(index, 1);
    if (!pending) return;
    const ts = new Date(now()).toISOString();
    const cancelled: Execution = {
      ...pending.execution,
      status: 'cancelled',
      endedAt: ts,
      error: reason === undefined ? 'Cancelled while queued.' : `Cancelled while queued: ${reason}.`,
    };
    bus.publish({ type: 'execution.finished', executionId: cancelled.id, execution: cancelled });
    pending.resolve(cancelled);
  };

  return {
    async submit(requested, links = {}) {
      if (stopping)
        throw new StepflowError(
          ERROR_CODES.CONFLICT,
          'StepFlow is shutting down; not starting new executions.',
        );
      // The defaults are written into the spec: the record says what the run was limited to, and a
      // re-run keeps it.
      const limits = effectiveLimits(requested.limits, options.defaultLimits ?? {});
      const spec: RunSpec = limits === null ? requested : { ...requested, limits };
      // Opened before anything is stored: a missing or wrong key is the caller's error, not a run.
      const runnable = options.secrets?.open(spec) ?? spec;
      const execution = await store.createExecution({
        spec: options.secrets?.seal(spec) ?? spec,
        status: 'queued',
        owner,
        ...links,
      });
      let resolve!: (execution: Execution) => void;
      const done = new Promise<Execution>((r) => (resolve = r));
      queue.push({ execution, spec: runnable, resolve });
      drain();
      if (!running.has(execution.id))
        bus.publish({ type: 'execution.queued', executionId: execution.id, execution });
      const current = running.get(execution.id)?.snapshot() ?? execution;
      return { execution: current, done };
    },
    cancel(id, reason) {
      const run = running.get(id);
      if (run) return run.cancel(reason);
      const index = queue.findIndex((p) => p.execution.id === id);
      if (index >= 0) return cancelQueued(index, reason);
      throw notFound('running execution', id);
    },
    fail(id, reason) {
      running.get(id)?.fail(reason);
    },
    active() {
      return [...[...running.values()].map((run) => run.snapshot()), ...queue.map((p) => p.execution)];
    },
    async shutdown() {
      stopping = true;
      while (queue.length > 0) cancelQueued(0);
      const ends = [...running.values()].map((run) => {
        run.cancel();
        return run.done;
      });
      await Promise.all(ends);
    },
  };
}
