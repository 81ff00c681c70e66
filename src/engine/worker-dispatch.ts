import type { Execution } from '../core/model.js';
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
    now = Date.now,
  }: {
    store: Pick<ExecutionStore, 'createExecution'>;
    workers: Pick<WorkerStore, 'cancelUnclaimed'>;
    bus: EventBus;
    runsLocally: boolean;
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

  return {
    ...engine,
    async submit(spec, links = {}) {
      const runsOn = spec.runsOn ?? [];
      if (runsLocally && runsOn.length === 0) return engine.submit(spec, links);
      const execution = await store.createExecution({
        spec,
        status: 'queued',
        owner: null,
        runsOn,
        ...links,
      });
      const done = new Promise<Execution>((resolve) => waiting.set(execution.id, resolve));
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
