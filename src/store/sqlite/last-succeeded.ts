import type Database from 'better-sqlite3';
import { ERROR_CODES, isStepflowError } from '../../core/errors.js';
import type { Execution } from '../../core/model.js';
import { EXECUTION_COLUMNS, executionFromRow, isoToMs, type ExecutionRow } from './execution-row.js';

// Walks the created_ms index from the newest row before the bound down, checking name and status
// per row: the first match ends it, and a name usually repeats often (a nightly job, a CI script).
const SQL = `SELECT ${EXECUTION_COLUMNS} FROM executions
  WHERE created_ms < ? AND status = 'succeeded' AND name = ?
  ORDER BY created_ms DESC, id DESC LIMIT 1`;

const statements = new WeakMap<Database.Database, Database.Statement<[number, string], ExecutionRow>>();

/** The newest succeeded execution called `name` created strictly before `beforeCreatedAt` (ISO). */
export function lastSucceededByName(
  db: Database.Database,
  name: string,
  beforeCreatedAt: string,
): Execution | undefined {
  let statement = statements.get(db);
  if (statement === undefined) {
    statement = db.prepare<[number, string], ExecutionRow>(SQL);
    statements.set(db, statement);
  }
  const row = statement.get(isoToMs(beforeCreatedAt, 'beforeCreatedAt'), name);
  if (row === undefined) return undefined;
  try {
    return executionFromRow(row);
  } catch (error) {
    // Estimates are a nicety: a damaged row gives none (the listings report it).
    if (isStepflowError(error) && error.code === ERROR_CODES.UNREADABLE) return undefined;
    throw error;
  }
}
