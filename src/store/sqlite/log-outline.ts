import type Database from 'better-sqlite3';
import type { LogOutline, LogSegment } from '../store.js';

/**
 * Returns a reader of a log's outline: which seq ranges belong to which step. It reads only the
 * seq and step columns, which come before the text in each row, so SQLite never touches the text's
 * overflow pages: about a thousand small rows for a million lines.
 */
export function createLogOutlineReader(db: Database.Database): (id: string) => LogOutline {
  const select = db
    .prepare<[string], [number, number, number | null]>(
      'SELECT seq_start, seq_end, step_id FROM log_chunks WHERE execution_id = ? ORDER BY seq_start',
    )
    .raw();
  return (id) => {
    const segments: LogSegment[] = [];
    let last: LogSegment | undefined;
    for (const [firstSeq, lastSeq, stepId] of select.iterate(id)) {
      // Chunks split on stream and size too; the outline cares only about steps.
      if (last !== undefined && last.stepId === stepId && last.lastSeq + 1 === firstSeq) {
        last.lastSeq = lastSeq;
      } else {
        last = { stepId, firstSeq, lastSeq };
        segments.push(last);
      }
    }
    return { lastSeq: last?.lastSeq ?? 0, segments };
  };
}
