import type Database from 'better-sqlite3';
import type { ExecutionOwner } from '../../core/model.js';
import { createSignOfLifeReader } from './last-sign-of-life.js';

interface OpenExecutionRow {
  id: string;
  started_at: string | null;
  owner_host: string | null;
  owner_pid: number | null;
  owner_start_time: number | null;
}

/**
 * Marks queued/running executions whose owner is dead as interrupted and cancels their running
 * steps. The liveness checks run before the write transaction, which re-checks the status so an
 * execution its owner finished in the meantime is left alone. Each ends at its owner's last sign
 * of life (heartbeat, lines, steps, samples…), not `now`: a crash at 02:00 noticed at 09:00 ended
 * the run at 02:00. `now` only caps it, against clocks that ran ahead.
 */
export function recoverInterrupted(
  db: Database.Database,
  isOwnerAlive: (owner: ExecutionOwner) => boolean,
  now: Date,
): string[] {
  const open = db
    .prepare(
      `SELECT id, started_at, owner_host, owner_pid, owner_start_time FROM executions
      WHERE status IN ('queued', 'running')`,
    )
    .all() as OpenExecutionRow[];
  const verdicts = new Map<string, boolean>();
  const dead: { row: OpenExecutionRow; error: string }[] = [];
  for (const row of open) {
    const owner = ownerOf(row);
    const key = owner === null ? '' : `${owner.host}\0${owner.pid}\0${owner.startTime}`;
    let alive = verdicts.get(key);
    if (alive === undefined) {
      alive = owner !== null && isOwnerAlive(owner);
      verdicts.set(key, alive);
    }
    if (!alive) {
      const who = owner === null ? 'owner unknown' : `pid ${owner.pid} on host ${owner.host}`;
      dead.push({ row, error: `the process running it died (${who})` });
    }
  }
  if (dead.length === 0) return [];

  const nowMs = now.getTime();
  const lastSignOfLife = createSignOfLifeReader(db);
  const durationTo = (endedMs: number, iso: string | null): number | null =>
    iso === null ? null : Math.max(0, endedMs - Date.parse(iso));
  const markInterrupted =
    db.prepare(`UPDATE executions SET status = 'interrupted', ended_at = ?, duration_ms = ?,
    error = ? WHERE id = ? AND status IN ('queued', 'running')`);
  const runningSteps = db.prepare(
    // A step failed by STEP_ERROR stays open (ended_at NULL) until closed: close those too.
    `SELECT id, started_at FROM steps WHERE execution_id = ? AND ended_at IS NULL`,
  );
  const cancelStep = db.prepare(`UPDATE steps
    SET status = CASE status WHEN 'running' THEN 'cancelled' ELSE status END, ended_at = ?, duration_ms = ?
    WHERE execution_id = ? AND id = ?`);
  const changed: string[] = [];
  db.transaction(() => {
    for (const { row, error } of dead) {
      const endedMs = Math.min(nowMs, lastSignOfLife(row.id) ?? nowMs);
      const endedAt = new Date(endedMs).toISOString();
      const duration = durationTo(endedMs, row.started_at);
      if (markInterrupted.run(endedAt, duration, error, row.id).changes === 0) continue;
      changed.push(row.id);
      for (const step of runningSteps.all(row.id) as { id: number; started_at: string }[]) {
        cancelStep.run(endedAt, durationTo(endedMs, step.started_at), row.id, step.id);
      }
    }
  }).immediate();
  return changed;
}

function ownerOf(row: OpenExecutionRow): ExecutionOwner | null {
  if (row.owner_host === null || row.owner_pid === null || row.owner_start_time === null) return null;
  return { host: row.owner_host, pid: row.owner_pid, startTime: row.owner_start_time };
}
