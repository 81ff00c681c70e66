import { ERROR_CODES, isStepflowError } from '../core/errors.js';
import type { ExecutionOwner } from '../core/model.js';
import type { ExecutionStore } from '../store/store.js';
import type { Engine } from './engine.js';
import type { EventBus } from './event-bus.js';

export interface CancelWatcherOptions {
  store: Pick<ExecutionStore, 'cancelRequests' | 'changeMarker'>;
  engine: Pick<Engine, 'active' | 'cancel'>;
  /** Wakes the watcher when an execution is queued or starts. */
  bus: EventBus;
  /** This process: requests for its executions are the ones it acts on. */
  owner: ExecutionOwner;
  /** Time between two looks at the store while anything runs; a request is seen within about this. */
  intervalMs?: number;
  /** A look that failed (the store is unavailable); the next one tries again. */
  onError?: (error: unknown) => void;
}

export interface CancelWatcher {
  /** Stops watching (an ongoing look finishes; nothing is cancelled after it). */
  close(): void;
}

const DEFAULT_CANCEL_POLL_MS = 250;

/** What an execution cancelled on request says in its log and error. */
const CANCEL_REQUESTED_REASON = 'requested from another process (the dashboard, the API or stepflow cancel)';

/**
 * The owner's side of cancel from anywhere: while this process runs or queues executions, it looks
 * every `intervalMs` for cancel requests recorded in the store by other processes and cancels
 * those executions through the engine, as a local cancel would. Idle, it does not look at all. A
 * look is one read of the store's change marker, plus one indexed query only when another
 * connection committed since the last look.
 */
export function createCancelWatcher(options: CancelWatcherOptions): CancelWatcher {
  const { store, engine, bus, owner, intervalMs = DEFAULT_CANCEL_POLL_MS } = options;
  const onError =
    options.onError ??
    ((error: unknown) => console.error('stepflow: reading cancel requests failed:', error));
  let timer: NodeJS.Timeout | undefined;
  let looking = false;
  let closed = false;
  let marker: number | undefined;
  // Cancelled on request and maybe still stopping: its request stays listed until its end is stored.
  let handled = new Set<string>();

  const schedule = (): void => {
    if (closed || timer !== undefined || looking) return;
    timer = setTimeout(tick, intervalMs);
    // Never what keeps a process alive: the runs it watches do that.
    timer.unref();
  };

  const tick = (): void => {
    timer = undefined;
    const active = engine.active();
    if (active.length === 0) {
      // Idle: the next execution.queued/started wakes us, and looks afresh.
      marker = undefined;
      handled = new Set();
      return;
    }
    looking = true;
    look(new Set(active.map((e) => e.id))).then(
      () => {
        looking = false;
        schedule();
      },
      (error: unknown) => {
        looking = false;
        // After close the store may be closing too: that is no failure to report.
        if (!closed) onError(error);
        schedule();
      },
    );
  };

  const look = async (active: Set<string>): Promise<void> => {
    const current = await store.changeMarker();
    if (current === marker) return;
    const requested = await store.cancelRequests(owner);
    // Set only once read: a failed query is retried on the next look.
    marker = current;
    if (closed) return;
    for (const id of requested) {
      if (!active.has(id) || handled.has(id)) continue;
      handled.add(id);
      try {
        engine.cancel(id, CANCEL_REQUESTED_REASON);
      } catch (error) {
        // It ended between engine.active() and here: nothing left to cancel.
        if (!(isStepflowError(error) && error.code === ERROR_CODES.NOT_FOUND)) throw error;
      }
    }
    handled = new Set(requested.filter((id) => handled.has(id)));
  };

  const unsubscribe = bus.subscribe((event) => {
    if (event.type === 'execution.queued' || event.type === 'execution.started') schedule();
  });

  return {
    close() {
      closed = true;
      unsubscribe();
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
