import { latestSignOfLife } from '../sign-of-life.js';
import type { Queryable } from './sql-values.js';

/**
 * When an execution last showed it was alive, in epoch ms (null: no such execution): the latest
 * of its owner's heartbeat, its last log line, step change, artifact and resource sample, and its
 * start (the same rule as `../sqlite/last-sign-of-life.ts`). One statement of indexed lookups,
 * none of which reads the log's text.
 */
export async function lastSignOfLife(db: Queryable, id: string): Promise<number | null> {
  const { rows } = await db.query<{
    created_at: string;
    started_at: string | null;
    owner_seen_at: string | null;
    ts_start: number | null;
    ts_deltas: string | null;
    sample: number | null;
    step: string | null;
    artifact: string | null;
  }>(
    `SELECT e.created_at, e.started_at, e.owner_seen_at, c.ts_start, c.ts_deltas,
        (SELECT max(ts) FROM resource_samples WHERE execution_id = e.id) AS sample,
        (SELECT max(coalesce(ended_at, started_at)) FROM steps WHERE execution_id = e.id) AS step,
        (SELECT max(created_at) FROM artifacts WHERE execution_id = e.id) AS artifact
      FROM executions e
      LEFT JOIN LATERAL (SELECT ts_start, ts_deltas FROM log_chunks WHERE execution_id = e.id
        ORDER BY seq_start DESC LIMIT 1) c ON true
      WHERE e.id = $1`,
    [id],
  );
  const row = rows[0];
  if (row === undefined) return null;
  return latestSignOfLife({
    createdAt: row.created_at,
    startedAt: row.started_at,
    ownerSeenAt: row.owner_seen_at,
    lastChunk: row.ts_start === null ? null : { tsStart: row.ts_start, tsDeltas: row.ts_deltas },
    lastSampleMs: row.sample,
    lastStepAt: row.step,
    lastArtifactAt: row.artifact,
  });
}
