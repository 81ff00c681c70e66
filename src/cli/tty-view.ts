import { createLogUpdate } from 'log-update';
import { isExecutionEvent } from '../core/events.js';
import { stripAnsi } from '../core/markers/ansi.js';
import type { Execution, Step } from '../core/model.js';
import { type Colors, formatDuration } from './format.js';
import type { LiveView } from './live-view.js';
import { createPlainView } from './plain-view.js';
import { createStepOutput } from './step-output.js';
import { stepLine } from './step-line.js';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/** Lines of the running step shown under the list (and of the last step that printed, at the end). */
const TAIL_LINES = 5;
/** Lines of a failed step printed for good (BuildKit shows the last lines of the failing step). */
const FAILED_LINES = 200;
const FRAME_MS = 100;

/**
 * The view on a terminal that can redraw: a step list (icons, durations, nesting) with the running
 * step's last lines, redrawn at most every 100 ms whatever the output rate. Some text goes above it
 * for good instead: a failed step's last lines (with how to read the rest), or with `verbose` all the
 * output as the plain view prints it. At the end the last step that printed keeps its last lines.
 */
export function createTtyView({
  executionId,
  out,
  colors: c,
  verbose = false,
  now = Date.now,
}: {
  executionId: string;
  out: NodeJS.WriteStream;
  colors: Colors;
  verbose?: boolean;
  now?: () => number;
}): LiveView {
  const render = createLogUpdate(out, { showCursor: false });
  const steps = new Map<number, Step>();
  const output = createStepOutput({ keep: FAILED_LINES });
  /** Failed steps whose lines went above: the final tail does not repeat them. */
  const printedAbove = new Set<number>();
  let execution: Execution | undefined;
  let artifactCount = 0;
  let frame = 0;
  let dirty = true;
  /** Text to print above the step list at the next frame, for good. */
  let above = '';
  const streamed = verbose
    ? createPlainView({ executionId, colors: c, write: (text) => (above += text) })
    : undefined;

  const hasRunning = () => [...steps.values()].some((s) => s.status === 'running');
  const draw = (final: boolean): void => {
    if (!final && !dirty && !above && !hasRunning()) return;
    dirty = false;
    frame = (frame + 1) % SPINNER.length;
    // Whole lines only, so the list starts on a line of its own (a long line may come in pieces).
    const end = final ? above.length : above.lastIndexOf('\n') + 1;
    if (end > 0) {
      render.clear();
      out.write(above.slice(0, end) + (above.endsWith('\n', end) ? '' : '\n'));
      above = above.slice(end);
    }
    render(compose(final));
  };
  const timer = setInterval(() => draw(false), FRAME_MS);
  timer.unref();

  const depthOf = (step: Step): number => {
    let depth = 0;
    let parent = step.parentId === null ? undefined : steps.get(step.parentId);
    while (parent) {
      depth++;
      parent = parent.parentId === null ? undefined : steps.get(parent.parentId);
    }
    return depth;
  };

  /** The lines under the list: the innermost running step's, or at the end the last printing step's. */
  const tailRows = (final: boolean, innermostRunning: Step | undefined): string[] => {
    if (verbose) return [];
    const stepId = final ? output.lastStepId() : innermostRunning?.id;
    if (stepId === undefined || (stepId !== null && printedAbove.has(stepId))) return [];
    const step = stepId === null ? undefined : steps.get(stepId);
    const pad = '  '.repeat((step ? depthOf(step) : 0) + 2);
    const lines = output.get(stepId)?.lines.slice(-TAIL_LINES) ?? [];
    return lines.map((text) => c.dim(`${pad}│ ${stripAnsi(text)}`));
  };

  const compose = (final: boolean): string => {
    const width = Math.max(40, out.columns || 100);
    const rows = Math.max(10, (out.rows || 30) - 2);
    const lines: string[] = [];
    if (execution) {
      const elapsed = execution.startedAt ? now() - Date.parse(execution.startedAt) : 0;
      lines.push(`${c.bold(execution.name)} ${c.dim(`· ${execution.id} · ${formatDuration(elapsed)}`)}`);
    }
    const stepRows: string[] = [];
    let innermostRunning: Step | undefined;
    for (const step of steps.values()) {
      if (step.status === 'running') innermostRunning = step;
      const indent = '  '.repeat(depthOf(step) + 1);
      stepRows.push(indent + stepLine(c, step, now(), SPINNER[frame]));
    }
    const tail = tailRows(final, innermostRunning);
    const budget = rows - lines.length - tail.length - 1;
    if (stepRows.length > budget && budget > 0) {
      lines.push(c.dim(`  … ${stepRows.length - budget} earlier steps`));
      lines.push(...stepRows.slice(stepRows.length - budget));
    } else {
      lines.push(...stepRows);
    }
    lines.push(...tail);
    if (artifactCount > 0) lines.push(c.dim(`  ${artifactCount} artifact(s)`));
    return lines.map((line) => truncate(line, width)).join('\n');
  };

  /** A failed step's last lines, and the command that prints the ones left out. */
  const failedBlock = (step: Step): string => {
    const kept = output.get(step.id);
    if (!kept || kept.lines.length === 0) return '';
    printedAbove.add(step.id);
    const bar = c.red('│');
    const rows = [stepLine(c, step, now())];
    const earlier = kept.count - kept.lines.length;
    if (earlier > 0) {
      rows.push(
        `  ${bar} ${c.dim(`… ${earlier.toLocaleString('en-US')} earlier lines: stepflow logs ${executionId} --step ${stepArgument(step)}`)}`,
      );
    }
    for (const line of kept.lines) rows.push(`  ${bar} ${stripAnsi(line)}`);
    return `${rows.join('\n')}\n`;
  };

  /** What `stepflow logs --step` matches this step by alone (it takes a name or an id), quoted. */
  const stepArgument = (step: Step): string => {
    const ambiguous =
      /^\d+$/.test(step.name) || [...steps.values()].some((s) => s.id !== step.id && s.name === step.name);
    const arg = ambiguous ? String(step.id) : step.name;
    return /^[\w./:@%+=,-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
  };

  return {
    handle(event) {
      if (!isExecutionEvent(event) || event.executionId !== executionId) return;
      streamed?.handle(event);
      dirty = true;
      switch (event.type) {
        case 'execution.started':
        case 'execution.updated':
        case 'execution.finished':
          execution = event.execution;
          break;
        case 'step.started':
        case 'step.updated':
          steps.set(event.step.id, event.step);
          break;
        case 'step.finished':
          steps.set(event.step.id, event.step);
          // Its lines all came before this event (the engine publishes lines first).
          if (!verbose && event.step.status === 'failed') above += failedBlock(event.step);
          output.shrink(event.step.id, TAIL_LINES);
          break;
        case 'log.lines':
          if (!verbose) output.add(event.lines);
          break;
        case 'artifact.recorded':
          artifactCount++;
          break;
        default:
          break;
      }
    },
    stop() {
      clearInterval(timer);
      draw(true);
      render.done();
    },
  };
}

function truncate(line: string, width: number): string {
  // ANSI codes do not take columns; cut on the visible text only when needed.
  const visible = stripAnsi(line);
  if (visible.length <= width) return line;
  return `${visible.slice(0, width - 1)}…`;
}
