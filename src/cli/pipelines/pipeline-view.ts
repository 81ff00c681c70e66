import type { PipelineNodeStatus } from '../../core/pipelines/pipeline-run.js';
import type { PipelineRunJson } from '../../protocol/pipeline-json.js';
import { formatDuration, printable, type Colors } from '../format.js';

/** What the view shows of a node besides the run: its execution's current step, when it runs. */
export type CurrentSteps = ReadonlyMap<string, string>;

const NODE_ICONS: Record<PipelineNodeStatus, string> = {
  waiting: '·',
  queued: '○',
  running: '●',
  retrying: '↻',
  succeeded: '✓',
  failed: '✗',
  skipped: '⊘',
  cancelled: '⊘',
};

function paint(c: Colors, status: PipelineNodeStatus | PipelineRunJson['status'], text: string): string {
  switch (status) {
    case 'succeeded':
      return c.green(text);
    case 'failed':
      return c.red(text);
    case 'running':
    case 'retrying':
      return c.cyan(text);
    default:
      return c.dim(text);
  }
}

/** One line per node: icon, name, status (attempt when retried), duration, current step. */
export function nodeLines(run: PipelineRunJson, steps: CurrentSteps, c: Colors): string[] {
  const width = Math.max(...run.nodes.map((node) => node.name.length), 4);
  const statusOf = (node: PipelineRunJson['nodes'][number]) =>
    `${node.status}${node.attempt > 1 ? ` (attempt ${node.attempt})` : ''}`;
  const statusWidth = Math.max(...run.nodes.map((node) => statusOf(node).length), 9);
  return run.nodes.map((node) => {
    const step = steps.get(node.name);
    const parts = [
      paint(c, node.status, `${NODE_ICONS[node.status]} ${printable(node.name).padEnd(width)}`),
      paint(c, node.status, statusOf(node).padEnd(statusWidth)),
      formatDuration(node.durationMs).padStart(7),
      node.status === 'running' && step !== undefined ? c.dim(`› ${printable(step)}`) : '',
      node.reason !== undefined && node.status !== 'running' ? c.dim(printable(node.reason)) : '',
    ];
    return parts.join('  ').trimEnd();
  });
}

/** The run's closing line. */
export function summaryLine(run: PipelineRunJson, c: Colors): string {
  const { done, total } = run.progress;
  return paint(
    c,
    run.status,
    `pipeline ${printable(run.name)} ${run.status} (${done}/${total} nodes, ${formatDuration(run.durationMs)}) run ${run.id}`,
  );
}

/**
 * Redraws the node lines in place on a terminal (cursor up, clear, print); `draw` with the same
 * lines as before prints nothing.
 */
export function createTtyPainter(write: (text: string) => void): { draw(lines: string[]): void } {
  let previous: string[] = [];
  return {
    draw(lines) {
      if (lines.join('\n') === previous.join('\n')) return;
      const up = previous.length > 0 ? `\x1b[${previous.length}F` : '';
      write(`${up}${lines.map((line) => `\x1b[2K${line}\n`).join('')}`);
      previous = lines;
    },
  };
}

/**
 * Plain output (not a terminal): a line each time a node's status changes or its execution
 * enters a new step.
 */
export function createPlainReporter(write: (text: string) => void): {
  report(run: PipelineRunJson, steps: CurrentSteps): void;
} {
  const seen = new Map<string, string>();
  return {
    report(run, steps) {
      for (const node of run.nodes) {
        const step = node.status === 'running' ? steps.get(node.name) : undefined;
        const key = `${node.status}/${node.attempt}/${step ?? ''}`;
        if (seen.get(node.name) === key) continue;
        const before = seen.get(node.name);
        seen.set(node.name, key);
        if (before === undefined && node.status === 'waiting') continue;
        const name = printable(node.name);
        if (step !== undefined && before?.startsWith(`${node.status}/${node.attempt}/`)) {
          write(`${name} › ${printable(step)}\n`);
          continue;
        }
        const duration = node.endedAt !== null ? ` (${formatDuration(node.durationMs)})` : '';
        const reason =
          node.reason !== undefined && node.status !== 'running' ? `: ${printable(node.reason)}` : '';
        write(
          `${name}: ${node.status}${node.attempt > 1 ? ` (attempt ${node.attempt})` : ''}${duration}${reason}\n`,
        );
        if (step !== undefined) write(`${name} › ${printable(step)}\n`);
      }
    },
  };
}
