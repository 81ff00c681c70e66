import type { ExecutionEvent } from '../core/events.js';
import type { Annotation, Artifact, Execution, LogLine, ResourceSample, Step } from '../core/model.js';
import type { ExecutionStore, WriteBatch } from '../store/store.js';

export interface StoreWriterOptions {
  store: ExecutionStore;
  /** Longest time an event waits before it is committed. */
  flushIntervalMs?: number;
  /** Commit at once when this many lines are pending, so memory stays bounded under a flood. */
  maxPendingLines?: number;
  onError?: (error: unknown) => void;
}

export interface StoreWriter {
  /** Feed it every event (subscribe it to the bus). */
  handle(event: ExecutionEvent): void;
  /** Commits everything pending now. */
  flush(): Promise<void>;
  /** Flushes and stops the timer. */
  close(): Promise<void>;
}

/**
 * Turns the event stream into batched store writes: one transaction per flush, whatever the number
 * of lines. Execution and step snapshots are coalesced (only the latest state of each is written).
 */
export function createStoreWriter({
  store,
  flushIntervalMs = 100,
  maxPendingLines = 20_000,
  onError = (error) => console.error('stepflow: could not write to the store:', error),
}: StoreWriterOptions): StoreWriter {
  let executions = new Map<string, Execution>();
  let steps = new Map<string, { executionId: string; step: Step }>();
  // One entry per `log.lines` event, in arrival order: the store takes several per execution, so
  // a flood of lines is never copied into one big array.
  let lines: { executionId: string; lines: LogLine[] }[] = [];
  let artifacts: { executionId: string; artifact: Artifact }[] = [];
  let annotations: { executionId: string; annotation: Annotation }[] = [];
  let samples = new Map<string, ResourceSample[]>();
  let pendingLines = 0;
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  const takeBatch = (): WriteBatch | undefined => {
    if (
      executions.size === 0 &&
      steps.size === 0 &&
      lines.length === 0 &&
      artifacts.length === 0 &&
      annotations.length === 0 &&
      samples.size === 0
    ) {
      return undefined;
    }
    const batch: WriteBatch = {
      executions: [...executions.values()],
      steps: [...steps.values()],
      lines,
      artifacts,
      annotations,
      samples: [...samples].map(([executionId, list]) => ({ executionId, samples: list })),
    };
    executions = new Map();
    steps = new Map();
    lines = [];
    artifacts = [];
    annotations = [];
    samples = new Map();
    pendingLines = 0;
    return batch;
  };

  const flush = (): Promise<void> => {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    const batch = takeBatch();
    if (!batch) return writing;
    // Writes are chained so batches commit in the order they were taken.
    writing = writing.then(() => store.write(batch)).catch(onError);
    return writing;
  };

  const schedule = (): void => {
    if (timer) return;
    timer = setTimeout(() => void flush(), flushIntervalMs);
    timer.unref();
  };

  return {
    handle(event) {
      switch (event.type) {
        case 'execution.started':
        case 'execution.updated':
        case 'execution.finished':
          executions.set(event.executionId, event.execution);
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
      }
      if (pendingLines >= maxPendingLines) void flush();
      else schedule();
    },
    flush,
    async close() {
      await flush();
    },
  };
}
