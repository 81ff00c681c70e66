import type { FailureStatusTable, TerminalStatusTable } from '../../../src/protocol/status-tables.js';
import type { ExecutionStatus } from './types.js';

// Core's definitions (src/core/statuses.ts), written out: the dashboard cannot import core's code,
// and the table types make the compiler refuse any entry that differs from core.
const TERMINAL: TerminalStatusTable = {
  queued: false,
  running: false,
  succeeded: true,
  failed: true,
  cancelled: true,
  timed_out: true,
  interrupted: true,
  lost: true,
};
/** Ends that get the failure summary: something went wrong, rather than someone stopping it. */
const FAILURE: FailureStatusTable = {
  queued: false,
  running: false,
  succeeded: false,
  failed: true,
  cancelled: false,
  timed_out: true,
  interrupted: true,
  lost: true,
};

export const isTerminal = (status: ExecutionStatus): boolean => TERMINAL[status];
export const isFailure = (status: ExecutionStatus): boolean => FAILURE[status];
export const isActive = (status: ExecutionStatus): boolean => status === 'queued' || status === 'running';
