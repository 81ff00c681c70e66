import type { ExecutionEvent } from '../../core/events.js';
import type {
  Annotation,
  Artifact,
  Execution,
  ExecutionDetail,
  LogLine,
  ResourceSample,
  Step,
} from '../../core/model.js';
import { isTerminalExecutionStatus } from '../../core/statuses.js';
import { toExecutionDetailJson, type ExecutionDetailJson } from '../../protocol/execution-json.js';
import { linesFrames, toFrame, type Frame, type LinesFrame } from './frames.js';
import type { ExecutionSubscription } from './subscription.js';

/** What one execution produced during one batch interval, serialized once for every subscriber. */
export interface FeedBatch {
  /** Lines in this batch have `seq > from`. */
  from: number;
  /** The feed's last seq after this batch. */
  to: number;
  /** The raw lines, for subscribers that are not exactly at `from`. */
  lines: LogLine[][];
  /** The lines as frames for subscribers exactly at `from` (the usual case). */
  linesFrames: LinesFrame[];
  /** Sent before the lines: step changes. */
  before: Frame[];
  /** Sent after the lines: annotations, artifacts, samples, then the execution's full state. */
  after: Frame[];
}

/**
 * The live side of one execution: its latest state (so a status change can be sent as the full
 * REST shape without reading the store), the highest seq seen, what is pending for the next batch
 * and who is subscribed. Nothing is queued while nobody watches.
 */
export class ExecutionFeed {
  readonly subscriptions = new Set<ExecutionSubscription>();
  /** Highest line seq seen on the bus (or in the store, once seeded). */
  lastSeq = 0;
  /** Lines up to this seq were handed to subscribers (or skipped, while there were none). */
  flushedSeq = 0;
  finished = false;
  /** When the hub last took a batch (performance.now()), for its minimum interval between frames. */
  lastBatchAt = Number.NEGATIVE_INFINITY;

  private execution: Execution | undefined;
  private readonly steps = new Map<number, Step>();
  private readonly artifacts = new Map<number, Artifact>();
  private readonly annotations = new Map<number, Annotation>();

  private pendingLines: LogLine[][] = [];
  private pendingSteps = new Map<number, Step>();
  private pendingAnnotations: Annotation[] = [];
  private pendingArtifacts: Artifact[] = [];
  private pendingSamples: ResourceSample[] = [];
  private executionChanged = false;

  constructor(readonly executionId: string) {}

  /** Applies a bus event; returns true when something waits for the next batch. */
  handle(event: ExecutionEvent): boolean {
    const watched = this.subscriptions.size > 0;
    switch (event.type) {
      case 'execution.started':
      case 'execution.updated':
      case 'execution.finished':
        this.execution = event.execution;
        this.finished = isTerminalExecutionStatus(event.execution.status);
        if (watched) this.executionChanged = true;
        break;
      case 'log.lines': {
        const last = event.lines.at(-1);
        if (last === undefined || last.seq <= this.lastSeq) return false;
        this.lastSeq = last.seq;
        if (watched) this.pendingLines.push(event.lines);
        else this.flushedSeq = this.lastSeq;
        break;
      }
      case 'step.started':
      case 'step.updated':
      case 'step.finished':
        this.steps.set(event.step.id, event.step);
        if (watched) this.pendingSteps.set(event.step.id, event.step);
        break;
      case 'artifact.recorded':
        this.artifacts.set(event.artifact.id, event.artifact);
        if (watched) this.pendingArtifacts.push(event.artifact);
        break;
      case 'annotation.added':
        this.annotations.set(event.annotation.id, event.annotation);
        if (watched) this.pendingAnnotations.push(event.annotation);
        break;
      case 'resource.sampled':
        if (watched) this.pendingSamples.push(event.sample);
        break;
    }
    return watched;
  }

  /**
   * Fills in what happened before this feed existed from a store snapshot. The feed's own entries
   * win: they come from the bus, which is never behind the store.
   */
  seed(detail: ExecutionDetail): void {
    if (this.execution === undefined) {
      this.execution = detail;
      this.finished = isTerminalExecutionStatus(detail.status);
    }
    for (const step of detail.steps) if (!this.steps.has(step.id)) this.steps.set(step.id, step);
    for (const a of detail.artifacts) if (!this.artifacts.has(a.id)) this.artifacts.set(a.id, a);
    for (const a of detail.annotations) if (!this.annotations.has(a.id)) this.annotations.set(a.id, a);
  }

  /** The latest execution row seen, while it has not finished. */
  running(): Execution | undefined {
    return this.finished ? undefined : this.execution;
  }

  /** True when there is nothing to keep: finished (or never seen) and unwatched. */
  isIdle(): boolean {
    return this.subscriptions.size === 0 && (this.finished || this.execution === undefined);
  }

  /** Takes what is pending as one batch, serialized once; undefined when nobody watches. */
  takeBatch(maxFrameBytes: number): FeedBatch | undefined {
    const lines = this.pendingLines;
    const from = this.flushedSeq;
    this.pendingLines = [];
    this.flushedSeq = this.lastSeq;
    if (this.subscriptions.size === 0) {
      this.clearPending();
      return undefined;
    }
    const id = this.executionId;
    const before: Frame[] = [];
    const after: Frame[] = [];
    if (this.pendingSteps.size > 0) {
      before.push(toFrame({ type: 'steps', executionId: id, steps: [...this.pendingSteps.values()] }));
    }
    if (this.pendingAnnotations.length > 0) {
      after.push(toFrame({ type: 'annotations', executionId: id, annotations: this.pendingAnnotations }));
    }
    if (this.pendingArtifacts.length > 0) {
      // Where StepFlow keeps the copy is none of the client's business (as in the REST shape).
      const artifacts = this.pendingArtifacts.map(({ storedPath: _storedPath, ...rest }) => rest);
      after.push(toFrame({ type: 'artifacts', executionId: id, artifacts }));
    }
    if (this.pendingSamples.length > 0) {
      after.push(toFrame({ type: 'resources', executionId: id, samples: this.pendingSamples }));
    }
    const detail = this.executionChanged ? this.detailJson() : undefined;
    if (detail) after.push(toFrame({ type: 'execution', execution: detail }));
    this.clearPending();
    return {
      from,
      to: this.flushedSeq,
      lines,
      linesFrames: lines.length > 0 ? linesFrames(id, lines, from, maxFrameBytes) : [],
      before,
      after,
    };
  }

  /** True when a batch is waiting. */
  hasPending(): boolean {
    return (
      this.pendingLines.length > 0 ||
      this.pendingSteps.size > 0 ||
      this.pendingAnnotations.length > 0 ||
      this.pendingArtifacts.length > 0 ||
      this.pendingSamples.length > 0 ||
      this.executionChanged
    );
  }

  private detailJson(): ExecutionDetailJson | undefined {
    if (this.execution === undefined) return undefined;
    return toExecutionDetailJson({
      ...this.execution,
      lineCount: Math.max(this.execution.lineCount, this.lastSeq),
      steps: [...this.steps.values()].sort((a, b) => a.id - b.id),
      artifacts: [...this.artifacts.values()].sort((a, b) => a.id - b.id),
      annotations: [...this.annotations.values()].sort((a, b) => a.id - b.id),
    });
  }

  private clearPending(): void {
    this.pendingSteps = new Map();
    this.pendingAnnotations = [];
    this.pendingArtifacts = [];
    this.pendingSamples = [];
    this.executionChanged = false;
  }
}
