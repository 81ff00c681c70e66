import type Database from 'better-sqlite3';
import { findOrphans, interruptionOf, type OpenStep } from '../../core/interruption.js';
import type { ExecutionOwner } from '../../core/model.js';
import {
  OPEN_EXECUTION_COLUMNS,
  OPEN_STATUSES_SQL as OPEN_STATUSES,
  openExecutionFromRow,
  type OpenExecutionRow,
} from '../open-execution-row.js';
import { createSignOfLifeReader } from './last-sign-of-life.js';

/**
 * Persists what core decides about orphaned executions (`core/interruption.ts`): which ones are
 * orphaned, and what they and their open steps become. The liveness checks run before the write
 * transaction, which re-checks the status so an execution its owner finished in the meantime is
 * left alone.
 */
export function recoverInterrupted(
  db: Database.Database,
  isOwnerAlive: (owner: ExecutionOwner) => boolean,
  now: Date,
): string[] {
  const open = (
    db
      .prepare(
        `SELECT ${OPEN_EXECUTION_COLUMNS} FROM executions
        WHERE status IN (${OPEN_STATUSES})`,
      )
      .all() as OpenExecutionRow[]
  ).map(openExecutionFromRow);
  const orphans = findOrphans(open, isOwnerAlive);
  if (orphans.length === 0) return [];

  const nowMs = now.getTime();
  const lastSignOfLife = createSignOfLifeReader(db);
  const markInterrupted = db.prepare(`UPDATE executions SET status = ?, ended_at = ?, duration_ms = ?,
    error = ? WHERE id = ? AND status IN (${OPEN_STATUSES})`);
  const openSteps = db.prepare<[string], { id: number; status: OpenStep['status']; started_at: string }>(
    // A step failed by STEP_ERROR stays open (ended_at NULL) until closed: those are open too.
    `SELECT id, status, started_at FROM steps WHERE execution_id = ? AND ended_at IS NULL`,
  );
  const closeStep = db.prepare(`UPDATE steps SET status = ?, ended_at = ?, duration_ms = ?
    WHERE execution_id = ? AND id = ?`);
  const changed: string[] = [];
  db.transaction(() => {
    for (const { execution, error } of orphans) {
      const decided = interruptionOf({
        execution,
        error,
        lastSignOfLifeMs: lastSignOfLife(execution.id),
        nowMs,
        openSteps: openSteps
          .all(execution.id)
          .map((row) => ({ id: row.id, status: row.status, startedAt: row.started_at })),
      });
      const { status, endedAt, durationMs } = decided;
      if (markInterrupted.run(status, endedAt, durationMs, decided.error, execution.id).changes === 0)
        continue;
      changed.push(execution.id);
      for (const step of decided.steps) {
        closeStep.run(step.status, step.endedAt, step.durationMs, execution.id, step.id);
      }
    }
  }).immediate();
  return changed;
}
