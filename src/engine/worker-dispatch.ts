import { ERROR_CODES, StepflowError } from '../core/errors.js';
import type { Execution } from '../core/model.js';
import { isTerminalExecutionStatus } from '../core/statuses.js';
import type { SecretKeeper } from '../secrets/secret-keeper.js';
import type { ExecutionStore } from '../store/store.js';
import type { WorkerStore } from '../store/worker-store.js';
import type { Engine } from './engine.js';
import type { EventBus } from './event-bus.js';

export interface WorkerDispatch extends Engine {
  /**
   * Cancels a run still queued for workers that none has claimed: `cancelled` now, published.
   * Undefined when it is not such a run (a worker took it meanwhile: ask that worker instead).
   */
  cancelQueued(id: string, reason?: string): Promise<Execution | undefined>;
}

/**
 * A run for workers may end on another API replica (its worker reports there, or that replica's
 * lease sweep loses it) and then nothing is published here: while such runs are awaited, the store
 * is looked at when its change notices say a run ended (PostgreSQL), and this often anyway, and
 * only read when its change marker moved.
 */
const FOREIGN_END_CHECK_MS = 1000;
/** Least time between two checks woken by change notices (every replica's ends send them). */
const FOREIGN_END_WAKE_GAP_MS = 250;

/**
 * The engine as callers see it (API, scheduler, re-runs): a run that asks for labels (`runsOn`), or
 * every run when this process runs nothing itself (`stepflow server --no-runner`), is stored
 * `queued` for a `stepflow worker` to claim (docs/WORKERS.md); the others go to the local engine.
 * `done` of a run for workers resolves when its end is published here (its worker's last report,
 * a cancel, or the lease sweep marking it `lost`).
 */
export function createWorkerDispatch(
  engine: Engine,
  {
    store,
    workers,
    bus,
    runsLocally,
    secrets,
    now = Date.now,
  }: {
    store: Pick<
      ExecutionStore,
      'createExecution' | 'changeMarker' | 'listExecutions' | 'getExecution' | 'onChange'
    >;
    workers: Pick<WorkerStore, 'cancelUnclaimed'>;
    bus: EventBus;
    runsLocally: boolean;
    /** Seals what is stored for a worker; the claim opens it (app/workers.ts). */
    secrets?: Pick<SecretKeeper, 'seal'>;
    now?: () => number;
  },
): WorkerDispatch {
  const waiting = new Map<string, (execution: Execution) => void>();
  bus.subscribe((event) => {
    if (event.type !== 'execution.finished') return;
    const resolve = waiting.get(event.executionId);
    if (resolve === undefined) return;
    waiting.delete(event.executionId);
    resolve(event.execution);
  });

  let marker: number | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timerDue = 0;
  let checking = false;
  let checkAgain = false;
  let lastCheckAt = Number.NEGATIVE_INFINITY;
  let stopped = false;
  let unsubscribeChanges: (() => void) | undefined;
  /** Resolves the awaited runs that ended elsewhere: one listing of the open runs, not one read each. */
  const checkForeignEnds = async (): Promise<void> => {
    const moved = await store.changeMarker();
    if (moved === marker) return;
    marker = moved;
    const open = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await store.listExecutions({ status: ['queued', 'running'], limit: 500, cursor });
      for (const execution of page.items) open.add(execution.id);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    for (const id of [...waiting.keys()].filter((id) => !open.has(id))) {
      const execution = await store.getExecution(id);
      const resolve = waiting.get(id);
      if (execution === undefined || resolve === undefined) continue;
      if (!isTerminalExecutionStatus(execution.status)) continue;
      waiting.delete(id);
      const { steps: _steps, artifacts: _artifacts, annotations: _annotations, ...ended } = execution;
      resolve(ended);
    }
  };
  const startCheck = (delayMs: number): void => {
    timerDue = Date.now() + delayMs;
    timer = setTimeout(() => {
      timer = undefined;
      checking = true;
      lastCheckAt = Date.now();
      checkForeignEnds()
        .catch((error: unknown) => {
          // Shutting down: the store may close under a check in flight; nothing is awaited anymore.
          if (stopped) return;
          // A store that failed now is asked again at the next tick; the runs stay awaited.
          console.error(`stepflow: cannot check for runs ended elsewhere: ${(error as Error).message}`);
        })
        .finally(() => {
          checking = false;
          if (checkAgain) wakeForeignEnds();
          else watchForeignEnds();
        });
    }, delayMs);
    timer.unref();
  };
  const watchForeignEnds = (): void => {
    if (timer !== undefined || checking || stopped || waiting.size === 0) return;
    if (unsubscribeChanges === undefined && store.onChange !== undefined) {
      unsubscribeChanges = store.onChange((change) => {
        if (change === 'ended') wakeForeignEnds();
      });
    }
    startCheck(FOREIGN_END_CHECK_MS);
  };
  /** A run ended somewhere: check soon (the gap after the last check) rather than at the next tick. */
  const wakeForeignEnds = (): void => {
    checkAgain = false;
    if (stopped || waiting.size === 0) return;
    if (checking) {
      checkAgain = true;
      return;
    }
    const delayMs = Math.max(0, lastCheckAt + FOREIGN_END_WAKE_GAP_MS - Date.now());
    if (timer !== undefined) {
      if (Date.now() + delayMs >= timerDue) return;
      clearTimeout(timer);
    }
    startCheck(delayMs);
  };

  return {
    ...engine,
    async shutdown() {
      stopped = true;
      unsubscribeChanges?.();
      clearTimeout(timer);
      await engine.shutdown();
    },
    async submit(spec, links = {}) {
      const runsOn = spec.runsOn ?? [];
      if (runsLocally && runsOn.length === 0) return engine.submit(spec, links);
      // A worker fetches a project's version by its id (projects.place sets it for a worker's run);
      // without one its cwd would be a copy on this host's disk, which no worker has.
      if (spec.project !== undefined && spec.project.id === undefined) {
        throw new StepflowError(
          ERROR_CODES.CONFLICT,
          `a run in project ${spec.project.name} was placed for this server, but goes to a worker (docs/WORKSPACE.md)`,
        );
      }
      const execution = await store.createExecution({
        spec: secrets?.seal(spec) ?? spec,
        status: 'queued',
        owner: null,
        runsOn,
        ...links,
      });
      const done = new Promise<Execution>((resolve) => waiting.set(execution.id, resolve));
      watchForeignEnds();
      bus.publish({ type: 'execution.queued', executionId: execution.id, execution });
      return { execution, done };
    },
    async cancelQueued(id, reason) {
      const error = reason === undefined ? 'Cancelled while queued.' : `Cancelled while queued: ${reason}.`;
      const cancelled = await workers.cancelUnclaimed(id, new Date(now()).toISOString(), error);
      if (cancelled !== undefined) {
        bus.publish({ type: 'execution.finished', executionId: id, execution: cancelled });
      }
      return cancelled;
    },
  };
}
