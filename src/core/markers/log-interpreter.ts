import { ESTIMATED_DURATION_KEY, parseEstimatedSeconds } from '../estimated-duration.js';
import { ERROR_CODES, StepflowError } from '../errors.js';
import type { Annotation, LogLine, Step, StepSource } from '../model.js';
import { LineFlag } from '../model.js';
import type { LogStream, StepStatus } from '../statuses.js';
import type { Marker } from './marker.js';
import { createMarkerParser } from './marker-parser.js';
import type { MarkerParser } from './marker-parser.js';
import { createMasker } from './masker.js';
import type { Masker } from './masker.js';
import { createPieceMasker } from './piece-masker.js';
import type { PieceMasker } from './piece-masker.js';

/** An `ARTIFACT:` marker, for the caller to resolve and copy. `description` is already masked. */
export interface ArtifactRequest {
  path: string;
  description: string;
  stepId: number | null;
  /** Seq of the marker line. */
  seq: number;
}

/**
 * Receives what the log means, synchronously, while lines are pushed. Every Step passed is a copy
 * (a snapshot) that the interpreter never mutates afterwards. A step event is emitted before the
 * line that opens the step is produced and after the line that closes it, so a caller that drains
 * `takeLines()` inside these callbacks publishes lines and steps in the order the script printed.
 */
export interface InterpreterSink {
  stepStarted(step: Step): void;
  /** Meta, estimated duration or status (`STEP_ERROR`) changed while the step is open. */
  stepUpdated(step: Step): void;
  stepFinished(step: Step): void;
  artifactDeclared(request: ArtifactRequest): void;
  annotationAdded(annotation: Annotation): void;
  /** `META:` printed while no step was open. Key and value are masked. */
  executionMeta(key: string, value: string): void;
  /** A `STEP_ERROR` was printed: the execution must end `failed`. Called for every one. */
  executionError(message: string): void;
  /** `::set-output name=k::v`: an output of the run. Not masked (outputs are masked when shown). */
  outputSet(name: string, value: string): void;
}

/** How the run ended, for the steps still open: exit 0, non-zero/spawn failure, or stopped. */
export type RunOutcome = 'succeeded' | 'failed' | 'cancelled';

export interface LogInterpreter {
  /** Complete lines (no '\n', may end with '\r') read from one stream at `ts` (epoch ms). */
  pushLines(stream: 'stdout' | 'stderr', lines: readonly string[], ts: number): void;
  /**
   * A piece of an over-long line, cut by the line splitter; never parsed as a marker. Flagged
   * {@link LineFlag.Continued} when `continues` (more pieces of the same line follow).
   */
  pushPiece(stream: 'stdout' | 'stderr', text: string, continues: boolean, ts: number): void;
  /**
   * StepFlow's own message (stream `system`); goes to `stepId` when given (what it is about
   * happened there, e.g. an artifact that step declared), else to the innermost open step, or none.
   */
  pushSystemLine(text: string, ts: number, stepId?: number | null): void;
  /** Removes and returns the lines produced since the last call, in seq order. */
  takeLines(): LogLine[];
  /** Seq of the last line produced (0 before any). */
  readonly lastSeq: number;
  /** Closes every open step (innermost first) at the end of the run. Push nothing after this. */
  finish(outcome: RunOutcome, ts: number): void;
  /** Snapshots of all steps so far, in id order. */
  steps(): Step[];
  /** `text` with the registered secrets (`::add-mask::` values and the run's) replaced by `***`. */
  mask(text: string): string;
}

export interface LogInterpreterOptions {
  sink: InterpreterSink;
  /** Values masked from the first line on, as if the script had printed `::add-mask::` for each. */
  secrets?: readonly string[];
}

/** Turns one execution's output into log lines, steps, annotations and artifact requests. */
export function createLogInterpreter(options: LogInterpreterOptions): LogInterpreter {
  return new Interpreter(options.sink, options.secrets ?? []);
}

const FIRST_IMPLICIT_NAME = 'Set up';
const EMPTY_ERROR = 'STEP_ERROR without a message';
const CR = 0x0d;

interface OpenStep {
  step: Step;
  startTs: number;
  /** Name as printed, before masking: what `STEP_COMPLETE:` must repeat. */
  rawName: string;
  /** GitLab section name. */
  key: string | null;
  /** A step nested in this one ended failed: this one cannot succeed. */
  childFailed: boolean;
}

let isoMs = NaN;
let isoText = '';
/** Steps of one batch share a timestamp, and toISOString is slow enough to notice: memoise one. */
const iso = (ms: number): string => {
  if (ms !== isoMs) {
    isoText = new Date(ms).toISOString();
    isoMs = ms;
  }
  return isoText;
};
const snapshot = (step: Step): Step => ({ ...step, meta: { ...step.meta } });

class Interpreter implements LogInterpreter {
  private readonly sink: InterpreterSink;
  private readonly parser: MarkerParser = createMarkerParser();
  private readonly masker: Masker = createMasker();
  private lines: LogLine[] = [];
  private seq = 0;
  /** Open steps, outermost first: a stack, since steps nest. */
  private readonly open: OpenStep[] = [];
  private readonly all: Step[] = [];
  private nextAnnotationId = 1;
  /** Name of the last top-level step that ended, to name the implicit step that follows it. */
  private lastRootName: string | null = null;
  private finished = false;
  /** Mirrors `masker.active`, read on every line. */
  private masking = false;
  /** Per stream, while masking: the over-long line in progress (see piece-masker.ts). */
  private readonly pieces: Partial<Record<'stdout' | 'stderr', PieceMasker>> = {};

  constructor(sink: InterpreterSink, secrets: readonly string[]) {
    this.sink = sink;
    for (const secret of secrets) this.masker.add(secret);
    this.masking = this.masker.active;
  }

  get lastSeq(): number {
    return this.seq;
  }

  pushLines(stream: 'stdout' | 'stderr', lines: readonly string[], ts: number): void {
    this.assertRunning();
    const parser = this.parser;
    for (let k = 0; k < lines.length; k++) {
      const raw = lines[k]!;
      const marker = parser.parse(raw);
      if (marker === null) this.plain(stream, raw, ts);
      else this.apply(marker, stream, raw, ts);
    }
  }

  pushPiece(stream: 'stdout' | 'stderr', text: string, continues: boolean, ts: number): void {
    this.assertRunning();
    const stepId = this.currentOrImplicit(ts).id;
    if (!this.masking) {
      this.push(stream, continues ? text : withoutCr(text), ts, stepId, continues ? LineFlag.Continued : 0);
      return;
    }
    const masked = (this.pieces[stream] ??= createPieceMasker(this.masker)).push(text, continues);
    // A piece shorter than the longest secret may be held back whole, to go with the next one.
    if (masked === null) return;
    this.push(stream, continues ? masked : withoutCr(masked), ts, stepId, continues ? LineFlag.Continued : 0);
  }

  pushSystemLine(text: string, ts: number, stepId?: number | null): void {
    this.assertRunning();
    this.push('system', this.mask(text), ts, stepId === undefined ? this.currentId() : stepId, 0);
  }

  takeLines(): LogLine[] {
    const taken = this.lines;
    this.lines = [];
    return taken;
  }

  finish(outcome: RunOutcome, ts: number): void {
    this.assertRunning();
    // A stream that stopped mid-line (the splitter always ends a line, so only after a bug of
    // ours): what is held back still belongs in the log.
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.pieces[stream]?.flush();
      if (rest != null) this.push(stream, withoutCr(rest), ts, this.currentId(), 0);
    }
    this.finished = true;
    while (this.open.length > 0) this.closeInnermost(outcome, ts);
  }

  steps(): Step[] {
    return this.all.map(snapshot);
  }

  mask(text: string): string {
    return this.masking ? this.masker.apply(text) : text;
  }

  // --- lines -----------------------------------------------------------------------------------

  /** The hot path: most lines are ordinary output. */
  private plain(stream: LogStream, raw: string, ts: number): void {
    const open = this.open;
    const stepId = open.length === 0 ? this.openImplicit(ts).step.id : open[open.length - 1]!.step.id;
    let text = raw.charCodeAt(raw.length - 1) === CR ? raw.slice(0, -1) : raw;
    if (this.masking) text = this.masker.apply(text);
    this.lines.push({ seq: ++this.seq, ts, stream, stepId, text, flags: 0 });
  }

  private markerLine(stream: LogStream, raw: string, ts: number, stepId: number | null): number {
    const text = withoutCr(raw);
    return this.push(
      stream,
      this.masking ? this.masker.applyToMarkerLine(text) : text,
      ts,
      stepId,
      LineFlag.Marker,
    );
  }

  private push(stream: LogStream, text: string, ts: number, stepId: number | null, flags: number): number {
    const seq = ++this.seq;
    // Read `this.lines` each time: a sink callback may have swapped it through takeLines().
    this.lines.push({ seq, ts, stream, stepId, text, flags });
    return seq;
  }

  // --- markers ---------------------------------------------------------------------------------

  private apply(marker: Marker, stream: LogStream, raw: string, ts: number): void {
    switch (marker.kind) {
      case 'step-start':
        this.startStep(marker.name, marker.source, marker.key ?? null, stream, raw, ts);
        return;
      case 'step-end': {
        const index = this.findClosable(marker.source, marker.name, marker.key ?? null);
        // A closing marker that names no open step is ordinary output (a typo must not close
        // some other step, and must not vanish from the log).
        if (index === -1) return this.plain(stream, raw, ts);
        this.markerLine(stream, raw, ts, this.open[index]!.step.id);
        while (this.open.length > index) this.closeInnermost('succeeded', ts);
        return;
      }
      case 'step-error':
        return this.stepError(marker.message, stream, raw, ts);
      case 'artifact': {
        const stepId = this.currentId();
        const seq = this.markerLine(stream, raw, ts, stepId);
        this.sink.artifactDeclared({
          path: marker.path,
          description: this.mask(marker.description),
          stepId,
          seq,
        });
        return;
      }
      case 'meta':
        return this.meta(marker.key, marker.value, stream, raw, ts);
      case 'annotation': {
        const stepId = this.currentId();
        const seq = this.markerLine(stream, raw, ts, stepId);
        this.sink.annotationAdded({
          id: this.nextAnnotationId++,
          stepId,
          seq,
          level: marker.level,
          message: this.mask(marker.message),
          title: marker.title === null ? null : this.mask(marker.title),
          file: marker.file === null ? null : this.mask(marker.file),
          line: marker.line,
          col: marker.col,
          endLine: marker.endLine,
          endCol: marker.endCol,
        });
        return;
      }
      case 'add-mask':
        // The line holds the secret itself: it produces no log line at all.
        this.masker.add(marker.value);
        this.masking = this.masker.active;
        return;
      case 'set-output':
        this.markerLine(stream, raw, ts, this.currentId());
        this.sink.outputSet(marker.name, marker.value);
        return;
      case 'stop-commands':
        // A long token is often a random secret: hidden from this line on, as GitHub does.
        if (marker.masked) {
          this.masker.add(marker.token);
          this.masking = this.masker.active;
        }
        this.markerLine(stream, raw, ts, this.currentId());
        return;
      case 'resume-commands':
      case 'reopen-previous':
        this.markerLine(stream, raw, ts, this.currentId());
        return;
    }
  }

  private startStep(
    name: string,
    source: StepSource,
    key: string | null,
    stream: LogStream,
    raw: string,
    ts: number,
  ): void {
    // An implicit step only holds output between real steps, a failed step takes no children
    // (so the step after a STEP_ERROR is its sibling), and Buildkite groups never nest.
    for (let top = this.innermost(); top !== undefined; top = this.innermost()) {
      const step = top.step;
      if (
        !step.implicit &&
        step.status !== 'failed' &&
        !(source === 'buildkite' && step.source === 'buildkite')
      )
        break;
      this.closeInnermost('succeeded', ts);
    }
    const step = this.openStep(this.mask(name), source, name, key, ts);
    this.markerLine(stream, raw, ts, step.id);
  }

  private stepError(message: string, stream: LogStream, raw: string, ts: number): void {
    const entry = this.innermost() ?? this.openImplicit(ts);
    const error = this.mask(message) || EMPTY_ERROR;
    this.markerLine(stream, raw, ts, entry.step.id);
    // The step stays open (its output and its STEP_COMPLETE still belong to it) but is failed now;
    // a second STEP_ERROR keeps the first message.
    if (entry.step.status !== 'failed') {
      entry.step.status = 'failed';
      entry.step.error = error;
      this.sink.stepUpdated(snapshot(entry.step));
    }
    this.sink.executionError(error);
  }

  private meta(rawKey: string, rawValue: string, stream: LogStream, raw: string, ts: number): void {
    let entry = this.innermost();
    // The run's own estimate is usually printed first thing, often after a line of output that
    // opened StepFlow's implicit step: it still means the whole run, not that implicit step.
    if (rawKey === ESTIMATED_DURATION_KEY && entry?.step.implicit === true && this.open.length === 1) {
      entry = undefined;
    }
    const key = this.mask(rawKey);
    const value = this.mask(rawValue);
    this.markerLine(stream, raw, ts, entry ? entry.step.id : null);
    if (entry === undefined) {
      this.sink.executionMeta(key, value);
      return;
    }
    const step = entry.step;
    // defineProperty so that `__proto__` is stored like any other key rather than ignored.
    if (key === '__proto__') {
      Object.defineProperty(step.meta, key, { value, enumerable: true, writable: true, configurable: true });
    } else {
      step.meta[key] = value;
    }
    if (rawKey === ESTIMATED_DURATION_KEY) {
      const seconds = parseEstimatedSeconds(rawValue);
      if (seconds !== null) step.estimatedDurationSeconds = seconds;
    }
    this.sink.stepUpdated(snapshot(step));
  }

  /** Index in `open` of the step a closing marker names, or -1. Implicit steps are never named. */
  private findClosable(source: StepSource, name: string | null, key: string | null): number {
    for (let i = this.open.length - 1; i >= 0; i--) {
      const entry = this.open[i]!;
      if (entry.step.source !== source) continue;
      if (source === 'gitlab' ? entry.key === key : name === null || entry.rawName === name) return i;
    }
    return -1;
  }

  // --- steps -----------------------------------------------------------------------------------

  private innermost(): OpenStep | undefined {
    return this.open[this.open.length - 1];
  }

  private currentId(): number | null {
    const entry = this.innermost();
    return entry === undefined ? null : entry.step.id;
  }

  private currentOrImplicit(ts: number): Step {
    const entry = this.innermost() ?? this.openImplicit(ts);
    return entry.step;
  }

  private openImplicit(ts: number): OpenStep {
    const name = this.lastRootName === null ? FIRST_IMPLICIT_NAME : `Post ${this.lastRootName}`;
    this.openStep(name, 'implicit', name, null, ts);
    return this.innermost()!;
  }

  private openStep(name: string, source: StepSource, rawName: string, key: string | null, ts: number): Step {
    const parent = this.innermost();
    const step: Step = {
      id: this.all.length + 1,
      parentId: parent === undefined ? null : parent.step.id,
      name,
      status: 'running',
      startedAt: iso(ts),
      endedAt: null,
      durationMs: null,
      meta: {},
      implicit: source === 'implicit',
      source,
      error: null,
      estimatedDurationSeconds: null,
      // The opening line is always the next one produced.
      firstSeq: this.seq + 1,
      // The caller reads the summary file and sets it (see engine/step-files.ts).
      hasSummary: false,
    };
    this.all.push(step);
    this.open.push({ step, startTs: ts, rawName, key, childFailed: false });
    this.sink.stepStarted(snapshot(step));
    return step;
  }

  private closeInnermost(outcome: RunOutcome, ts: number): void {
    const entry = this.open.pop()!;
    const step = entry.step;
    let status: StepStatus = outcome;
    if (step.status === 'failed' || (outcome === 'succeeded' && entry.childFailed)) status = 'failed';
    step.status = status;
    step.endedAt = iso(ts);
    step.durationMs = Math.max(0, ts - entry.startTs);
    const parent = this.innermost();
    if (parent === undefined) this.lastRootName = step.name;
    else if (status === 'failed') parent.childFailed = true;
    this.sink.stepFinished(snapshot(step));
  }

  private assertRunning(): void {
    if (this.finished) throw new StepflowError(ERROR_CODES.INTERNAL, 'log interpreter used after finish()');
  }
}

function withoutCr(text: string): string {
  return text.charCodeAt(text.length - 1) === CR ? text.slice(0, -1) : text;
}
