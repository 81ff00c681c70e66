import type Database from 'better-sqlite3';
import { notFound } from '../../core/errors.js';
import type { ExecutionOwner } from '../../core/model.js';
import { isTerminalExecutionStatus } from '../../core/statuses.js';
import type { CancelRequestResult } from '../store.js';
import { EXECUTION_COLUMNS, executionFromRow, isoToMs } from './execution-row.js';
import type { ExecutionRow } from './execution-row.js';

export interface CancelRequests {
  request(id: string, at: string): CancelRequestResult;
  pending(owner: ExecutionOwner): string[];
  /** `PRAGMA data_version`: changes only when another connection commits. */
  changeMarker(): number;
}

/**
 * Cancel requests as a column of the execution (`cancel_requested_at`): whoever asks sets it, the
 * owner polls for it. Only open runs take a request; the first time is kept.
 */
export function createCancelRequests(db: Database.Database): CancelRequests {
  const mark = db.prepare<[string, string]>(`UPDATE executions
    SET cancel_requested_at = coalesce(cancel_requested_at, ?)
    WHERE id = ? AND status IN ('queued', 'running')`);
  const select = db.prepare<[string], ExecutionRow & { cancel_requested_at: string | null }>(
    `SELECT ${EXECUTION_COLUMNS}, cancel_requested_at FROM executions WHERE id = ?`,
  );
  // Same terms as the partial index executions_cancel_requested, so it is the one searched.
  const selectPending = db
    .prepare<[number, string, number], string>(
      `SELECT id FROM executions
      WHERE cancel_requested_at IS NOT NULL AND status IN ('queued', 'running')
        AND owner_pid = ? AND owner_host = ? AND owner_start_time = ?
      ORDER BY id`,
    )
    .pluck();
  const selectDataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();

  // Immediate: the status read back is the one the update saw.
  const request = db.transaction((id: string, at: string): CancelRequestResult => {
    mark.run(at, id);
    const row = select.get(id);
    if (row === undefined) throw notFound('execution', id);
    const execution = executionFromRow(row);
    const open = !isTerminalExecutionStatus(execution.status);
    return { execution, requestedAt: open ? row.cancel_requested_at : null };
  });

  return {
    request(id, at) {
      isoToMs(at, 'at');
      return request.immediate(id, at);
    },
    pending: (owner) => selectPending.all(owner.pid, owner.host, owner.startTime),
    changeMarker: () => selectDataVersion.get() as number,
  };
}
