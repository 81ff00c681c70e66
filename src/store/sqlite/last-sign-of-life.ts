import type Database from 'better-sqlite3';
import { latestSignOfLife } from '../sign-of-life.js';

interface TimesRow {
  created_at: string;
  started_at: string | null;
  owner_seen_at: string | null;
}

/**
 * Reads when an execution last showed it was alive, in epoch ms (null: no such execution): the
 * latest of its owner's heartbeat, its last log line, step change, artifact and resource sample,
 * and its start. A handful of indexed lookups, none of which reads the log's text.
 */
export function createSignOfLifeReader(db: Database.Database): (id: string) => number | null {
  const selectTimes = db.prepare<[string], TimesRow>(
    'SELECT created_at, started_at, owner_seen_at FROM executions WHERE id = ?',
  );
  const selectLastChunk = db.prepare<[string], { ts_start: number; ts_deltas: string | null }>(
    'SELECT ts_start, ts_deltas FROM log_chunks WHERE execution_id = ? ORDER BY seq_start DESC LIMIT 1',
  );
  const selectLastSample = db
    .prepare<[string], number>(
      'SELECT ts FROM resource_samples WHERE execution_id = ? ORDER BY ts DESC LIMIT 1',
    )
    .pluck();
  // ISO strings of one format sort as the times they name.
  const selectLastStep = db
    .prepare<[string], string | null>(
      'SELECT max(coalesce(ended_at, started_at)) FROM steps WHERE execution_id = ?',
    )
    .pluck();
  const selectLastArtifact = db
    .prepare<[string], string | null>('SELECT max(created_at) FROM artifacts WHERE execution_id = ?')
    .pluck();

  return (id) => {
    const times = selectTimes.get(id);
    if (times === undefined) return null;
    const chunk = selectLastChunk.get(id);
    return latestSignOfLife({
      createdAt: times.created_at,
      startedAt: times.started_at,
      ownerSeenAt: times.owner_seen_at,
      lastChunk: chunk === undefined ? null : { tsStart: chunk.ts_start, tsDeltas: chunk.ts_deltas },
      lastSampleMs: selectLastSample.get(id) ?? null,
      lastStepAt: selectLastStep.get(id) ?? null,
      lastArtifactAt: selectLastArtifact.get(id) ?? null,
    });
  };
}
