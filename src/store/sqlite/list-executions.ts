import type Database from 'better-sqlite3';
import { ERROR_CODES, isStepflowError, validationError } from '../../core/errors.js';
import type { Execution } from '../../core/model.js';
import { isExecutionStatus } from '../../core/statuses.js';
import type { ExecutionPage, ExecutionQuery, UnreadableRecord } from '../store.js';
import { EXECUTION_COLUMNS, executionFromRow, isoToMs } from './execution-row.js';
import type { ExecutionRow } from './execution-row.js';

const DEFAULT_LIMIT = 50;
/** Distinct query shapes kept prepared per connection; more (tag combinations) start over. */
const MAX_CACHED_STATEMENTS = 64;
// The listing is polled (dashboards, the web UI): preparing its SQL measured ~15 % of its cost.
const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();

export function prepareCached(db: Database.Database, sql: string): Database.Statement {
  let cache = statements.get(db);
  if (cache === undefined) statements.set(db, (cache = new Map()));
  let statement = cache.get(sql);
  if (statement === undefined) {
    if (cache.size >= MAX_CACHED_STATEMENTS) cache.clear();
    cache.set(sql, (statement = db.prepare(sql)));
  }
  return statement;
}
const MAX_LIMIT = 500;

/** SQL function for case-insensitive matching beyond ASCII (SQLite's lower() and LIKE stop at ASCII). */
export function registerListFunctions(db: Database.Database): void {
  db.function('stepflow_icontains', { deterministic: true }, (haystack: unknown, needle: unknown) =>
    String(haystack).toLowerCase().includes(String(needle)) ? 1 : 0,
  );
}

/** Newest first (or oldest first); ids are time-sortable, so the keyset is the id alone. */
export function listExecutions(db: Database.Database, query: ExecutionQuery = {}): ExecutionPage {
  const limit = query.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw validationError(`limit must be an integer from 1 to ${MAX_LIMIT}, got ${String(limit)}`);
  }
  const where: string[] = [];
  const params: unknown[] = [];
  // Oldest first is the same keyset walked the other way: the cursor is the last id either way.
  const ascending = query.order === 'asc';
  if (query.cursor !== undefined) {
    where.push(ascending ? 'e.id > ?' : 'e.id < ?');
    params.push(decodeCursor(query.cursor));
  }
  if (query.status !== undefined && query.status.length > 0) {
    for (const status of query.status) {
      if (!isExecutionStatus(status)) throw validationError(`unknown status ${JSON.stringify(status)}`);
    }
    where.push(`e.status IN (${query.status.map(() => '?').join(', ')})`);
    params.push(...query.status);
  }
  for (const tag of query.tags ?? []) {
    const eq = tag.indexOf('=');
    const key = eq === -1 ? tag : tag.slice(0, eq);
    if (key === '') throw validationError(`tag filter ${JSON.stringify(tag)} has an empty key`);
    if (eq === -1) {
      where.push('EXISTS (SELECT 1 FROM execution_tags t WHERE t.execution_id = e.id AND t.key = ?)');
      params.push(key);
    } else {
      where.push(
        'EXISTS (SELECT 1 FROM execution_tags t WHERE t.execution_id = e.id AND t.key = ? AND t.value = ?)',
      );
      params.push(key, tag.slice(eq + 1));
    }
  }
  if (query.text !== undefined && query.text !== '') {
    where.push('(stepflow_icontains(e.name, ?) OR stepflow_icontains(e.command, ?))');
    const needle = query.text.toLowerCase();
    params.push(needle, needle);
  }
  if (query.since !== undefined) {
    where.push('e.created_ms >= ?');
    params.push(isoToMs(query.since, 'since'));
  }
  if (query.until !== undefined) {
    where.push('e.created_ms <= ?');
    params.push(isoToMs(query.until, 'until'));
  }
  if (query.jobId !== undefined) {
    where.push('e.job_id = ?');
    params.push(query.jobId);
  }
  if (query.rerunOf !== undefined) {
    where.push('e.rerun_of = ?');
    params.push(query.rerunOf);
  }
  const sql = `SELECT ${EXECUTION_COLUMNS} FROM executions e
    ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY e.id ${ascending ? 'ASC' : 'DESC'} LIMIT ?`;
  const rows = prepareCached(db, sql).all(...params, limit + 1) as ExecutionRow[];
  const page = rows.slice(0, limit);
  const items: Execution[] = [];
  const problems: UnreadableRecord[] = [];
  for (const row of page) {
    try {
      items.push(executionFromRow(row));
    } catch (error) {
      // One damaged row must not break the listing: it is named instead (and can be deleted).
      if (!(isStepflowError(error) && error.code === ERROR_CODES.UNREADABLE)) throw error;
      problems.push({ id: row.id, name: row.name, error: error.message });
    }
  }
  // The cursor is the last row's, read or not, so the next page starts after it.
  const last = page.at(-1);
  const nextCursor = rows.length > limit && last !== undefined ? encodeCursor(last.id) : null;
  return problems.length > 0 ? { items, nextCursor, problems } : { items, nextCursor };
}

/** Keyset cursors are base64url of printable ASCII (an id, or ids joined); shared by every listing. */
export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const id = /^[A-Za-z0-9_-]{1,200}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  // Re-encoding must give the cursor back: rejects padding tricks and non-UTF-8 garbage.
  if (id === '' || encodeCursor(id) !== cursor || !/^[\x21-\x7e]+$/.test(id)) {
    throw validationError(`cursor ${JSON.stringify(cursor)} is not a cursor this server returned`, {
      field: 'cursor',
    });
  }
  return id;
}
