import type Database from 'better-sqlite3';
import { validationError } from '../../core/errors.js';
import type { ExecutionStatus } from '../../core/statuses.js';
import type { ArtifactPage, ArtifactQuery } from '../store.js';
import { artifactFromRow, type ArtifactRow } from './detail-rows.js';
import { decodeCursor, encodeCursor, prepareCached } from './list-executions.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 500;

interface ArtifactListRow extends ArtifactRow {
  execution_id: string;
  execution_name: string;
  execution_status: ExecutionStatus;
  execution_created_at: string;
  step_name: string | null;
}

/**
 * Newest execution first (ids are time-sortable), then its artifacts newest first: the order of
 * the artifacts table's primary key walked backwards, so the keyset (execution id, artifact id)
 * pages without sorting and without skipping or repeating a row.
 */
export function listArtifacts(db: Database.Database, query: ArtifactQuery = {}): ArtifactPage {
  const limit = query.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw validationError(`limit must be an integer from 1 to ${MAX_LIMIT}, got ${String(limit)}`, {
      field: 'limit',
    });
  }
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.cursor !== undefined) {
    const [executionId, artifactId] = decodeArtifactCursor(query.cursor);
    where.push('(a.execution_id < ? OR (a.execution_id = ? AND a.id < ?))');
    params.push(executionId, executionId, artifactId);
  }
  if (query.text !== undefined && query.text !== '') {
    // stepflow_icontains: case-insensitive beyond ASCII (registered by list-executions).
    where.push(
      '(stepflow_icontains(a.path, ?) OR stepflow_icontains(a.description, ?) OR stepflow_icontains(e.name, ?))',
    );
    const needle = query.text.toLowerCase();
    params.push(needle, needle, needle);
  }
  const sql = `SELECT a.*, e.name AS execution_name, e.status AS execution_status,
      e.created_at AS execution_created_at, s.name AS step_name
    FROM artifacts a JOIN executions e ON e.id = a.execution_id
    LEFT JOIN steps s ON s.execution_id = a.execution_id AND s.id = a.step_id
    ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY a.execution_id DESC, a.id DESC LIMIT ?`;
  const rows = prepareCached(db, sql).all(...params, limit + 1) as ArtifactListRow[];
  const items = rows.slice(0, limit).map((row) => ({
    ...artifactFromRow(row),
    executionId: row.execution_id,
    executionName: row.execution_name,
    executionStatus: row.execution_status,
    executionCreatedAt: row.execution_created_at,
    stepName: row.step_name,
  }));
  const last = items.at(-1);
  return {
    items,
    nextCursor:
      rows.length > limit && last !== undefined ? encodeCursor(`${last.executionId}/${last.id}`) : null,
  };
}

function decodeArtifactCursor(cursor: string): [string, number] {
  const match = /^([^/]+)\/([1-9]\d{0,15})$/.exec(decodeCursor(cursor));
  if (match === null) {
    throw validationError(`cursor ${JSON.stringify(cursor)} is not a cursor this server returned`, {
      field: 'cursor',
    });
  }
  return [match[1] as string, Number(match[2])];
}
