import type Database from 'better-sqlite3';
import type { LogTextPage, LogTextQuery } from '../store.js';
import type { ChunkRow } from './log-reader.js';
import { chunkBytes } from './log-text-packing.js';
import { DEFAULT_PAGE_LINES, TextPageBuilder, validatePageBounds } from './log-text-pages.js';

/** The text as stored bytes (NULL for an empty text), not as a string. */
type ChunkBytesRow = Omit<ChunkRow, 'text'> & { bytes: Buffer | null };

/**
 * Returns a reader of the unfiltered log as text pages (see ExecutionStore.readLogText). The text
 * is read as the stored UTF-8 bytes (`CAST(text AS BLOB)`, or a packed chunk unpacked): no
 * JavaScript string is made for it.
 */
export function createLogTextReader(
  db: Database.Database,
): (id: string, query?: LogTextQuery) => LogTextPage {
  const selectStart = db
    .prepare<[string, number], number>(
      'SELECT seq_start FROM log_chunks WHERE execution_id = ? AND seq_start <= ? ORDER BY seq_start DESC LIMIT 1',
    )
    .pluck();
  const scan = db.prepare<[string, number, number], ChunkBytesRow>(
    `SELECT seq_start, seq_end, ts_start, stream, step_id, ts_deltas, flags, CAST(text AS BLOB) AS bytes,
        text_z
      FROM log_chunks WHERE execution_id = ? AND seq_start >= ? AND seq_end > ? ORDER BY seq_start`,
  );
  return (id, query = {}) => {
    const after = query.after ?? 0;
    const limit = query.limit ?? DEFAULT_PAGE_LINES;
    validatePageBounds(after, limit);
    const builder = new TextPageBuilder(after);
    const start = selectStart.get(id, after + 1) ?? 0;
    // iterate() reads row by row: a page near the start of a huge log reads little.
    for (const row of scan.iterate(id, start, after)) {
      if (builder.full(limit)) return builder.page(true);
      builder.add({
        seqStart: row.seq_start,
        seqEnd: row.seq_end,
        tsStart: row.ts_start,
        stream: row.stream,
        stepId: row.step_id,
        tsDeltas: row.ts_deltas,
        flags: row.flags,
        bytes: chunkBytes(row.bytes, row.text_z),
      });
    }
    return builder.page(false);
  };
}
