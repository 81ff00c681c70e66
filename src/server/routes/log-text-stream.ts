import { Readable } from 'node:stream';
import { renderLogText } from '../../core/log-text.js';
import { isTerminalExecutionStatus } from '../../core/statuses.js';
import type { ExecutionReads } from '../../app/executions.js';
import type { LogQuery } from '../../store/store.js';

export interface LogTextStreamOptions {
  store: Pick<ExecutionReads, 'getExecution' | 'readLog' | 'readLogText'>;
  executionId: string;
  filter: Pick<LogQuery, 'stepId' | 'stream' | 'text'>;
  /** Start after this seq. */
  after?: number;
  /** Keep polling for new lines until the execution has ended. */
  follow?: boolean;
  pollMs?: number;
  /** Lines per filtered store read: bounds memory (a line is at most 64 KiB) while keeping reads few. */
  pageSize?: number;
}

/** Unfiltered pages: the store bounds them by bytes too (about 1 MiB), so fewer, bigger reads. */
const TEXT_PAGE_LINES = 10_000;

let openFollowers = 0;

/** Follow streams not yet closed: for metrics, and for tests proving a disconnect stops one. */
export function countLogFollowers(): number {
  return openFollowers;
}

/**
 * The raw (already masked) log as text, read page by page from the store as the client takes it,
 * so a 2M-line log is never one string. Continued pieces of a long line are joined without a
 * newline, as `stepflow logs` prints them.
 *
 * With `follow`, it polls the store rather than listening to the bus: lines reach the store up to
 * ~100 ms after the bus, and paging by seq from the store is what makes "no gap, no duplicate" hold
 * (it also tails runs driven by another process). It ends once a read that started after the
 * execution was seen finished comes back caught up. Destroying the stream (Fastify does when the
 * client goes away) stops the polling at once.
 */
export function createLogTextStream({
  store,
  executionId,
  filter,
  after: start = 0,
  follow = false,
  pollMs = 200,
  pageSize = 2000,
}: LogTextStreamOptions): Readable {
  let after = start;
  let started = false;
  let stopped = false;
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;

  // Unfiltered, the store hands over the stored bytes as they are (no line objects): a 200k-line
  // log went from ~90 to ~25 ms. A text filter can match one piece of a continued line and not
  // the next: then each match ends its line.
  const unfiltered = filter.stepId === undefined && filter.stream === undefined && filter.text === undefined;
  const readPage = async (): Promise<{ text: string | Buffer; nextAfter: number; hasMore: boolean }> => {
    if (unfiltered) return store.readLogText(executionId, { after, limit: TEXT_PAGE_LINES });
    const page = await store.readLog(executionId, { ...filter, after, limit: pageSize });
    return {
      text: renderLogText(page.lines, filter.text === undefined),
      nextAfter: page.nextAfter,
      hasMore: page.hasMore,
    };
  };

  /** Resolves on the next `read()` (the consumer wants more), a poll tick, or destroy. */
  const wait = (ms?: number): Promise<void> =>
    new Promise((resolve) => {
      clearTimeout(timer);
      wake = resolve;
      if (ms !== undefined) timer = setTimeout(resolve, ms);
    });

  const pump = async (): Promise<void> => {
    let caughtUp = true;
    let endSeen = false;
    for (;;) {
      if (follow && caughtUp) {
        // Read before the page: lines committed with (or before) the final status are in it.
        const execution = await store.getExecution(executionId);
        if (stopped) return;
        if (execution === undefined) return void readable.push(null); // deleted meanwhile
        endSeen = isTerminalExecutionStatus(execution.status);
      }
      const page = await readPage();
      if (stopped) return;
      after = page.nextAfter;
      caughtUp = !page.hasMore;
      const empty = page.text.length === 0;
      const full = !empty && !readable.push(page.text);
      if (caughtUp && (!follow || endSeen)) return void readable.push(null);
      if (full) await wait();
      else if (caughtUp && empty) await wait(pollMs);
      if (stopped) return;
    }
  };

  const readable = new Readable({
    read() {
      if (started) {
        wake?.();
        return;
      }
      started = true;
      pump().catch((error: unknown) => {
        // Fastify logs it and ends the response (the status line may already be out).
        if (!stopped) readable.destroy(error instanceof Error ? error : new Error(String(error)));
      });
    },
    destroy(error, callback) {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      if (follow) openFollowers--;
      callback(error);
    },
  });
  if (follow) openFollowers++;
  return readable;
}
