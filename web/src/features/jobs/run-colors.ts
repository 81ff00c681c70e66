import type { ExecutionStatus } from '../../api/types.js';

/** The theme variable each status is drawn in (sparklines, chart points); exhaustive on purpose. */
export const STATUS_COLOR: Record<ExecutionStatus, string> = {
  succeeded: '--success',
  failed: '--danger',
  timed_out: '--danger',
  interrupted: '--warning',
  lost: '--warning',
  cancelled: '--neutral',
  running: '--running',
  queued: '--neutral',
};
