import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { ERROR_CODES, StepflowError } from '../../core/errors.js';
import type { LogLine } from '../../core/model.js';
import { toExecutionDetailJson } from '../../protocol/execution-json.js';
import type { ExecutionReads } from '../../app/executions.js';
import { LINE_OVERHEAD, toFrame } from './frames.js';
import {
  closeSubscription,
  goLive,
  sendLines,
  type ExecutionSubscription,
  type SubscriptionContext,
} from './subscription.js';

export interface CatchUpDeps extends SubscriptionContext {
  store: Pick<ExecutionReads, 'getExecution' | 'readLog'>;
  /** Commits every event published so far (the store writer's flush). */
  flushWriter(): Promise<void>;
}

/** Lines per store read while replaying. */
const PAGE_LINES = 2000;
/** How often a replay looks again at a client whose buffer is full. */
const DRAIN_POLL_MS = 10;

/**
 * Subscribes for real: acknowledges, sends the full state, replays `(since, …]` from the store
 * and hands over to live batches. Live batches published meanwhile are held by the subscription
 * (see `subscription.ts`), so the order of operations is what makes it gapless:
 *
 * 1. the subscription was registered (synchronously, when the message arrived): every batch
 *    after that is held;
 * 2. the store writer is flushed: every line published before (1) is now committed;
 * 3. history is read and sent until the store has nothing more;
 * 4. when the replay reached `heldFrom` (the start of what is held), the held lines above
 *    `lastSent` go out and the subscription is live, in one synchronous step. Otherwise (held
 *    lines were dropped because the client is slow) flush again and go back to 3.
 *
 * The replay waits while the client's buffer is full, so history costs at most one allowance.
 */
export async function subscribeExecution(
  sub: ExecutionSubscription,
  since: number | undefined,
  deps: CatchUpDeps,
): Promise<void> {
  const { feed, client } = sub;
  const covered = sub.heldFrom;
  await deps.flushWriter();
  if (sub.state !== 'catching-up') return;
  const detail = await deps.store.getExecution(feed.executionId);
  if (sub.state !== 'catching-up') return;
  if (detail === undefined) {
    throw new StepflowError(ERROR_CODES.NOT_FOUND, `execution ${JSON.stringify(feed.executionId)} not found`);
  }
  feed.seed(detail);
  const lastSeq = Math.max(feed.lastSeq, detail.lineCount);
  if (since !== undefined && since > lastSeq) {
    throw new StepflowError(ERROR_CODES.VALIDATION, `since ${since} is past the last line (${lastSeq})`);
  }
  sub.lastSent = since ?? lastSeq;
  client.sendControl({ type: 'subscribed', topic: sub.topic, lastSeq });
  // The stored row's lineCount trails the bus while the execution runs.
  const execution = toExecutionDetailJson({ ...detail, lineCount: lastSeq });
  client.sendFrame(toFrame({ type: 'execution', execution }));
  await catchUp(sub, deps, covered);
}

/**
 * Steps 3–4 above; also used when a live subscription finds a gap. `covered`: the store is known
 * to hold every line up to this seq (they were published before a flush that has completed).
 */
export async function catchUp(sub: ExecutionSubscription, deps: CatchUpDeps, covered = -1): Promise<void> {
  const id = sub.feed.executionId;
  for (;;) {
    for (;;) {
      const page = await deps.store.readLog(id, { after: sub.lastSent, limit: PAGE_LINES });
      if (sub.state !== 'catching-up') return;
      if (!(await sendPaced(sub, page.lines, deps))) return;
      if (!page.hasMore) break;
      // A long history must not hold the event loop: let sockets and timers run between pages.
      await yieldToLoop();
      if (sub.state !== 'catching-up') return;
    }
    // Caught up with what is held; or the store, though flushed, stops short of what it should
    // hold: the publisher skipped those seqs and waiting would not bring them.
    // No await between this check and goLive: a batch arriving in between could move heldFrom.
    if (!(await waitForRoom(sub, 0))) return;
    if (sub.lastSent >= sub.heldFrom || sub.lastSent < covered) {
      goLive(sub, deps);
      return;
    }
    // Held lines were dropped (slow client) or not committed yet: flush, then read on.
    covered = sub.heldFrom;
    await deps.flushWriter();
    if (sub.state !== 'catching-up') return;
  }
}

/** Sends a page frame by frame, each when the client has room for it. */
async function sendPaced(sub: ExecutionSubscription, lines: LogLine[], deps: CatchUpDeps): Promise<boolean> {
  let start = 0;
  while (start < lines.length) {
    // About one frame's worth of lines at a time, so waiting happens between frames.
    let end = start;
    let bytes = 0;
    while (end < lines.length && bytes < deps.maxFrameBytes)
      bytes += (lines[end++]?.text.length ?? 0) + LINE_OVERHEAD;
    if (!(await waitForRoom(sub, bytes))) return false;
    if (!sendLines(sub, [lines.slice(start, end)], deps)) return false;
    start = end;
  }
  return true;
}

/** Resolves true once the client can take `bytes` more; false if the subscription ended meanwhile. */
async function waitForRoom(sub: ExecutionSubscription, bytes: number): Promise<boolean> {
  while (sub.state === 'catching-up' && sub.client.open && !sub.client.hasRoomFor(bytes)) {
    await sleep(DRAIN_POLL_MS);
  }
  return sub.state === 'catching-up' && sub.client.open;
}

/** Runs a catch-up, turning a failure into an `error` message and the end of that subscription. */
export function runCatchUp(
  task: Promise<void>,
  sub: ExecutionSubscription,
  deps: CatchUpDeps,
  onInternal: (error: unknown) => void,
): void {
  task.catch((error: unknown) => {
    const known = error instanceof StepflowError;
    if (!known) onInternal(error);
    const wasOpen = sub.state !== 'closed';
    closeSubscription(sub, deps);
    if (wasOpen) {
      sub.client.sendControl({
        type: 'error',
        code: known ? error.code : ERROR_CODES.INTERNAL,
        message: known ? error.message : 'internal error; see the server log',
        topic: sub.topic,
      });
    }
  });
}
