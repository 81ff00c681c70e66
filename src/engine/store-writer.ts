import { ERROR_CODES, isStepflowError } from '../core/errors.js';
import { isExecutionEvent, type StepflowEvent } from '../core/events.js';
import type {
  Annotation,
  Artifact,
  Execution,
  ExecutionOwner,
  LogLine,
  ResourceSample,
  Step,
} from '../core/model.js';
import { isTerminalExecutionStatus } from '../core/statuses.js';
import type { ExecutionStore, WriteBatch } from '../store/store.js';
import { createHeldOutput } from './held-output.js';

export interface StoreWriterOptions {
  store: ExecutionStore;
  /** Longest time an event waits before it is committed. */
  flushIntervalMs?: number;
  /**
   * Commit at once when this many lines are pending, so memory stays bounded under a flood. 5,000
   * (~8 ms of 20 one-line-per-write scripts): lines die young instead of surviving scavenges in a
   * batch; measured against 20,000 (docs/PERFORMANCE.md): ingest 3.3 → 3.6 M lines/s, `stepflow
   * run` of 2M lines 1.35 → 1.64 M lines/s, 20 scripts at once no worse.
   */
  maxPendingLines?: number;
  /** This process: its open executions get a heartbeat (`ownerSeen`) at most every `heartbeatMs`. */
  owner?: ExecutionOwner;
  heartbeatMs?: number;
  /** First and longest wait between two attempts at a commit that failed (doubling in between). */
  retryMinMs?: number;
  retryMaxMs?: number;
  /**
   * While commits fail, log text (bytes, about) held in memory beyond which every execution whose
   * output is held is handed to `onOverflow`, once each, to be stopped.
   */
  maxHeldBytes?: number;
  /** Stops these executions; `reason` is what they should record as their error. */
  onOverflow?: (executionIds: string[], reason: string) => void;
  /** How long `close()` keeps retrying a failing commit before giving up on what it holds. */
  closeTimeoutMs?: number;
  /** Where the writer reports a failing store, its recovery, and data it had to give up. */
  log?: (message: string, error?: unknown) => void;
  now?: () => number;
}

/** The writer's view of the store, for health endpoints. */
export interface StoreWriterHealth {
  /** When commits started to fail (ISO); null while they succeed. */
  failingSince: string | null;
  /** The last commit error (catalog code and message); null while commits succeed. */
  error: { code: string; message: string } | null;
  /** Failed attempts in the current outage. */
  failedAttempts: number;
  /** Failed attempts since the writer was created. */
  failedAttemptsTotal: number;
  /** Lines waiting to be committed (normally a flush interval's worth). */
  heldLines: number;
  /** Their text and overhead in bytes, about; counted only while commits fail (0 otherwise). */
  heldBytes: number;
}

export interface StoreWriter {
  /** Feed it every event (subscribe it to the bus). */
  handle(event: StepflowEvent): void;
  /**
   * These events, about to be published, are in the store already (their publisher wrote them in
   * its own transaction, as remote ingest does): {@link handle} skips them, so they are not
   * committed a second time. Only these objects: any other event is written as usual.
   */
  alreadyStored(events: readonly StepflowEvent[]): void;
  /**
   * Commits everything pending now. While commits fail it waits for the next retry instead, and
   * resolves whether that succeeded or not: it never rejects.
   */
  flush(): Promise<void>;
  /** Flushes (retrying a failing store for up to `closeTimeoutMs`) and stops the timers. */
  close(): Promise<void>;
  health(): StoreWriterHealth;
  /**
   * While commits fail: the error an execution ending now must record (it ends `failed`, its
   * record being incomplete); null while they succeed.
   */
  failure(): string | null;
}

/**
 * Failures that can heal while we wait: a full disk, a lock held too long, an I/O or permission
 * error. Any other (a batch the store refuses, a bug) would fail the same way forever, so its batch
 * is reported and dropped rather than wedging every later write behind it.
 */
const canHeal = (error: unknown): boolean =>
  isStepflowError(error) &&
  (error.code === ERROR_CODES.STORE_FULL || error.code === ERROR_CODES.STORE_UNAVAILABLE);

/**
 * Turns the event stream into batched store writes: one transaction per flush, whatever the number
 * of lines. Execution and step snapshots are coalesced (only the latest state of each is written).
 *
 * A commit that fails is never dropped: its batch is kept and retried, first after `retryMinMs`,
 * then doubling up to `retryMaxMs`, ahead of everything that came after it (which keeps
 * accumulating, coalesced as usual). While that lasts the store is `failing` (see {@link health});
 * the output held is counted, and past `maxHeldBytes` the executions printing are handed to
 * `onOverflow` to be stopped, which bounds memory by the bound plus what they print while dying.
 */
export function createStoreWriter({
  store,
  flushIntervalMs = 100,
  maxPendingLines = 5_000,
  owner,
  heartbeatMs = 5000,
  retryMinMs = 100,
  retryMaxMs = 2000,
  maxHeldBytes = 64 * 1024 * 1024,
  onOverflow = () => {},
  closeTimeoutMs = 5000,
  log = (message, error) => console.error(`stepflow: ${message}`, ...(error === undefined ? [] : [error])),
  now = Date.now,
}: StoreWriterOptions): StoreWriter {
  let executions = new Map<string, Execution>();
  let steps = new Map<string, { executionId: string; step: Step }>();
  // One entry per `log.lines` event, in arrival order: the store takes several per execution, so
  // a flood of lines is never copied into one big array.
  let lines: { executionId: string; lines: LogLine[] }[] = [];
  let artifacts: { executionId: string; artifact: Artifact }[] = [];
  let annotations: { executionId: string; annotation: Annotation }[] = [];
  let samples = new Map<string, ResourceSample[]>();
  let summaries = new Map<string, { executionId: string; stepId: number | null; summary: string }>();
  let pendingLines = 0;
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  // Executions of this owner not finished yet: while there are any, the heartbeat beats.
  const open = new Set<string>();
  let lastBeat = -Infinity;

  // Batches whose commit failed (or that were taken behind one), oldest first.
  const held: WriteBatch[] = [];
  let failing: { since: number; error: unknown; attempts: number } | undefined;
  let failedAttemptsTotal = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryDelay = retryMinMs;
  let attemptWaiters: (() => void)[] = [];
  let closing: Promise<void> | undefined;
  let closed = false;
  // While failing: the output held (in `held` and pending), to stop its executions past the bound.
  const heldOutput = createHeldOutput(maxHeldBytes);
  // Events their publisher stored itself; by identity, so nothing published meanwhile is skipped.
  const stored = new WeakSet<StepflowEvent>();

  const isOwn = (execution: Execution): boolean =>
    owner !== undefined &&
    execution.owner !== null &&
    execution.owner.pid === owner.pid &&
    execution.owner.host === owner.host &&
    execution.owner.startTime === owner.startTime;

  const heartbeatDue = (): boolean => owner !== undefined && open.size > 0 && now() - lastBeat >= heartbeatMs;

  const isEmpty = (): boolean =>
    executions.size === 0 &&
    steps.size === 0 &&
    lines.length === 0 &&
    artifacts.length === 0 &&
    annotations.length === 0 &&
    samples.size === 0 &&
    summaries.size === 0;

  const takeBatch = (): WriteBatch | undefined => {
    const beat = heartbeatDue();
    if (isEmpty() && !beat) return undefined;
    const batch: WriteBatch = {
      executions: [...executions.values()],
      steps: [...steps.values()],
      lines,
      artifacts,
      annotations,
      samples: [...samples].map(([executionId, list]) => ({ executionId, samples: list })),
      summaries: [...summaries.values()],
    };
    if (beat && owner) {
      batch.ownerSeen = { owner, at: new Date(now()).toISOString() };
      lastBeat = now();
    }
    executions = new Map();
    steps = new Map();
    lines = [];
    artifacts = [];
    annotations = [];
    samples = new Map();
    summaries = new Map();
    pendingLines = 0;
    return batch;
  };

  const describe = (error: unknown): { code: string; message: string } =>
    isStepflowError(error)
      ? { code: error.code, message: error.message }
      : { code: ERROR_CODES.INTERNAL, message: error instanceof Error ? error.message : String(error) };

  /** The failure in words: "disk full" for a full disk, else the store's code. */
  const cause = (): string => {
    const { code, message } = describe(failing?.error);
    return `${code === ERROR_CODES.STORE_FULL ? 'disk full' : `store error ${code}`} (${message})`;
  };

  const linesOf = (batch: WriteBatch): number => {
    let n = 0;
    for (const entry of batch.lines ?? []) n += entry.lines.length;
    return n;
  };
  const heldLines = (): number => held.reduce((n, batch) => n + linesOf(batch), pendingLines);
  const countHeld = (entries: readonly { executionId: string; lines: LogLine[] }[]): void => {
    for (const entry of entries) heldOutput.add(entry.executionId, entry.lines);
  };

  const checkOverflow = (): void => {
    const ids = heldOutput.overflowing();
    if (ids.length === 0) return;
    const mib = Math.round(maxHeldBytes / (1024 * 1024));
    log(`${cause()}: more than ${mib} MiB of output held in memory; stopping ${ids.join(', ')}`);
    onOverflow(
      ids,
      `${cause()}: StepFlow could not save this run's output, so it stopped the run once more than ${mib} MiB were waiting in memory`,
    );
  };

  const settleWaiters = (): void => {
    const waiters = attemptWaiters;
    attemptWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const startFailing = (error: unknown): void => {
    failedAttemptsTotal++;
    if (failing) {
      failing.attempts++;
      if (describe(failing.error).message !== describe(error).message) log('store writes still fail', error);
      failing.error = error;
    } else {
      failing = { since: now(), error, attempts: 1 };
      for (const batch of held) countHeld(batch.lines ?? []);
      countHeld(lines);
      log('cannot commit to the store; keeping the batch and retrying', error);
    }
    scheduleRetry();
    checkOverflow();
  };

  const recovered = (): void => {
    if (!failing) return;
    const seconds = ((now() - failing.since) / 1000).toFixed(1);
    log(`the store accepts writes again (after ${failing.attempts} failed attempts, ${seconds} s)`);
    failing = undefined;
    retryDelay = retryMinMs;
    heldOutput.clear();
  };

  /**
   * Writes the held batches in order, then what piled up meanwhile; stops at the first failure and
   * schedules the next try. Waiting flushes resolve after either.
   */
  const retry = async (): Promise<void> => {
    retryTimer = undefined;
    for (;;) {
      if (held.length === 0) {
        // Already counted while it was pending.
        const rest = takeBatch();
        if (!rest) break;
        held.push(rest);
      }
      try {
        await store.write(held[0]!);
      } catch (error) {
        if (canHeal(error)) {
          startFailing(error);
          settleWaiters();
          return;
        }
        log('the store refused a batch; dropping it', error);
      }
      held.shift();
    }
    recovered();
    settleWaiters();
  };

  const scheduleRetry = (): void => {
    if (retryTimer || closed) return;
    retryTimer = setTimeout(() => {
      writing = writing.then(retry);
    }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, retryMaxMs);
  };

  const commit = async (batch: WriteBatch): Promise<void> => {
    // Behind a held batch: wait in line, so batches commit in the order they were taken.
    if (held.length > 0) {
      held.push(batch);
      countHeld(batch.lines ?? []);
      checkOverflow();
      return;
    }
    try {
      await store.write(batch);
    } catch (error) {
      if (!canHeal(error)) return log('the store refused a batch; dropping it', error);
      held.push(batch);
      startFailing(error);
    }
  };

  const flush = (): Promise<void> => {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    // The held batches go first; the next attempt takes the rest along once they are in. Once
    // closed, no attempt comes.
    if (failing) return closed ? writing : new Promise((resolve) => attemptWaiters.push(resolve));
    const batch = takeBatch();
    if (!batch) return writing;
    // Writes are chained so batches commit in the order they were taken.
    writing = writing.then(() => commit(batch));
    return writing;
  };

  const schedule = (): void => {
    if (timer) return;
    timer = setTimeout(() => void flush(), flushIntervalMs);
    timer.unref();
  };

  // An open execution that prints nothing still shows it is alive.
  const heartbeat = owner
    ? setInterval(() => {
        if (!failing && heartbeatDue()) void flush();
      }, heartbeatMs)
    : undefined;
  heartbeat?.unref();

  return {
    alreadyStored(events) {
      for (const event of events) stored.add(event);
    },
    handle(event) {
      // Job events are the job store's business (it records fires and retries itself).
      if (!isExecutionEvent(event)) return;
      if (stored.has(event)) return;
      switch (event.type) {
        case 'execution.queued':
          if (isOwn(event.execution)) open.add(event.executionId);
          return;
        case 'execution.started':
        case 'execution.updated':
        case 'execution.finished':
          executions.set(event.executionId, event.execution);
          if (isTerminalExecutionStatus(event.execution.status)) open.delete(event.executionId);
          else if (isOwn(event.execution)) open.add(event.executionId);
          break;
        case 'step.started':
        case 'step.updated':
        case 'step.finished':
          steps.set(`${event.executionId}\u0000${event.step.id}`, {
            executionId: event.executionId,
            step: event.step,
          });
          break;
        case 'log.lines': {
          if (event.lines.length === 0) return;
          lines.push({ executionId: event.executionId, lines: event.lines });
          pendingLines += event.lines.length;
          if (failing) {
            heldOutput.add(event.executionId, event.lines);
            checkOverflow();
          }
          break;
        }
        case 'artifact.recorded':
          artifacts.push({ executionId: event.executionId, artifact: event.artifact });
          break;
        case 'annotation.added':
          annotations.push({ executionId: event.executionId, annotation: event.annotation });
          break;
        case 'resource.sampled': {
          const list = samples.get(event.executionId);
          if (list) list.push(event.sample);
          else samples.set(event.executionId, [event.sample]);
          break;
        }
        case 'summary.updated':
          // Each event holds the whole text: only the latest of each is written.
          summaries.set(`${event.executionId}\u0000${event.stepId ?? ''}`, {
            executionId: event.executionId,
            stepId: event.stepId,
            summary: event.summary,
          });
          break;
      }
      // While failing, the retry timer decides when to write: nothing to gain from trying sooner.
      if (failing) return;
      if (pendingLines >= maxPendingLines) void flush();
      else schedule();
    },
    flush,
    close: () =>
      (closing ??= (async () => {
        if (heartbeat) clearInterval(heartbeat);
        const deadline = now() + closeTimeoutMs;
        for (;;) {
          await flush();
          if (!failing && held.length === 0 && isEmpty()) break;
          if (now() >= deadline) {
            const lost = heldLines();
            log(
              `giving up after ${closeTimeoutMs} ms: ${lost} log lines and the last state of the executions ` +
                'listed below were not saved; the next start marks unfinished ones interrupted',
              failing?.error,
            );
            log(`not saved: ${[...new Set([...held.flatMap(idsOf), ...executions.keys()])].join(', ')}`);
            break;
          }
        }
        clearTimeout(retryTimer);
        retryTimer = undefined;
        closed = true;
        settleWaiters();
      })()),
    health() {
      return {
        failingSince: failing ? new Date(failing.since).toISOString() : null,
        error: failing ? describe(failing.error) : null,
        failedAttempts: failing?.attempts ?? 0,
        failedAttemptsTotal,
        heldLines: heldLines(),
        heldBytes: failing ? heldOutput.bytes() : 0,
      };
    },
    failure() {
      if (!failing) return null;
      return `${cause()}: StepFlow could not save this run while it ran (its log and end were held in memory meanwhile)`;
    },
  };
}

function idsOf(batch: WriteBatch): string[] {
  return [
    ...(batch.executions ?? []).map((e) => e.id),
    ...(batch.lines ?? []).map((entry) => entry.executionId),
  ];
}
