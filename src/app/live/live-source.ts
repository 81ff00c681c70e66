import {
  isExecutionEvent,
  type ExecutionEvent,
  type StepflowEvent,
  type StepflowEventListener,
} from '../../core/events.js';
import type { Execution, ExecutionOwner } from '../../core/model.js';
import type { EventBus } from '../../engine/event-bus.js';
import { createStoreTail, type StoreTailOptions, type TailStore } from './store-tail.js';

/**
 * Where the live hub gets its events: one stream in the vocabulary of `core/events.ts`, whichever
 * process runs the execution. Runs of this process come from its event bus as they happen; runs
 * of other processes on the same store (a `stepflow run` in a terminal; later, workers behind
 * several API replicas) are followed through the store, and only while someone watches them.
 */
export interface LiveSource {
  /**
   * Every event the source delivers, in order per execution: all of this process's (job events
   * included), plus those of the executions that are followed or, for {@link watchExecutions},
   * their execution-level ones.
   */
  subscribe(listener: StepflowEventListener): () => void;
  /** Someone watches this execution: deliver its steps, lines, annotations, artifacts and state. */
  follow(executionId: string): LiveInterest;
  /** Someone watches the list: deliver the execution-level events of every execution. */
  watchExecutions(): LiveInterest;
  /** Executions queued or running in other processes, as last delivered (only while watched). */
  activeElsewhere(): Execution[];
  /** Whether this process delivers the execution's events as they happen (it runs it). */
  isLocal(executionId: string): boolean;
  close(): void;
}

/** Interest in part of the stream; counted, so each one is released once. */
export interface LiveInterest {
  /**
   * Resolves once the source has its starting point: for {@link LiveSource.follow}, a snapshot
   * and history read from the store afterwards plus the events delivered afterwards make the
   * whole execution; for {@link LiveSource.watchExecutions}, {@link LiveSource.activeElsewhere}
   * is known.
   */
  ready: Promise<void>;
  release(): void;
}

export interface LiveSourceOptions {
  bus: EventBus;
  store: TailStore;
  /** This process: executions it owns come from the bus and are never tailed. */
  owner: ExecutionOwner;
  /**
   * How often the store is looked at while a foreign execution is watched: default 100 ms, or
   * {@link NOTICED_POLL_MS} when the store's change notices wake the tail.
   */
  pollMs?: number;
  /** The store's change notices, when it has them (PostgreSQL). */
  changes?: StoreTailOptions['changes'];
  onError(error: unknown): void;
}

/**
 * The tail's poll when change notices wake it: only the fallback for a notice missed (while the
 * notice connection reconnects), so a second's latency then, and ten marker reads a second less.
 */
const NOTICED_POLL_MS = 1000;

/** The bus for this process's executions, a store tail for the others. */
export function createLiveSource({
  bus,
  store,
  owner,
  pollMs,
  changes,
  onError,
}: LiveSourceOptions): LiveSource {
  const listeners = new Set<StepflowEventListener>();
  // Executions whose events this bus carries and that have not ended: runs of this process and
  // remote runs reporting to it (those have their reporter as owner, hence this set).
  const onBus = new Set<string>();
  const trackOnBus = (event: ExecutionEvent): void => {
    if (event.type === 'execution.finished') onBus.delete(event.executionId);
    else onBus.add(event.executionId);
  };
  const deliver = (event: StepflowEvent): void => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        // One broken subscriber must not stop the others.
        onError(error);
      }
    }
  };
  const unsubscribeBus = bus.subscribe((event) => {
    // Summary texts (up to 1 MiB) are for the store: watchers learn of them by `hasSummary`.
    if (event.type === 'summary.updated') return;
    if (isExecutionEvent(event)) trackOnBus(event);
    deliver(event);
  });
  const isLocal = (executionId: string, execution?: Execution): boolean =>
    onBus.has(executionId) || (execution?.owner != null && sameOwner(execution.owner, owner));
  const tail = createStoreTail({
    store,
    isLocal,
    emit: deliver,
    ...(changes === undefined ? {} : { changes, pollMs: NOTICED_POLL_MS }),
    ...(pollMs === undefined ? {} : { pollMs }),
    onError,
  });
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    follow: (executionId) => tail.follow(executionId),
    watchExecutions: () => tail.watchExecutions(),
    activeElsewhere: () => tail.activeElsewhere(),
    isLocal: (executionId) => onBus.has(executionId),
    close() {
      unsubscribeBus();
      tail.close();
      listeners.clear();
    },
  };
}

function sameOwner(a: ExecutionOwner, b: ExecutionOwner): boolean {
  return a.host === b.host && a.pid === b.pid && a.startTime === b.startTime;
}
