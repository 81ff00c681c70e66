import type { ExecutionStatus } from '../core/statuses.js';

/** Exit codes for outcomes that have no exit code of the script's own (as timeout(1) and shells do). */
const EXIT_TIMED_OUT = 124;
const EXIT_CANCELLED = 130;

/**
 * The exit code of `stepflow run` for an ended run, wherever it ran: 0 when it succeeded, else the
 * script's own code, 124 for a timeout, 130 for a cancel, 1 for an end without a code (lost, …).
 */
export function exitCodeOf(execution: { status: ExecutionStatus; exitCode: number | null }): number {
  switch (execution.status) {
    case 'succeeded':
      return 0;
    case 'timed_out':
      return EXIT_TIMED_OUT;
    case 'cancelled':
      return EXIT_CANCELLED;
    default:
      return execution.exitCode !== null && execution.exitCode !== 0 ? execution.exitCode : 1;
  }
}
