import type { OpenExecution } from '../core/interruption.js';
import { EXECUTION_STATUSES, isTerminalExecutionStatus } from '../core/statuses.js';

/** The columns crash recovery reads of an open execution, in both stores. */
export interface OpenExecutionRow {
  id: string;
  started_at: string | null;
  owner_host: string | null;
  owner_pid: number | null;
  owner_start_time: number | null;
  runs_on: string | null;
}

/** `SELECT` list of {@link OpenExecutionRow}. */
export const OPEN_EXECUTION_COLUMNS = 'id, started_at, owner_host, owner_pid, owner_start_time, runs_on';

/** The statuses of an execution not ended yet, as an SQL list (`IN (…)`). */
export const OPEN_STATUSES_SQL = EXECUTION_STATUSES.filter((status) => !isTerminalExecutionStatus(status))
  .map((status) => `'${status}'`)
  .join(', ');

export function openExecutionFromRow(row: OpenExecutionRow): OpenExecution {
  const owner =
    row.owner_host === null || row.owner_pid === null || row.owner_start_time === null
      ? null
      : { host: row.owner_host, pid: row.owner_pid, startTime: row.owner_start_time };
  return { id: row.id, startedAt: row.started_at, owner, forWorkers: row.runs_on !== null };
}
