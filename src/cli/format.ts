import pc from 'picocolors';
import { stripAnsi } from '../core/markers/ansi.js';
import type { ExecutionStatus, StepStatus } from '../core/statuses.js';

export type Colors = ReturnType<typeof pc.createColors>;

/** Colours only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function colorsFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): Colors {
  const enabled = Boolean(stream.isTTY) && !('NO_COLOR' in env && env.NO_COLOR !== '');
  return pc.createColors(enabled);
}

// C0 controls but tab and newline, DEL, and the C1 controls (a terminal may act on 0x9b as CSI).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/**
 * Text that came from a user or a script (a run's name, command, tags, errors, job fields) as it may
 * go to a terminal: escape sequences removed and other control characters shown as U+FFFD, so
 * `stepflow ls`/`show` cannot retitle the window, clear the screen or hide a line. A multi-line
 * value (a script) keeps its newlines only when `multiline` is set; otherwise they show as ⏎.
 */
export function printable(text: string, options: { multiline?: boolean } = {}): string {
  const lines = stripAnsi(text).replace(/\r\n/g, '\n');
  return (options.multiline ? lines : lines.replace(/\n/g, '⏎')).replace(CONTROL, '\uFFFD');
}

export const STEP_ICONS: Record<StepStatus, string> = {
  running: '●',
  succeeded: '✓',
  failed: '✗',
  cancelled: '⊘',
};

export const EXECUTION_ICONS: Record<ExecutionStatus, string> = {
  queued: '…',
  running: '●',
  succeeded: '✓',
  failed: '✗',
  cancelled: '⊘',
  timed_out: '⏱',
  interrupted: '⚡',
  lost: '⚠',
};

type Paint = (c: Colors, text: string) => string;
const STATUS_PAINT: Record<ExecutionStatus, Paint> = {
  queued: (c, t) => c.dim(t),
  running: (c, t) => c.yellow(t),
  succeeded: (c, t) => c.green(t),
  failed: (c, t) => c.red(t),
  cancelled: (c, t) => c.dim(t),
  timed_out: (c, t) => c.red(t),
  interrupted: (c, t) => c.magenta(t),
  lost: (c, t) => c.magenta(t),
};

export function paintStatus(c: Colors, status: ExecutionStatus | StepStatus, text: string): string {
  return STATUS_PAINT[status](c, text);
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Local time, to the second: what a person reading a terminal wants. */
export function formatTime(isoString: string | null): string {
  if (!isoString) return '';
  const d = new Date(isoString);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Columns padded on their visible width (ANSI colour codes take no room). */
export function table(rows: string[][]): string {
  // eslint-disable-next-line no-control-regex
  const visible = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '').length;
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visible(cell))));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visible(cell))))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n');
}
