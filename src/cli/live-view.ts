import { createLogUpdate } from 'log-update';
import { isExecutionEvent, type StepflowEvent } from '../core/events.js';
import { stripAnsi } from '../core/markers/ansi.js';
import { LineFlag, type Artifact, type Execution, type Step } from '../core/model.js';
import { type Colors, STEP_ICONS, formatDuration, paintStatus } from './format.js';

export interface LiveView {
  handle(event: StepflowEvent): void;
  /** Stops redrawing and leaves the final step list on screen. */
  stop(): void;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const TAIL_LINES = 5;

/**
 * The terminal's view of one execution. On a TTY it redraws a step list (icons, durations,
 * nesting, the running step's last lines) at most ten times a second; elsewhere it appends plain
 * lines: the script's output and one line per step change, so CI logs stay readable.
 */
export function createLiveView(options: {
  executionId: string;
  out: NodeJS.WriteStream;
  colors: Colors;
  interactive: boolean;
  now?: () => number;
}): LiveView {
  return options.interactive ? createTtyView(options) : createPlainView(options);
}

function createPlainView({
  executionId,
  out,
  colors: c,
}: {
  executionId: string;
  out: NodeJS.WriteStream;
  colors: Colors;
}): LiveView {
  return {
    handle(event) {
      if (!isExecutionEvent(event) || event.executionId !== executionId) return;
      switch (event.type) {
        case 'log.lines': {
          let text = '';
          for (const line of event.lines) {
            if (line.flags & LineFlag.Marker) continue;
            text += line.stream === 'system' ? `${c.yellow(`stepflow: ${line.text}`)}\n` : line.text;
            if (line.stream !== 'system') text += line.flags & LineFlag.Continued ? '' : '\n';
          }
          if (text) out.write(text);
          break;
        }
        case 'step.started':
          if (!event.step.implicit) out.write(`${c.cyan('▶')} ${c.bold(event.step.name)}\n`);
          break;
        case 'step.finished':
          out.write(`${stepLine(c, event.step, Date.now())}\n`);
          break;
        case 'artifact.recorded':
          if (event.artifact.status === 'stored')
            out.write(`${c.cyan('📦')} artifact ${event.artifact.path}\n`);
          break;
        default:
          break;
      }
    },
    stop() {},
  };
}

function createTtyView({
  executionId,
  out,
  colors: c,
  now = Date.now,
}: {
  executionId: string;
  out: NodeJS.WriteStream;
  colors: Colors;
  now?: () => number;
}): LiveView {
  const render = createLogUpdate(out, { showCursor: false });
  const steps = new Map<number, Step>();
  const tail: { stepId: number | null; text: string }[] = [];
  const artifacts: Artifact[] = [];
  let execution: Execution | undefined;
  let frame = 0;
  let dirty = true;

  const draw = (): void => {
    if (!dirty && !hasRunning()) return;
    dirty = false;
    frame = (frame + 1) % SPINNER.length;
    render(compose());
  };
  const hasRunning = () => [...steps.values()].some((s) => s.status === 'running');
  const timer = setInterval(draw, 100);
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

  const compose = (): string => {
    const width = Math.max(40, out.columns || 100);
    const rows = Math.max(10, (out.rows || 30) - 2);
    const lines: string[] = [];
    if (execution) {
      const elapsed = execution.startedAt ? now() - Date.parse(execution.startedAt) : 0;
      lines.push(`${c.bold(execution.name)} ${c.dim(`· ${execution.id} · ${formatDuration(elapsed)}`)}`);
    }
    const visible = [...steps.values()];
    const stepRows: string[] = [];
    let innermostRunning: Step | undefined;
    for (const step of visible) {
      if (step.status === 'running') innermostRunning = step;
      const indent = '  '.repeat(depthOf(step) + 1);
      stepRows.push(indent + stepLine(c, step, now(), SPINNER[frame]));
    }
    const budget = rows - lines.length - (innermostRunning ? TAIL_LINES : 0) - 1;
    if (stepRows.length > budget && budget > 0) {
      lines.push(c.dim(`  … ${stepRows.length - budget} earlier steps`));
      lines.push(...stepRows.slice(stepRows.length - budget));
    } else {
      lines.push(...stepRows);
    }
    if (innermostRunning) {
      const pad = '  '.repeat(depthOf(innermostRunning) + 2);
      for (const entry of tail.filter((t) => t.stepId === innermostRunning.id).slice(-TAIL_LINES)) {
        lines.push(c.dim(`${pad}│ ${entry.text}`));
      }
    }
    if (artifacts.length > 0) lines.push(c.dim(`  ${artifacts.length} artifact(s)`));
    return lines.map((line) => truncate(line, width)).join('\n');
  };

  return {
    handle(event) {
      if (!isExecutionEvent(event) || event.executionId !== executionId) return;
      dirty = true;
      switch (event.type) {
        case 'execution.started':
        case 'execution.updated':
        case 'execution.finished':
          execution = event.execution;
          break;
        case 'step.started':
        case 'step.updated':
        case 'step.finished':
          steps.set(event.step.id, event.step);
          break;
        case 'log.lines': {
          // Only the tail matters here; never keep the whole log in the view.
          const from = Math.max(0, event.lines.length - TAIL_LINES * 4);
          for (let i = from; i < event.lines.length; i++) {
            const line = event.lines[i]!;
            if (line.flags & LineFlag.Marker) continue;
            tail.push({ stepId: line.stepId, text: stripAnsi(line.text) });
          }
          if (tail.length > TAIL_LINES * 8) tail.splice(0, tail.length - TAIL_LINES * 4);
          break;
        }
        case 'artifact.recorded':
          artifacts.push(event.artifact);
          break;
        default:
          break;
      }
    },
    stop() {
      clearInterval(timer);
      tail.length = 0;
      render(compose());
      render.done();
    },
  };
}

function stepLine(c: Colors, step: Step, now: number, spinner = '●'): string {
  const running = step.status === 'running';
  const icon = running ? spinner : STEP_ICONS[step.status];
  const elapsed = running ? now - Date.parse(step.startedAt) : step.durationMs;
  let text = `${paintStatus(c, step.status, icon)} ${step.implicit ? c.dim(step.name) : step.name} ${c.dim(formatDuration(elapsed))}`;
  if (running && step.estimatedDurationSeconds) {
    text += ` ${progressBar(c, (elapsed ?? 0) / (step.estimatedDurationSeconds * 1000))}`;
  }
  if (step.status === 'failed' && step.error) text += ` ${c.red(step.error)}`;
  return text;
}

function progressBar(c: Colors, fraction: number): string {
  const clamped = Math.min(Math.max(fraction, 0), 0.99);
  const width = 12;
  const full = Math.round(clamped * width);
  return `${c.cyan('█'.repeat(full))}${c.dim('░'.repeat(width - full))} ${Math.round(clamped * 100)}%`;
}

function truncate(line: string, width: number): string {
  // ANSI codes do not take columns; cut on the visible text only when needed.
  const visible = stripAnsi(line);
  if (visible.length <= width) return line;
  return `${visible.slice(0, width - 1)}…`;
}
