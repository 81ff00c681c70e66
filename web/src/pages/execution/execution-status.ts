import type { ExecutionStatus } from '../../api/types.js';

const TERMINAL: readonly ExecutionStatus[] = ['succeeded', 'failed', 'cancelled', 'timed_out', 'interrupted'];
/** Ends that get the failure summary: something went wrong, rather than someone stopping it. */
const FAILURES: readonly ExecutionStatus[] = ['failed', 'timed_out', 'interrupted'];

export const isTerminal = (status: ExecutionStatus): boolean => TERMINAL.includes(status);
export const isFailure = (status: ExecutionStatus): boolean => FAILURES.includes(status);
export const isActive = (status: ExecutionStatus): boolean => status === 'queued' || status === 'running';
