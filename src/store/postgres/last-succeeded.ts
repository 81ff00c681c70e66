import { ERROR_CODES, isStepflowError } from '../../core/errors.js';
import type { Execution } from '../../core/model.js';
import { executionFromRow, isoToMs, type ExecutionRow } from '../sqlite/execution-row.js';
import { executionColumns } from './execution-row.js';
import type { Queryable } from './sql-values.js';

/** The newest succeeded execution called `name` created strictly before `beforeCreatedAt` (ISO). */
export async function lastSucceededByName(
  db: Queryable,
  name: string,
  beforeCreatedAt: string,
): Promise<Execution | undefined> {
  const { rows } = await db.query<ExecutionRow>(
    `SELECT ${executionColumns()} FROM executions
      WHERE created_ms < $1 AND status = 'succeeded' AND name = $2
      ORDER BY created_ms DESC, id DESC LIMIT 1`,
    [isoToMs(beforeCreatedAt, 'beforeCreatedAt'), name],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  try {
    return executionFromRow(row);
  } catch (error) {
    // Estimates are a nicety: a damaged row gives none (the listings report it).
    if (isStepflowError(error) && error.code === ERROR_CODES.UNREADABLE) return undefined;
    throw error;
  }
}
