import type Database from 'better-sqlite3';
import type { LogSequenceBreak, StoreConsistency } from '../snapshots.js';
import {
  OPEN_EXECUTION_COLUMNS,
  OPEN_STATUSES_SQL,
  openExecutionFromRow,
  type OpenExecutionRow,
} from '../open-execution-row.js';
import { ARTIFACT_COLUMNS, artifactFromRow, type ArtifactRow } from './sqlite-snapshots.js';
import { guarded } from './sqlite-errors.js';

/**
 * Consecutive chunks of one execution whose seqs do not follow: a gap (`seq_start` past the last
 * `seq_end` + 1) or an overlap. A log limit drops lines on purpose and says so in a `system` line
 * just before the gap (engine/log-limiter.ts), on an execution with `limit_hits`: not a break.
 */
const BREAKS_SQL = `
  SELECT c.execution_id AS executionId, c.previous_end AS previousEnd, c.seq_start AS nextStart
  FROM (
    SELECT execution_id, seq_start,
      lag(seq_end) OVER run AS previous_end, lag(stream) OVER run AS previous_stream
    FROM log_chunks WINDOW run AS (PARTITION BY execution_id ORDER BY seq_start)
  ) AS c JOIN executions AS e ON e.id = c.execution_id
  WHERE c.previous_end IS NOT NULL AND c.seq_start != c.previous_end + 1
    AND NOT (c.seq_start > c.previous_end + 1 AND c.previous_stream = 'system' AND e.limit_hits IS NOT NULL)
  ORDER BY c.execution_id, c.seq_start
  LIMIT ?`;

/** {@link StoreConsistency} on the stores' connection (`openSqliteStores`). */
export class SqliteConsistency implements StoreConsistency {
  constructor(private readonly db: Database.Database) {}

  async storedArtifacts() {
    return this.guard('cannot list stored artifacts', () =>
      this.db
        .prepare<[], ArtifactRow>(
          `SELECT ${ARTIFACT_COLUMNS} FROM artifacts
          WHERE status = 'stored' AND stored_path IS NOT NULL ORDER BY execution_id, id`,
        )
        .all()
        .map(artifactFromRow),
    );
  }

  async openExecutions() {
    return this.guard('cannot list open executions', () =>
      this.db
        .prepare<[], OpenExecutionRow>(
          `SELECT ${OPEN_EXECUTION_COLUMNS} FROM executions WHERE status IN (${OPEN_STATUSES_SQL})`,
        )
        .all()
        .map(openExecutionFromRow),
    );
  }

  async logSequenceBreaks(limit: number): Promise<LogSequenceBreak[]> {
    return this.guard('cannot read log chunks', () =>
      this.db
        .prepare<[number], Omit<LogSequenceBreak, 'kind'>>(BREAKS_SQL)
        .all(limit)
        .map((row) => ({ ...row, kind: row.nextStart > row.previousEnd + 1 ? 'gap' : 'overlap' })),
    );
  }

  async markArtifactMissing(executionId: string, artifactId: number, reason: string): Promise<void> {
    this.guard('cannot mark an artifact missing', () => {
      this.db
        .prepare(`UPDATE artifacts SET status = 'failed', error = ? WHERE execution_id = ? AND id = ?`)
        .run(reason, executionId, artifactId);
    });
  }

  private guard<T>(context: string, operation: () => T): T {
    return guarded(this.db, context, operation);
  }
}
