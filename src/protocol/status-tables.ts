import type { ExecutionStatus, FailureStatus, TerminalExecutionStatus } from '../core/statuses.js';

/**
 * Every execution status mapped to whether it is one of `Members`: `true` for those, `false` for
 * the others. The dashboard may take only types from the server, so it writes such a table out;
 * the compiler then checks it against core's definition: a status added, or one that stops or
 * starts counting as a failure in `core/statuses.ts`, fails the web build until the table follows.
 */
type StatusTable<Members extends ExecutionStatus> = {
  readonly [S in ExecutionStatus]: S extends Members ? true : false;
};

/** `FAILURE_STATUSES` of `core/statuses.ts`, as a table a client writes out (see {@link StatusTable}). */
export type FailureStatusTable = StatusTable<FailureStatus>;

/** `TERMINAL_EXECUTION_STATUSES` of `core/statuses.ts`, as a table a client writes out. */
export type TerminalStatusTable = StatusTable<TerminalExecutionStatus>;
