import type { Annotation, Step } from '../../core/model.js';
import { annotationLocation } from '../annotation-location.js';
import type { ExecutionSource } from '../execution-source.js';
import {
  colorsFor,
  EXECUTION_ICONS,
  formatBytes,
  formatDuration,
  formatTime,
  paintStatus,
  STEP_ICONS,
} from '../format.js';

/** `stepflow show <id>`: one execution with its steps, artifacts and annotations. */
export async function showCommand(
  source: ExecutionSource,
  id: string,
  options: { json?: boolean },
): Promise<number> {
  const detail = await source.get(id);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(detail, null, 2)}\n`);
    return 0;
  }
  const c = colorsFor(process.stdout);
  const out: string[] = [];
  out.push(
    `${paintStatus(c, detail.status, `${EXECUTION_ICONS[detail.status]} ${detail.status}`)} ${c.bold(detail.name)}`,
  );
  out.push(`  ${c.dim('id')}        ${detail.id}`);
  out.push(`  ${c.dim('command')}   ${detail.command}`);
  out.push(`  ${c.dim('cwd')}       ${detail.cwd}`);
  out.push(
    `  ${c.dim('started')}   ${formatTime(detail.startedAt)}  ${c.dim('duration')} ${formatDuration(detail.durationMs)}`,
  );
  out.push(`  ${c.dim('exit')}      ${detail.exitCode ?? detail.signal ?? '-'}`);
  if (detail.error) out.push(`  ${c.dim('error')}     ${c.red(detail.error)}`);
  for (const hit of detail.limitHits ?? []) {
    if (hit.message !== detail.error) out.push(`  ${c.dim('limit')}     ${c.yellow(hit.message)}`);
  }
  const tags = Object.entries(detail.tags);
  if (tags.length)
    out.push(`  ${c.dim('tags')}      ${tags.map(([k, v]) => (v ? `${k}=${v}` : k)).join(' ')}`);
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
    return `${level} ${where ? `${where}: ` : ''}${a.title ? `${a.title}: ` : ''}${a.message}`;
  };
  for (const step of detail.steps) {
    const pad = '  '.repeat(depth(step) + 1);
    const line = `${pad}${paintStatus(c, step.status, STEP_ICONS[step.status])} ${step.name} ${c.dim(formatDuration(step.durationMs))}`;
    out.push(step.error ? `${line} ${c.red(step.error)}` : line);
    // Under the step it was printed in, indented past the step's icon.
    for (const a of detail.annotations) if (a.stepId === step.id) out.push(`${pad}  ${annotation(a)}`);
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
          ? `  ${c.green('✓')} #${a.id} ${a.path} ${c.dim(`${formatBytes(a.size)} · ${a.mediaType ?? ''}${a.description ? ` · ${a.description}` : ''}`)}`
          : `  ${c.red('✗')} #${a.id} ${a.path} ${c.dim(a.error ?? '')}`,
      );
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
