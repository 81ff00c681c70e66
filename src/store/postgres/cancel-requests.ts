import { notFound } from '../../core/errors.js';
import type { ExecutionOwner } from '../../core/model.js';
import { isTerminalExecutionStatus } from '../../core/statuses.js';
import type { CancelRequestResult } from '../store.js';
import { executionFromRow, isoToMs, type ExecutionRow } from '../sqlite/execution-row.js';
import { executionColumns } from './execution-row.js';
import type { Queryable } from './sql-values.js';

/**
 * Records a request to cancel (inside the caller's transaction): only an open run takes it, the
 * first time is kept. The row is read back in the same transaction, after the update locked it,
 * so the status returned is the one the update saw.
 */
export async function requestCancel(db: Queryable, id: string, at: string): Promise<CancelRequestResult> {
  isoToMs(at, 'at');
  await db.query(
    `UPDATE executions SET cancel_requested_at = coalesce(cancel_requested_at, $1)
      WHERE id = $2 AND status IN ('queued', 'running')`,
    [at, id],
  );
  const { rows } = await db.query<ExecutionRow & { cancel_requested_at: string | null }>(
    `SELECT ${executionColumns()}, cancel_requested_at FROM executions WHERE id = $1`,
    [id],
  );
  const row = rows[0];
  if (row === undefined) throw notFound('execution', id);
  const execution = executionFromRow(row);
  const open = !isTerminalExecutionStatus(execution.status);
  return { execution, requestedAt: open ? row.cancel_requested_at : null };
}

/** Same terms as the partial index executions_cancel_requested, so it is the one searched. */
export async function cancelRequests(db: Queryable, owner: ExecutionOwner): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM executions
      WHERE cancel_requested_at IS NOT NULL AND status IN ('queued', 'running')
        AND owner_pid = $1 AND owner_host = $2 AND owner_start_time = $3
      ORDER BY id`,
    [owner.pid, owner.host, owner.startTime],
  );
  return rows.map((row) => row.id);
}
