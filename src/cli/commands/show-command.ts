import type { Annotation, Step } from '../../core/model.js';
import { annotationLocation } from '../annotation-location.js';
import type { ExecutionReadSource } from '../execution-source.js';
import {
  colorsFor,
  EXECUTION_ICONS,
  formatBytes,
  formatDuration,
  formatTime,
  paintStatus,
  printable,
  STEP_ICONS,
} from '../format.js';

/** `stepflow show <id>`: one execution with its steps, artifacts and annotations. */
export async function showCommand(
  source: ExecutionReadSource,
  id: string,
  options: { json?: boolean; summary?: boolean },
): Promise<number> {
  if (options.summary) {
    // The Markdown as written, for a file or a pager; nothing when the run wrote none.
    const { summary } = await source.summary(id);
    // Script text: no escape sequences reach the terminal (as for everything `show` prints).
    const text = summary === null ? '' : printable(summary, { multiline: true });
    if (text !== '') process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    return 0;
  }
  const detail = await source.get(id);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(detail, null, 2)}\n`);
    return 0;
  }
  const c = colorsFor(process.stdout);
  const out: string[] = [];
  out.push(
    `${paintStatus(c, detail.status, `${EXECUTION_ICONS[detail.status]} ${detail.status}`)} ${c.bold(printable(detail.name))}`,
  );
  out.push(`  ${c.dim('id')}        ${detail.id}`);
  out.push(
    `  ${c.dim('command')}   ${printable(detail.command, { multiline: true }).replace(/\n/g, '\n            ')}`,
  );
  out.push(`  ${c.dim('cwd')}       ${printable(detail.cwd)}`);
  if (detail.createdBy) out.push(`  ${c.dim('by')}        ${printable(detail.createdBy)}`);
  if (detail.project)
    out.push(`  ${c.dim('project')}   ${printable(detail.project.name)} version ${detail.project.version}`);
  out.push(
    `  ${c.dim('started')}   ${formatTime(detail.startedAt)}  ${c.dim('duration')} ${formatDuration(detail.durationMs)}`,
  );
  out.push(`  ${c.dim('exit')}      ${detail.exitCode ?? detail.signal ?? '-'}`);
  if (detail.error) out.push(`  ${c.dim('error')}     ${c.red(printable(detail.error))}`);
  if (detail.pinned) out.push(`  ${c.dim('pinned')}    yes: retention never expires it`);
  if (detail.logExpiredAt) {
    out.push(
      `  ${c.dim('log')}       ${c.yellow(`dropped by retention at ${formatTime(detail.logExpiredAt)} (${detail.lineCount} lines)`)}`,
    );
  }
  for (const hit of detail.limitHits ?? []) {
    if (hit.message !== detail.error) out.push(`  ${c.dim('limit')}     ${c.yellow(printable(hit.message))}`);
  }
  const tags = Object.entries(detail.tags);
  if (tags.length)
    out.push(`  ${c.dim('tags')}      ${printable(tags.map(([k, v]) => (v ? `${k}=${v}` : k)).join(' '))}`);
  if (detail.resources) {
    out.push(
      `  ${c.dim('resources')} peak CPU ${detail.resources.cpuPercentPeak.toFixed(0)}% · peak memory ${formatBytes(detail.resources.memoryBytesPeak)} · ${detail.resources.processCountPeak} processes`,
    );
  }
  out.push('', c.bold('Steps'));
  const depth = (step: Step): number => {
    let d = 0;
    let parentId = step.parentId;
    while (parentId !== null) {
      d++;
      parentId = detail.steps.find((s) => s.id === parentId)?.parentId ?? null;
    }
    return d;
  };
  const annotation = (a: Annotation): string => {
    const where = annotationLocation(a);
    const level = a.level === 'error' ? c.red(a.level) : a.level === 'warning' ? c.yellow(a.level) : a.level;
    return `${level} ${printable(`${where ? `${where}: ` : ''}${a.title ? `${a.title}: ` : ''}${a.message}`)}`;
  };
  for (const step of detail.steps) {
    const pad = '  '.repeat(depth(step) + 1);
    const line = `${pad}${paintStatus(c, step.status, STEP_ICONS[step.status])} ${printable(step.name)} ${c.dim(formatDuration(step.durationMs))}`;
    out.push(step.error ? `${line} ${c.red(printable(step.error))}` : line);
    // Under the step it was printed in, indented past the step's icon.
    for (const a of detail.annotations) if (a.stepId === step.id) out.push(`${pad}  ${annotation(a)}`);
  }
  const outputs = Object.entries(detail.outputs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (outputs.length) {
    out.push('', c.bold('Outputs'));
    // A value of several lines goes on, indented under its name.
    for (const [name, value] of outputs) {
      out.push(`  ${printable(name)}=${printable(value, { multiline: true }).split('\n').join('\n    ')}`);
    }
  }
  if (detail.hasSummary) {
    const withSummary = detail.steps.filter((step) => step.hasSummary).length;
    out.push(
      '',
      `${c.bold('Summary')} ${c.dim(
        `Markdown from ${withSummary} step${withSummary === 1 ? '' : 's'}: ` +
          `see it in the dashboard, or print it with \`stepflow show ${detail.id} --summary\``,
      )}`,
    );
  }
  // Printed while no step was open (or by a step that is not stored): they belong to the run.
  const stepIds = new Set(detail.steps.map((step) => step.id));
  const unplaced = detail.annotations.filter((a) => a.stepId === null || !stepIds.has(a.stepId));
  if (unplaced.length) {
    out.push('', c.bold('Annotations'));
    for (const a of unplaced) out.push(`  ${annotation(a)}`);
  }
  if (detail.artifacts.length) {
    out.push('', c.bold('Artifacts'));
    for (const a of detail.artifacts) {
      out.push(
        a.status === 'stored'
          ? `  ${c.green('✓')} #${a.id} ${printable(a.path)} ${c.dim(printable(`${formatBytes(a.size)} · ${a.mediaType ?? ''}${a.description ? ` · ${a.description}` : ''}`))}`
          : a.status === 'expired'
            ? `  ${c.dim('–')} #${a.id} ${printable(a.path)} ${c.dim(`${formatBytes(a.size)} · deleted by retention`)}`
            : `  ${c.red('✗')} #${a.id} ${printable(a.path)} ${c.dim(printable(a.error ?? ''))}`,
      );
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
