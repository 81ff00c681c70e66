import type Database from 'better-sqlite3';
import { notFound } from '../../core/errors.js';
import type { Execution } from '../../core/model.js';
import type { EndedRun, EndedRunQuery, ExpiredArtifact, RunBytes } from '../store.js';
import { EXECUTION_COLUMNS, executionFromRow, type ExecutionRow } from './execution-row.js';

/**
 * What retention reads and changes (docs/RETENTION.md). Each mutation re-checks, in its WHERE, that
 * the run is still ended and unpinned: the sweep decided on a listing read earlier, and a pin may
 * have arrived since. One transaction per call: the sweep calls with a small batch of ids.
 */
export interface RetentionRows {
  setPinned(id: string, pinned: boolean): Execution;
  listEndedRuns(query: EndedRunQuery): EndedRun[];
  measureRuns(ids: string[]): RunBytes[];
  dropLogs(ids: string[], at: string): string[];
  expireArtifacts(ids: string[]): ExpiredArtifact[];
  deleteExecutions(ids: string[]): string[];
}

/** Ended and unpinned: what may expire. */
const EXPIRABLE = `pinned = 0 AND status NOT IN ('queued', 'running')`;

interface EndedRunRow {
  id: string;
  job_id: string | null;
  name: string;
  status: EndedRun['status'];
  ended_at: string | null;
  pinned: number;
  logs_expired_at: string | null;
  has_stored: number;
}

export function createRetentionRows(db: Database.Database): RetentionRows {
  const pin = db.prepare<[number, string]>('UPDATE executions SET pinned = ? WHERE id = ?');
  const selectExecution = db.prepare<[string], ExecutionRow>(
    `SELECT ${EXECUTION_COLUMNS} FROM executions WHERE id = ?`,
  );
  // Walks the primary key backwards; the artifact check is one probe of its primary key.
  const listColumns = `SELECT id, job_id, name, status, ended_at, pinned, logs_expired_at,
    EXISTS (SELECT 1 FROM artifacts WHERE artifacts.execution_id = executions.id AND artifacts.status = 'stored') AS has_stored
    FROM executions WHERE status NOT IN ('queued', 'running')`;
  const listFirst = db.prepare<[number], EndedRunRow>(`${listColumns} ORDER BY id DESC LIMIT ?`);
  const listBefore = db.prepare<[string, number], EndedRunRow>(
    `${listColumns} AND id < ? ORDER BY id DESC LIMIT ?`,
  );
  // The text's UTF-8 bytes, packed or not (as PostgreSQL counts them): a packed row keeps its size in
  // text_bytes. octet_length reads the size from the record header, not the text (no overflow
  // pages read).
  const logBytes = db
    .prepare<[string], number>(
      'SELECT coalesce(sum(coalesce(text_bytes, octet_length(text))), 0) FROM log_chunks WHERE execution_id = ?',
    )
    .pluck();
  const artifactBytes = db
    .prepare<[string], number>(
      `SELECT coalesce(sum(size), 0) FROM artifacts WHERE execution_id = ? AND status = 'stored'`,
    )
    .pluck();
  const markLogExpired = db.prepare<[string, string]>(
    `UPDATE executions SET logs_expired_at = ? WHERE id = ? AND ${EXPIRABLE} AND logs_expired_at IS NULL`,
  );
  const deleteChunks = db.prepare<[string]>('DELETE FROM log_chunks WHERE execution_id = ?');
  const isExpirable = db
    .prepare<[string], number>(`SELECT 1 FROM executions WHERE id = ? AND ${EXPIRABLE}`)
    .pluck();
  const storedArtifacts = db.prepare<
    [string],
    { id: number; stored_path: string | null; size: number | null }
  >(`SELECT id, stored_path, size FROM artifacts WHERE execution_id = ? AND status = 'stored' ORDER BY id`);
  const markArtifactsExpired = db.prepare<[string]>(
    `UPDATE artifacts SET status = 'expired', stored_path = NULL WHERE execution_id = ? AND status = 'stored'`,
  );
  const deleteRow = db.prepare<[string]>(`DELETE FROM executions WHERE id = ? AND ${EXPIRABLE}`);

  // Writes are IMMEDIATE, as the batch writer's: a writer of another process makes us wait on
  // busy_timeout rather than fail halfway (SQLITE_BUSY_SNAPSHOT).
  const setPinned = db.transaction((id: string, pinned: boolean): Execution => {
    if (pin.run(pinned ? 1 : 0, id).changes === 0) throw notFound('execution', id);
    const row = selectExecution.get(id);
    if (row === undefined) throw notFound('execution', id);
    return executionFromRow(row);
  });
  const dropLogs = db.transaction((ids: string[], at: string): string[] =>
    ids.filter((id) => {
      if (markLogExpired.run(at, id).changes === 0) return false;
      deleteChunks.run(id);
      return true;
    }),
  );
  const expireArtifacts = db.transaction((ids: string[]): ExpiredArtifact[] =>
    ids.flatMap((id) => {
      if (isExpirable.get(id) === undefined) return [];
      const artifacts = storedArtifacts.all(id);
      markArtifactsExpired.run(id);
      return artifacts.map((a) => ({
        executionId: id,
        artifactId: a.id,
        storedPath: a.stored_path,
        size: a.size,
      }));
    }),
  );
  // ON DELETE CASCADE removes tags, steps, log chunks, artifacts, annotations, samples, summaries.
  const deleteExecutions = db.transaction((ids: string[]): string[] =>
    ids.filter((id) => deleteRow.run(id).changes > 0),
  );

  return {
    setPinned: (id, pinned) => setPinned.immediate(id, pinned),
    listEndedRuns({ before, limit }) {
      const rows = before === undefined ? listFirst.all(limit) : listBefore.all(before, limit);
      return rows.map((row) => ({
        id: row.id,
        jobId: row.job_id,
        name: row.name,
        status: row.status,
        endedAt: row.ended_at,
        pinned: row.pinned === 1,
        logExpired: row.logs_expired_at !== null,
        hasStoredArtifacts: row.has_stored === 1,
      }));
    },
    measureRuns: db.transaction((ids: string[]): RunBytes[] =>
      ids.map((id) => ({ id, logBytes: logBytes.get(id) ?? 0, artifactBytes: artifactBytes.get(id) ?? 0 })),
    ),
    dropLogs: (ids, at) => dropLogs.immediate(ids, at),
    expireArtifacts: (ids) => expireArtifacts.immediate(ids),
    deleteExecutions: (ids) => deleteExecutions.immediate(ids),
  };
}
