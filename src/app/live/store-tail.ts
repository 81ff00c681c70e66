import { ERROR_CODES, isStepflowError } from '../../core/errors.js';
import type { ExecutionEvent } from '../../core/events.js';
import type { Execution } from '../../core/model.js';
import { isTerminalExecutionStatus } from '../../core/statuses.js';
import type { ExecutionStore, StoreChange } from '../../store/store.js';
import { ExecutionFollower } from './execution-follower.js';
import type { LiveInterest } from './live-source.js';
import { executionRow, rowEvent, sameRow } from './row-events.js';

export type TailStore = Pick<ExecutionStore, 'changeMarker' | 'getExecution' | 'readLog' | 'listExecutions'>;

export interface StoreTailOptions {
  store: TailStore;
  /**
   * Whether the execution's events reach the hub another way (this process runs it, or receives
   * its reports); `execution` is given when a row was read. Such executions are never tailed.
   */
  isLocal(executionId: string, execution?: Execution): boolean;
  emit(event: ExecutionEvent): void;
  /** Time between two looks at the change marker while anything is watched. */
  pollMs?: number;
  /**
   * The store's change notices ({@link ExecutionStore.onChange}), when it has them: each one makes
   * the tail look at once; polling stays, as the fallback for a notice missed.
   */
  changes?: (listener: (change: StoreChange) => void) => () => void;
  /** A store read failed (it is retried on the next tick). */
  onError(error: unknown): void;
}

export interface StoreTail {
  follow(executionId: string): LiveInterest;
  watchExecutions(): LiveInterest;
  activeElsewhere(): Execution[];
  close(): void;
}

/** At most this many lines per execution and tick; the rest comes on the next one, at once. */
const MAX_LINES_PER_TICK = 100_000;
/**
 * Least time between the starts of two ticks woken by change notices: a busy database sends many
 * (each process up to ~40 a second per kind), and a tick may read lists of executions.
 */
const WAKE_GAP_MS = 50;
/** The newest executions read per tick to notice runs that appeared (and maybe ended) meanwhile. */
const RECENT_LIMIT = 50;
/** Executions queued or running elsewhere read per tick (the port's maximum page). */
const ACTIVE_LIMIT = 500;

/**
 * Follows, through the store, executions that another process runs — only those someone watches,
 * and only while they do. One tick: read the store's change marker once; when it moved (another
 * process committed), read each followed execution (its detail, then its lines after the last
 * seq delivered) and, for the `executions` topic, the active and newest executions; turn what
 * changed into the same events the bus carries. A followed execution whose end was delivered is
 * not read again. Nothing is polled while nothing is watched.
 *
 * Only the port is used (`changeMarker`, `getExecution`, `readLog`, `listExecutions`): the same
 * tail serves a shared database behind several API replicas.
 */
export function createStoreTail({
  store,
  isLocal,
  emit,
  pollMs = 100,
  changes,
  onError,
}: StoreTailOptions): StoreTail {
  const followers = new Map<string, ExecutionFollower>();
  /** Rows of other processes' executions as last delivered (or as the starting point): active or followed ones. */
  const rows = new Map<string, Execution>();
  let watchers = 0;
  let listsReady: Promise<void> | undefined;
  let resolveListsReady: (() => void) | undefined;
  let listsStale = true;
  /** The next list read only takes the starting point: what is active then is not news. */
  let listsBaseline = true;
  /** Ids of the newest executions at the last list read; undefined before the first one. */
  let recentIds: Set<string> | undefined;
  let marker: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let timerDue = 0;
  let running = false;
  let again = false;
  /** A change notice came while a tick ran: tick again (after the gap). */
  let woken = false;
  let lastTickAt = Number.NEGATIVE_INFINITY;
  let closed = false;
  let unsubscribeChanges: (() => void) | undefined;

  const needsTicks = (): boolean =>
    watchers > 0 || [...followers.values()].some((f) => f.state === 'new' || f.state === 'following');

  const schedule = (delayMs: number): void => {
    if (closed) return;
    if (running) {
      if (delayMs === 0) again = true;
      return;
    }
    const due = Date.now() + delayMs;
    if (timer !== undefined) {
      // The sooner one stands: a wake-up replaces the poll, never the other way round.
      if (due >= timerDue) return;
      clearTimeout(timer);
    }
    timerDue = due;
    timer = setTimeout(() => void run(), delayMs);
    timer.unref();
  };

  const wakeDelay = (): number => Math.max(0, lastTickAt + WAKE_GAP_MS - Date.now());

  /** Subscribed at the first interest (it may open a connection), until close. */
  const listenForChanges = (): void => {
    if (changes === undefined || unsubscribeChanges !== undefined || closed) return;
    unsubscribeChanges = changes(() => {
      if (!needsTicks()) return;
      // A tick in progress may have read the marker before this commit: one more after it.
      if (running) woken = true;
      else schedule(wakeDelay());
    });
  };

  const run = async (): Promise<void> => {
    timer = undefined;
    running = true;
    woken = false;
    lastTickAt = Date.now();
    try {
      await tick();
    } catch (error) {
      // A bug of ours must not stop the tail (nor, from a timer, the process).
      onError(error);
    } finally {
      running = false;
    }
    if (again) {
      again = false;
      schedule(0);
    } else if (woken && needsTicks()) schedule(wakeDelay());
    else if (needsTicks()) schedule(pollMs);
  };

  const tick = async (): Promise<void> => {
    try {
      const current = await store.changeMarker();
      if (current !== marker) {
        marker = current;
        for (const follower of followers.values()) follower.stale = true;
        listsStale = true;
      }
    } catch (error) {
      onError(error);
      return;
    }
    for (const follower of [...followers.values()]) {
      if (follower.state === 'new' || (follower.state === 'following' && follower.stale)) {
        await readFollower(follower);
      }
    }
    if (watchers > 0 && listsStale) await readLists();
  };

  const readFollower = async (follower: ExecutionFollower): Promise<void> => {
    const id = follower.executionId;
    if (isLocal(id)) {
      follower.state = 'local';
      return follower.markReady();
    }
    const quiet = follower.state === 'new' && follower.quietStart;
    let read;
    try {
      read = await follower.read(store, MAX_LINES_PER_TICK);
    } catch (error) {
      // Deleted between the detail and its lines: gone, like a missing detail.
      if (isStepflowError(error) && error.code === ERROR_CODES.NOT_FOUND) read = undefined;
      else {
        onError(error);
        // Subscribers go on to read the store themselves (and report what fails there).
        follower.quietStart = false;
        return follower.markReady();
      }
    }
    // Released meanwhile, or this process now publishes its events (a remote run reporting again).
    if (followers.get(id) !== follower) return;
    if (read?.row === undefined) {
      follower.state = 'gone';
      rows.delete(id);
      return follower.markReady();
    }
    const { row, events, complete } = read;
    if (isLocal(id, row)) {
      follower.state = 'local';
      return follower.markReady();
    }
    follower.state = 'following';
    follower.stale = !complete;
    if (!complete) again = true;
    for (const event of events) emit(event);
    if (complete) deliverRow(row, quiet && !isNewToLists(id));
    if (complete && isTerminalExecutionStatus(row.status)) follower.state = 'ended';
    follower.markReady();
  };

  /** A run the `executions` topic has not seen yet (it appeared since the last list read). */
  const isNewToLists = (id: string): boolean =>
    watchers > 0 && recentIds !== undefined && !recentIds.has(id) && !rows.has(id);

  /**
   * Sends the row's change since it was last delivered. `quiet`: a first sight that is only the
   * starting point (subscribers read that state from the store themselves).
   */
  const deliverRow = (row: Execution, quiet: boolean): void => {
    const before = rows.get(row.id);
    if (before === undefined ? !quiet : !sameRow(before, row)) emit(rowEvent(before, row));
    rows.set(row.id, row);
  };

  const readLists = async (): Promise<void> => {
    let active: Execution[];
    let recent: Execution[];
    try {
      active = (await store.listExecutions({ status: ['queued', 'running'], limit: ACTIVE_LIMIT })).items;
      recent = (await store.listExecutions({ limit: RECENT_LIMIT })).items;
    } catch (error) {
      onError(error);
      // Subscribers are answered without the others' runs; the next read reports them as new.
      listsBaseline = false;
      resolveListsReady?.();
      return;
    }
    if (watchers === 0) return;
    const first = listsBaseline;
    const seen = new Map<string, Execution>();
    for (const execution of [...active, ...recent]) seen.set(execution.id, execution);
    for (const [id, row] of seen) {
      // A followed execution is delivered by its follower, in order with its lines.
      if (followers.has(id) || isLocal(id, row)) continue;
      const terminal = isTerminalExecutionStatus(row.status);
      const before = rows.get(id);
      if (before === undefined) {
        if (terminal) {
          // Ended between two reads: new to the topic only if it was not among the newest before.
          if (recentIds !== undefined && !recentIds.has(id)) emit(rowEvent(undefined, row));
          continue;
        }
        if (!first) emit(rowEvent(undefined, row));
      } else if (!sameRow(before, row)) emit(rowEvent(before, row));
      if (terminal) rows.delete(id);
      else rows.set(id, row);
    }
    // Active before, in neither list now: ended (and older than the newest), or deleted.
    for (const [id, before] of [...rows]) {
      if (seen.has(id) || followers.has(id)) continue;
      try {
        const detail = await store.getExecution(id);
        const row = detail && executionRow(detail);
        if (row && !sameRow(before, row)) emit(rowEvent(before, row));
        if (!row || isTerminalExecutionStatus(row.status)) rows.delete(id);
        else rows.set(id, row);
      } catch (error) {
        onError(error);
      }
    }
    recentIds = new Set(recent.map((execution) => execution.id));
    listsStale = false;
    listsBaseline = false;
    resolveListsReady?.();
    resolveListsReady = undefined;
  };

  const forget = (id: string): void => {
    if (watchers === 0 || !isActive(rows.get(id))) rows.delete(id);
  };

  return {
    follow(executionId) {
      listenForChanges();
      let follower = followers.get(executionId);
      if (follower === undefined) {
        follower = new ExecutionFollower(executionId);
        followers.set(executionId, follower);
        if (isLocal(executionId)) {
          follower.state = 'local';
          follower.markReady();
        } else schedule(0);
      }
      follower.refs++;
      const own = follower;
      let released = false;
      return {
        ready: own.ready,
        release() {
          if (released) return;
          released = true;
          if (--own.refs > 0 || followers.get(executionId) !== own) return;
          followers.delete(executionId);
          own.markReady();
          forget(executionId);
        },
      };
    },
    watchExecutions() {
      listenForChanges();
      watchers++;
      if (listsReady === undefined) {
        listsReady = new Promise((resolve) => (resolveListsReady = resolve));
        listsStale = true;
        listsBaseline = true;
        schedule(0);
      }
      const ready = listsReady;
      let released = false;
      return {
        ready,
        release() {
          if (released) return;
          released = true;
          if (--watchers > 0) return;
          // Nobody watches the list: forget it; the next watcher starts from a fresh read.
          resolveListsReady?.();
          resolveListsReady = undefined;
          listsReady = undefined;
          recentIds = undefined;
          for (const id of [...rows.keys()]) if (!followers.has(id)) rows.delete(id);
        },
      };
    },
    activeElsewhere: () => [...rows.values()].filter(isActive),
    close() {
      closed = true;
      unsubscribeChanges?.();
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      for (const follower of followers.values()) follower.markReady();
      resolveListsReady?.();
    },
  };
}

function isActive(row: Execution | undefined): row is Execution {
  return row !== undefined && !isTerminalExecutionStatus(row.status);
}
