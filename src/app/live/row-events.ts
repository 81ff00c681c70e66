import type { ExecutionEvent } from '../../core/events.js';
import type { Execution, ExecutionDetail } from '../../core/model.js';
import { isTerminalExecutionStatus } from '../../core/statuses.js';

/** The execution row of a detail: events carry rows, never the detail's steps and artifacts. */
export function executionRow(detail: Execution | ExecutionDetail): Execution {
  if (!('steps' in detail)) return detail;
  const { steps: _steps, artifacts: _artifacts, annotations: _annotations, ...row } = detail;
  return row;
}

/**
 * Whether two reads of an execution row say the same thing. `lineCount` is left out: it moves
 * with every commit of a running execution, and the lines themselves travel as `log.lines`.
 */
export function sameRow(a: Execution, b: Execution): boolean {
  return JSON.stringify({ ...a, lineCount: 0 }) === JSON.stringify({ ...b, lineCount: 0 });
}

/** The event that tells what changed from `before` (undefined: never delivered) to `after`. */
export function rowEvent(before: Execution | undefined, after: Execution): ExecutionEvent {
  const executionId = after.id;
  if (isTerminalExecutionStatus(after.status)) {
    return { type: 'execution.finished', executionId, execution: after };
  }
  if (after.status === 'queued') return { type: 'execution.queued', executionId, execution: after };
  if (before === undefined || before.status === 'queued') {
    return { type: 'execution.started', executionId, execution: after };
  }
  return { type: 'execution.updated', executionId, execution: after };
}
