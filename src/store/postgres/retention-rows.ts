import { notFound } from '../../core/errors.js';
import type { Execution } from '../../core/model.js';
import type { EndedRun, EndedRunQuery, ExpiredArtifact, RunBytes } from '../store.js';
import { executionFromRow, type ExecutionRow } from '../sqlite/execution-row.js';
import { executionColumns } from './execution-row.js';
import type { Queryable } from './sql-values.js';

/**
 * What retention reads and changes (SQLite's `retention-rows.ts`, one statement per batch here).
 * Each mutation re-checks that the run is still ended and unpinned: the sweep decided on a
 * listing read earlier, and a pin may have arrived since.
 */

/** Ended and unpinned: what may expire. */
const EXPIRABLE = `pinned = 0 AND status NOT IN ('queued', 'running')`;

export async function setPinned(db: Queryable, id: string, pinned: boolean): Promise<Execution> {
  const { rows } = await db.query<ExecutionRow>(
    `UPDATE executions SET pinned = $1 WHERE id = $2 RETURNING ${executionColumns()}`,
    [pinned ? 1 : 0, id],
  );
  const row = rows[0];
  if (row === undefined) throw notFound('execution', id);
  return executionFromRow(row);
}

interface EndedRunRow {
  id: string;
  job_id: string | null;
  name: string;
  status: EndedRun['status'];
  ended_at: string | null;
  pinned: number;
  logs_expired_at: string | null;
  has_stored: boolean;
}

export async function listEndedRuns(db: Queryable, { before, limit }: EndedRunQuery): Promise<EndedRun[]> {
  const { rows } = await db.query<EndedRunRow>(
    `SELECT id, job_id, name, status, ended_at, pinned, logs_expired_at,
      EXISTS (SELECT 1 FROM artifacts a WHERE a.execution_id = executions.id AND a.status = 'stored') AS has_stored
      FROM executions WHERE status NOT IN ('queued', 'running') AND ($1::text IS NULL OR id < $1)
      ORDER BY id DESC LIMIT $2`,
    [before ?? null, limit],
  );
  return rows.map((row) => ({
    id: row.id,
    jobId: row.job_id,
    name: row.name,
    status: row.status,
    endedAt: row.ended_at,
    pinned: row.pinned === 1,
    logExpired: row.logs_expired_at !== null,
    hasStoredArtifacts: row.has_stored,
  }));
}

export async function measureRuns(db: Queryable, ids: string[]): Promise<RunBytes[]> {
  // octet_length of a TOASTed bytea reads its stored length, not the value.
  const { rows } = await db.query<{ id: string; log_bytes: string; artifact_bytes: string }>(
    `SELECT ids.id,
      (SELECT coalesce(sum(octet_length(text)), 0) FROM log_chunks WHERE execution_id = ids.id) AS log_bytes,
      (SELECT coalesce(sum(size), 0) FROM artifacts WHERE execution_id = ids.id AND status = 'stored') AS artifact_bytes
      FROM unnest($1::text[]) AS ids(id)`,
    [ids],
  );
  return rows.map((row) => ({
    id: row.id,
    logBytes: Number(row.log_bytes),
    artifactBytes: Number(row.artifact_bytes),
  }));
}

export async function dropLogs(db: Queryable, ids: string[], at: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE executions SET logs_expired_at = $2
      WHERE id = ANY($1::text[]) AND ${EXPIRABLE} AND logs_expired_at IS NULL RETURNING id`,
    [ids, at],
  );
  const dropped = rows.map((row) => row.id);
  if (dropped.length > 0) {
    await db.query('DELETE FROM log_chunks WHERE execution_id = ANY($1::text[])', [dropped]);
  }
  return order(ids, dropped);
}

export async function expireArtifacts(db: Queryable, ids: string[]): Promise<ExpiredArtifact[]> {
  // The old values come from the FROM's copy of the row: RETURNING shows the new ones.
  const { rows } = await db.query<{
    execution_id: string;
    id: number;
    stored_path: string | null;
    size: string | null;
  }>(
    `UPDATE artifacts SET status = 'expired', stored_path = NULL
      FROM artifacts old JOIN executions e ON e.id = old.execution_id
      WHERE artifacts.execution_id = old.execution_id AND artifacts.id = old.id
        AND old.execution_id = ANY($1::text[]) AND old.status = 'stored'
        AND e.pinned = 0 AND e.status NOT IN ('queued', 'running')
      RETURNING old.execution_id, old.id, old.stored_path, old.size`,
    [ids],
  );
  return rows
    .map((row) => ({
      executionId: row.execution_id,
      artifactId: row.id,
      storedPath: row.stored_path,
      size: row.size === null ? null : Number(row.size),
    }))
    .sort((a, b) =>
      a.executionId === b.executionId
        ? a.artifactId - b.artifactId
        : ids.indexOf(a.executionId) - ids.indexOf(b.executionId),
    );
}

export async function deleteExecutions(db: Queryable, ids: string[]): Promise<string[]> {
  // ON DELETE CASCADE removes tags, steps, log chunks, artifacts, annotations, samples, summaries.
  const { rows } = await db.query<{ id: string }>(
    `DELETE FROM executions WHERE id = ANY($1::text[]) AND ${EXPIRABLE} RETURNING id`,
    [ids],
  );
  return order(
    ids,
    rows.map((row) => row.id),
  );
}

/** The ids of `subset` in the order of `ids` (what the SQLite store returns). */
function order(ids: string[], subset: string[]): string[] {
  const set = new Set(subset);
  return ids.filter((id) => set.has(id));
}
