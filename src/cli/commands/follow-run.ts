import type { StepflowEvent } from '../../core/events.js';
import type { Execution, ExecutionDetail } from '../../core/model.js';
import type { RunApplication } from '../../app/application.js';
import { annotationLocation } from '../annotation-location.js';
import { exitCodeOf } from '../exit-code.js';
import {
  colorsFor,
  EXECUTION_ICONS,
  formatBytes,
  formatDuration,
  paintStatus,
  printable,
  type Colors,
} from '../format.js';
import { canRedraw, createLiveView } from '../live-view.js';

/**
 * Shows a run started in this process live until it ends (Ctrl-C cancels it), then its summary.
 * Returns the process exit code: 0 when it succeeded, else the script's code or 124 / 130.
 */
export async function followRun(
  app: RunApplication,
  { execution, done }: { execution: Execution; done: Promise<Execution> },
  /**
   * `hint`: the last line of the summary, in place of the local `stepflow show` commands;
   * `verbose`: on a terminal, all the output, not only the running step's last lines.
   */
  extras: { hint?: (executionId: string) => string; verbose?: boolean } = {},
): Promise<number> {
  const out = process.stdout;
  const colors = colorsFor(out);
  // The run is already going: what it publishes while the view loads is held, then shown in order.
  const held: StepflowEvent[] = [];
  let handle = (event: StepflowEvent): void => void held.push(event);
  const unsubscribe = app.events.subscribe((event) => handle(event));
  const view = await createLiveView({
    executionId: execution.id,
    out,
    colors,
    interactive: canRedraw(out),
    verbose: extras.verbose ?? false,
  });
  view.handle({ type: 'execution.started', executionId: execution.id, execution });
  for (const event of held) view.handle(event);
  handle = view.handle;

  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write(
        `\nstepflow: ${signal}: cancelling ${execution.id} (stopping its process tree)…\n`,
      );
      // It runs here, so this stops it at once; it cannot fail but by having ended already.
      app.executions.cancel(execution.id).catch(() => undefined);
    } else {
      process.stderr.write(
        'stepflow: still stopping; the process tree gets SIGKILL after the grace period.\n',
      );
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const final = await done;
    await app.executions.settle();
    view.stop();
    unsubscribe();
    const detail = await app.executions.reads.getExecution(final.id);
    const shown = detail ?? { ...final, steps: [], artifacts: [], annotations: [] };
    const hint = extras.hint?.(final.id) ?? `stepflow show ${final.id}   ·   stepflow logs ${final.id}`;
    out.write(summary(colors, shown, hint));
    return exitCodeOf(final);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function summary(c: Colors, detail: ExecutionDetail, hint: string): string {
  const lines: string[] = [''];
  const exit =
    detail.exitCode !== null ? `exit ${detail.exitCode}` : detail.signal ? `signal ${detail.signal}` : '';
  lines.push(
    `${paintStatus(c, detail.status, `${EXECUTION_ICONS[detail.status]} ${detail.status}`)} ${c.bold(printable(detail.name))} ` +
      c.dim(
        [formatDuration(detail.durationMs), exit, `${detail.lineCount} lines`].filter(Boolean).join(' · '),
      ),
  );
  if (detail.error && detail.status !== 'succeeded') lines.push(`  ${c.red(printable(detail.error))}`);
  for (const hit of detail.limitHits ?? []) {
    if (hit.message !== detail.error) lines.push(`  ${c.yellow('⚠ limit')}: ${printable(hit.message)}`);
  }
  for (const step of detail.steps.filter((s) => s.status === 'failed')) {
    lines.push(
      `  ${c.red('✗')} step ${c.bold(printable(step.name))}${step.error ? `: ${printable(step.error)}` : ''}`,
    );
  }
  for (const annotation of detail.annotations.filter((a) => a.level !== 'notice')) {
    const location = annotationLocation(annotation);
    const where = location ? ` ${location}` : '';
    lines.push(
      `  ${annotation.level === 'error' ? c.red('error') : c.yellow('warning')}${printable(`${where}: ${annotation.message}`)}`,
    );
  }
  if (detail.artifacts.length > 0) {
    lines.push(c.bold('  Artifacts'));
    for (const a of detail.artifacts) {
      lines.push(
        a.status === 'stored'
          ? `    ${c.green('✓')} ${printable(a.path)} ${c.dim(printable(`${formatBytes(a.size)}${a.description ? ` · ${a.description}` : ''}`))}`
          : `    ${c.red('✗')} ${printable(a.path)} ${c.dim(printable(a.error ?? ''))}`,
      );
    }
  }
  lines.push(c.dim(`  ${hint}`), '');
  return lines.join('\n');
}
