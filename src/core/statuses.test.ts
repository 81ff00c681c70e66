import { describe, expect, it } from 'vitest';
import {
  EXECUTION_STATUSES,
  isFailureStatus,
  isScriptFailure,
  isTerminalExecutionStatus,
  type ExecutionStatus,
} from './statuses.js';

describe('what an execution status means', () => {
  // One row per status: a status added to EXECUTION_STATUSES fails this table until it is decided.
  const table: Record<ExecutionStatus, { ended: boolean; failure: boolean; scriptFailure: boolean }> = {
    queued: { ended: false, failure: false, scriptFailure: false },
    running: { ended: false, failure: false, scriptFailure: false },
    succeeded: { ended: true, failure: false, scriptFailure: false },
    failed: { ended: true, failure: true, scriptFailure: true },
    cancelled: { ended: true, failure: false, scriptFailure: false },
    timed_out: { ended: true, failure: true, scriptFailure: true },
    // A failure (counted and shown red), but not the script's: never retried, no failure webhook.
    interrupted: { ended: true, failure: true, scriptFailure: false },
    // Its worker went silent: a failure, but it may still be running behind a partition.
    lost: { ended: true, failure: true, scriptFailure: false },
  };

  it.each(EXECUTION_STATUSES.map((status) => [status, table[status]] as const))(
    '%s: %o',
    (status, expected) => {
      expect({
        ended: isTerminalExecutionStatus(status),
        failure: isFailureStatus(status),
        scriptFailure: isScriptFailure(status),
      }).toEqual(expected);
    },
  );
});
