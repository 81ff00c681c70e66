import { validationError } from '../../core/errors.js';
import type { ExecutionStatus } from '../../core/statuses.js';
import type { ArtifactPage, ArtifactQuery } from '../store.js';
import { artifactFromRow, type ArtifactRow } from '../sqlite/detail-rows.js';
import { decodeCursor, encodeCursor } from '../sqlite/list-executions.js';
import type { Queryable } from './sql-values.js';
import { icontainsSql } from './text-match.js';

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
 * Newest execution first, then its artifacts newest first: the artifacts' primary key walked
 * backwards, so the keyset (execution id, artifact id) pages without skipping or repeating a row.
 */
export async function listArtifacts(db: Queryable, query: ArtifactQuery = {}): Promise<ArtifactPage> {
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
    where.push(
      `(a.execution_id, a.id) < ($${params.push(executionId)}, $${params.push(artifactId)}::bigint)`,
    );
  }
  if (query.text !== undefined && query.text !== '') {
    const needle = `$${params.push(query.text.toLowerCase())}`;
    where.push(
      `(${icontainsSql('a.path', needle)} OR ${icontainsSql('a.description', needle)} OR ${icontainsSql('e.name', needle)})`,
    );
  }
  const { rows } = await db.query<ArtifactListRow>(
    `SELECT a.*, e.name AS execution_name, e.status AS execution_status,
        e.created_at AS execution_created_at, s.name AS step_name
      FROM artifacts a JOIN executions e ON e.id = a.execution_id
      LEFT JOIN steps s ON s.execution_id = a.execution_id AND s.id = a.step_id
      ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY a.execution_id DESC, a.id DESC LIMIT $${params.push(limit + 1)}`,
    params,
  );
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
