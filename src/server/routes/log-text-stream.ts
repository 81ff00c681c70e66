import { Readable } from 'node:stream';
import { LineFlag, type LogLine } from '../../core/model.js';
import { isTerminalExecutionStatus } from '../../core/statuses.js';
import type { ExecutionReads } from '../../app/executions.js';
import type { LogQuery } from '../../store/store.js';

export interface LogTextStreamOptions {
  store: Pick<ExecutionReads, 'getExecution' | 'readLog'>;
  executionId: string;
  filter: Pick<LogQuery, 'stepId' | 'stream' | 'text'>;
  /** Start after this seq. */
  after?: number;
  /** Keep polling for new lines until the execution has ended. */
  follow?: boolean;
  pollMs?: number;
  /** Lines per store read: bounds memory (a line is at most 64 KiB) while keeping reads few. */
  pageSize?: number;
}

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

  const render = (lines: LogLine[]): string => {
    let text = '';
    // A text filter can match one piece of a continued line and not the next: end each match.
    const join = filter.text === undefined;
    for (const line of lines) text += join && line.flags & LineFlag.Continued ? line.text : `${line.text}\n`;
    return text;
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
      const page = await store.readLog(executionId, { ...filter, after, limit: pageSize });
      if (stopped) return;
      after = page.nextAfter;
      caughtUp = !page.hasMore;
      const text = render(page.lines);
      const full = text !== '' && !readable.push(text);
      if (caughtUp && (!follow || endSeen)) return void readable.push(null);
      if (full) await wait();
      else if (caughtUp && text === '') await wait(pollMs);
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
