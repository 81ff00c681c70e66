import type { StepflowEvent } from '../core/events.js';
import type { Colors } from './format.js';
import { createPlainView } from './plain-view.js';

export interface LiveView {
  handle(event: StepflowEvent): void;
  /** Stops redrawing and leaves the final step list on screen. */
  stop(): void;
}

/**
 * A terminal the view can redraw: a TTY that knows its size. A pty with no size (`stty cols 0`,
 * some CI runners and `script` setups) gets plain lines, as a redrawn frame cut to zero rows
 * would print nothing.
 */
export function canRedraw(out: NodeJS.WriteStream): boolean {
  return Boolean(out.isTTY) && (out.columns ?? 0) > 0 && (out.rows ?? 0) > 0;
}

/**
 * The terminal's view of one execution. Where it can redraw (`canRedraw`), a step list with the
 * running step's last lines (see tty-view.ts); elsewhere plain appended lines: the script's output
 * and one line per step change, so CI logs stay readable. The redrawing view (with `log-update`
 * and its dozen modules) is loaded only for a terminal: a `stepflow run` in a script or CI does
 * not pay for it at start-up (docs/PERFORMANCE.md, "CLI start-up").
 */
export async function createLiveView(options: {
  executionId: string;
  out: NodeJS.WriteStream;
  colors: Colors;
  interactive: boolean;
  /** On a terminal: stream all output above the step list instead of its last lines. */
  verbose?: boolean;
  now?: () => number;
}): Promise<LiveView> {
  const { out, interactive, ...rest } = options;
  if (!interactive) return createPlainView({ ...rest, write: (text) => out.write(text) });
  const { createTtyView } = await import('./tty-view.js');
  return createTtyView(options);
}
