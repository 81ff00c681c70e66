import type { LogOutline, LogSegment } from '../store.js';
import type { Queryable } from './sql-values.js';

/** Which seq ranges belong to which step, from the chunks' seq and step columns (never the text). */
export async function readLogOutline(db: Queryable, id: string): Promise<LogOutline> {
  const { rows } = await db.query<{ seq_start: number; seq_end: number; step_id: number | null }>(
    'SELECT seq_start, seq_end, step_id FROM log_chunks WHERE execution_id = $1 ORDER BY seq_start',
    [id],
  );
  const segments: LogSegment[] = [];
  let last: LogSegment | undefined;
  for (const { seq_start: firstSeq, seq_end: lastSeq, step_id: stepId } of rows) {
    // Chunks split on stream and size too; the outline cares only about steps.
    if (last !== undefined && last.stepId === stepId && last.lastSeq + 1 === firstSeq) {
      last.lastSeq = lastSeq;
    } else {
      last = { stepId, firstSeq, lastSeq };
      segments.push(last);
    }
  }
  return { lastSeq: last?.lastSeq ?? 0, segments };
}
