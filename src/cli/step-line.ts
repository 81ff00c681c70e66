import type { Step } from '../core/model.js';
import { type Colors, STEP_ICONS, formatDuration, paintStatus } from './format.js';

/** One step as both views print it: icon, name, duration, progress estimate, error. */
export function stepLine(c: Colors, step: Step, now: number, spinner = '●'): string {
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
