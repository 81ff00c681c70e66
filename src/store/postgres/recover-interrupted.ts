import type pg from 'pg';
import { findOrphans, interruptionOf, type OpenStep } from '../../core/interruption.js';
import type { ExecutionOwner } from '../../core/model.js';
import {
  OPEN_EXECUTION_COLUMNS,
  OPEN_STATUSES_SQL as OPEN_STATUSES,
  openExecutionFromRow,
  type OpenExecutionRow,
} from '../open-execution-row.js';
import { lastSignOfLife } from './last-sign-of-life.js';
import type { Queryable } from './sql-values.js';

/**
 * Persists what core decides about orphaned executions (`core/interruption.ts`). The liveness
 * checks run before the write transaction; inside it each orphan's row is locked and its status
 * re-checked, so an execution its owner finished meanwhile is left alone.
 */
export async function recoverInterrupted(
  db: Queryable,
  isOwnerAlive: (owner: ExecutionOwner) => boolean,
  now: Date,
  transaction: <T>(work: (client: pg.PoolClient) => Promise<T>) => Promise<T>,
): Promise<string[]> {
  const { rows } = await db.query<OpenExecutionRow>(
    `SELECT ${OPEN_EXECUTION_COLUMNS} FROM executions
      WHERE status IN (${OPEN_STATUSES})`,
  );
  const orphans = findOrphans(rows.map(openExecutionFromRow), isOwnerAlive);
  if (orphans.length === 0) return [];
  const nowMs = now.getTime();
  return transaction(async (client) => {
    const changed: string[] = [];
    for (const { execution, error } of orphans) {
      // Locks the row: its owner's writer waits until this decision is saved, or we see its end.
      const open = await client.query(
        `SELECT 1 FROM executions WHERE id = $1 AND status IN (${OPEN_STATUSES}) FOR UPDATE`,
        [execution.id],
      );
      if (open.rowCount === 0) continue;
      const steps = await client.query<{ id: number; status: OpenStep['status']; started_at: string }>(
        // A step failed by STEP_ERROR stays open (ended_at NULL) until closed: those are open too.
        'SELECT id, status, started_at FROM steps WHERE execution_id = $1 AND ended_at IS NULL',
        [execution.id],
      );
      const decided = interruptionOf({
        execution,
        error,
        lastSignOfLifeMs: await lastSignOfLife(client, execution.id),
        nowMs,
        openSteps: steps.rows.map((row) => ({ id: row.id, status: row.status, startedAt: row.started_at })),
      });
      await client.query(
        'UPDATE executions SET status = $1, ended_at = $2, duration_ms = $3, error = $4 WHERE id = $5',
        [decided.status, decided.endedAt, decided.durationMs, decided.error, execution.id],
      );
      changed.push(execution.id);
      if (decided.steps.length > 0) {
        await client.query(
          `UPDATE steps s SET status = v.status, ended_at = v.ended_at, duration_ms = v.duration_ms
            FROM unnest($2::integer[], $3::text[], $4::text[], $5::bigint[]) AS v(id, status, ended_at, duration_ms)
            WHERE s.execution_id = $1 AND s.id = v.id`,
          [
            execution.id,
            decided.steps.map((s) => s.id),
            decided.steps.map((s) => s.status),
            decided.steps.map((s) => s.endedAt),
            decided.steps.map((s) => s.durationMs),
          ],
        );
      }
    }
    return changed;
  });
}
