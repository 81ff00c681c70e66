import { ERROR_CODES, StepflowError } from '../core/errors.js';
import type { Execution } from '../core/model.js';
import { executionOf } from '../core/model.js';
import { isTerminalExecutionStatus } from '../core/statuses.js';
import { isOwnerAlive } from '../runner/process-owner.js';
import type { ProcessMonitor } from '../runner/run-process.js';
import { terminateTree } from '../runner/terminate-tree.js';
import type { ExecutionStore } from '../store/store.js';
import type { EventBus } from './event-bus.js';

export interface CancelRequesterOptions {
  store: Pick<ExecutionStore, 'requestCancel' | 'recoverInterrupted' | 'getExecution'>;
  /** Where the end of a run recovered here is published, so live watchers see it end. */
  bus: EventBus;
  monitor: ProcessMonitor;
  /** Time between SIGTERM and SIGKILL for what is left of a dead owner's run. */
  killGraceMs: number;
  now?: () => number;
}

/** How a cancel of an execution this process does not run went. */
export type RequestedCancel =
  /** Recorded; its owner stops it within about a second (its next report, for a remote run). */
  | { outcome: 'requested'; execution: Execution; requestedAt: string }
  /** Its owner had died: crash recovery marked it `interrupted` now and ended its leftovers. */
  | { outcome: 'owner_dead'; execution: Execution };

/**
 * Cancels an execution owned by another process: records the request in the store, where its
 * owner looks for it (cancel-watcher.ts). An owner that died cannot act on it, so then the run is
 * recovered as at start-up: `interrupted` (not `cancelled`: nobody stopped it, its process died)
 * and whatever it left running is ended. `conflict` when it has already ended.
 */
export function createCancelRequester(
  options: CancelRequesterOptions,
): (id: string) => Promise<RequestedCancel> {
  const { store, bus, monitor, killGraceMs, now = Date.now } = options;
  return async (id) => {
    const { execution, requestedAt } = await store.requestCancel(id, new Date(now()).toISOString());
    if (requestedAt === null) {
      throw new StepflowError(
        ERROR_CODES.CONFLICT,
        `execution ${id} has already ended (${execution.status}); there is nothing to cancel`,
      );
    }
    if (execution.owner !== null && isOwnerAlive(execution.owner)) {
      return { outcome: 'requested', execution, requestedAt };
    }
    const recovered = await store.recoverInterrupted(isOwnerAlive);
    for (const tag of recovered) {
      // Its scripts may still run unsupervised, as after a crash: end them (see createStepflow).
      void terminateTree({ pgid: undefined, tag, monitor, graceMs: killGraceMs });
      const ended = await store.getExecution(tag);
      if (ended !== undefined) {
        bus.publish({ type: 'execution.finished', executionId: tag, execution: executionOf(ended) });
      }
    }
    const after = await store.getExecution(id);
    if (after !== undefined && isTerminalExecutionStatus(after.status)) {
      return { outcome: 'owner_dead', execution: executionOf(after) };
    }
    // Still open: its owner looked dead, then alive to recovery (a pid check raced): the request stands.
    return { outcome: 'requested', execution: after ? executionOf(after) : execution, requestedAt };
  };
}
