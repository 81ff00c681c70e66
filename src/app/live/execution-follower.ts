import type { ExecutionEvent } from '../../core/events.js';
import type { Execution, ExecutionDetail, Step } from '../../core/model.js';
import type { ExecutionStore } from '../../store/store.js';
import { executionRow } from './row-events.js';

/** Lines per `readLog` call (the port's maximum). */
const PAGE_LINES = 10_000;

export type FollowerStore = Pick<ExecutionStore, 'getExecution' | 'readLog'>;

/** What one read of a followed execution found. */
export interface FollowerRead {
  /** The execution row as stored, or undefined when it does not exist (deleted, or a wrong id). */
  row: Execution | undefined;
  /** The full detail behind `row` (to tell whose run it is before anything is sent). */
  detail: ExecutionDetail | undefined;
  /** Steps, lines, annotations and artifacts since the previous read, in that order. */
  events: ExecutionEvent[];
  /** Every line up to the row's `lineCount` is in `events`: the row may be delivered after them. */
  complete: boolean;
}

/**
 * The store side of one execution that another process runs: how far its log was delivered and
 * the steps, artifacts and annotations as last delivered, so each read turns into the events
 * that happened since. The first read only takes the starting point and sends nothing:
 * subscribers read their snapshot and history from the store after it ({@link ready}), so each
 * of them is at or past that point when the next events come.
 */
export class ExecutionFollower {
  /** Subscriptions that want it. */
  refs = 0;
  /**
   * `new`: not read yet. `following`: read on every tick where the store moved. `ended`: its
   * final state was delivered. `local`: this process publishes its events. `gone`: not stored.
   */
  state: 'new' | 'following' | 'ended' | 'local' | 'gone' = 'new';
  /** Read on the next tick: the store moved since the last read, or that read stopped short. */
  stale = true;
  /** Highest line seq delivered (or, after the first read, stored at that moment). */
  seq = 0;
  /**
   * The first read may be quiet. Not once {@link ready} resolved without it (the read failed):
   * subscribers may then be behind it, so it sends everything, lines from the first.
   */
  quietStart = true;
  readonly ready: Promise<void>;
  private resolveReady!: () => void;
  private readonly steps = new Map<number, string>();
  private readonly artifacts = new Map<number, string>();
  private readonly annotations = new Set<number>();

  constructor(readonly executionId: string) {
    this.ready = new Promise((resolve) => (this.resolveReady = resolve));
  }

  /** The starting point is taken (or cannot be): subscribers may read their snapshot now. */
  markReady(): void {
    this.resolveReady();
  }

  /**
   * Reads the detail, then the lines after {@link seq} up to the detail's `lineCount` — lines
   * are committed with the row that counts them, so they are all there — at most `maxLines`.
   */
  async read(store: FollowerStore, maxLines: number): Promise<FollowerRead> {
    const id = this.executionId;
    const detail = await store.getExecution(id);
    if (detail === undefined) return { row: undefined, detail, events: [], complete: true };
    const quiet = this.state === 'new' && this.quietStart;
    const events: ExecutionEvent[] = [];
    for (const step of detail.steps) {
      const json = JSON.stringify(step);
      if (this.steps.get(step.id) === json) continue;
      const known = this.steps.has(step.id);
      this.steps.set(step.id, json);
      if (!quiet) events.push(stepEvent(id, step, known));
    }
    let complete = true;
    if (quiet) this.seq = detail.lineCount;
    else {
      let read = 0;
      while (this.seq < detail.lineCount) {
        if (read >= maxLines) {
          complete = false;
          break;
        }
        const limit = Math.min(PAGE_LINES, detail.lineCount - this.seq, maxLines - read);
        const page = await store.readLog(id, { after: this.seq, limit });
        const last = page.lines.at(-1);
        // The store stops short of the count it committed: seqs were skipped; do not wait for them.
        if (last === undefined) break;
        events.push({ type: 'log.lines', executionId: id, lines: page.lines });
        this.seq = last.seq;
        read += page.lines.length;
      }
    }
    for (const annotation of detail.annotations) {
      if (this.annotations.has(annotation.id)) continue;
      this.annotations.add(annotation.id);
      if (!quiet) events.push({ type: 'annotation.added', executionId: id, annotation });
    }
    for (const artifact of detail.artifacts) {
      const json = JSON.stringify(artifact);
      if (this.artifacts.get(artifact.id) === json) continue;
      this.artifacts.set(artifact.id, json);
      if (!quiet) events.push({ type: 'artifact.recorded', executionId: id, artifact });
    }
    return { row: executionRow(detail), detail, events, complete };
  }
}

function stepEvent(executionId: string, step: Step, known: boolean): ExecutionEvent {
  if (step.endedAt !== null) return { type: 'step.finished', executionId, step };
  return known ? { type: 'step.updated', executionId, step } : { type: 'step.started', executionId, step };
}
