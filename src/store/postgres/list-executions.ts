import { ERROR_CODES, isStepflowError, validationError } from '../../core/errors.js';
import type { Execution } from '../../core/model.js';
import { isExecutionStatus } from '../../core/statuses.js';
import type { ExecutionPage, ExecutionQuery, UnreadableRecord } from '../store.js';
import { executionFromRow, isoToMs, type ExecutionRow } from '../sqlite/execution-row.js';
import { decodeCursor, encodeCursor } from '../sqlite/list-executions.js';
import { executionColumns } from './execution-row.js';
import type { Queryable } from './sql-values.js';
import { icontainsSql } from './text-match.js';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;

/** `e.`-qualified filters shared by the listing and the search across runs. */
export interface FilterSql {
  where: string[];
  params: unknown[];
}

/** A tag filter: `key=value` exact or `key` present, as an EXISTS on execution_tags. */
export function addTagFilter(filters: FilterSql, tag: string): void {
  const eq = tag.indexOf('=');
  const key = eq === -1 ? tag : tag.slice(0, eq);
  if (key === '')
    throw validationError(`tag filter ${JSON.stringify(tag)} has an empty key`, { field: 'tag' });
  const keyParam = `$${filters.params.push(key)}`;
  const valueSql = eq === -1 ? '' : ` AND t.value = $${filters.params.push(tag.slice(eq + 1))}`;
  filters.where.push(
    `EXISTS (SELECT 1 FROM execution_tags t WHERE t.execution_id = e.id AND t.key = ${keyParam}${valueSql})`,
  );
}

/** A status filter; an unknown status is a validation error. */
export function addStatusFilter(filters: FilterSql, statuses: readonly string[] | undefined): void {
  if (statuses === undefined || statuses.length === 0) return;
  for (const status of statuses) {
    if (!isExecutionStatus(status)) {
      throw validationError(`unknown status ${JSON.stringify(status)}`, { field: 'status' });
    }
  }
  filters.where.push(`e.status = ANY($${filters.params.push([...statuses])}::text[])`);
}

/** Newest first (or oldest first); ids are time-sortable, so the keyset is the id alone. */
export async function listExecutions(db: Queryable, query: ExecutionQuery = {}): Promise<ExecutionPage> {
  const limit = query.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw validationError(`limit must be an integer from 1 to ${MAX_LIMIT}, got ${String(limit)}`);
  }
  const filters: FilterSql = { where: [], params: [] };
  const { where, params } = filters;
  // Oldest first is the same keyset walked the other way: the cursor is the last id either way.
  const ascending = query.order === 'asc';
  if (query.cursor !== undefined) {
    where.push(`e.id ${ascending ? '>' : '<'} $${params.push(decodeCursor(query.cursor))}`);
  }
  addStatusFilter(filters, query.status);
  for (const tag of query.tags ?? []) addTagFilter(filters, tag);
  if (query.text !== undefined && query.text !== '') {
    const needle = `$${params.push(query.text.toLowerCase())}`;
    where.push(`(${icontainsSql('e.name', needle)} OR ${icontainsSql('e.command', needle)})`);
  }
  if (query.since !== undefined) where.push(`e.created_ms >= $${params.push(isoToMs(query.since, 'since'))}`);
  if (query.until !== undefined) where.push(`e.created_ms <= $${params.push(isoToMs(query.until, 'until'))}`);
  if (query.jobId !== undefined) where.push(`e.job_id = $${params.push(query.jobId)}`);
  if (query.rerunOf !== undefined) where.push(`e.rerun_of = $${params.push(query.rerunOf)}`);
  const { rows } = await db.query<ExecutionRow>(
    `SELECT ${executionColumns('e')} FROM executions e
      ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY e.id ${ascending ? 'ASC' : 'DESC'} LIMIT $${params.push(limit + 1)}`,
    params,
  );
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
