import type Database from 'better-sqlite3';
import { PACK_FROM_CHARS, packText } from './log-text-packing.js';

export interface LogPacker {
  /**
   * Packs up to `maxChunks` log chunks of ended runs, in one short write transaction. Returns how
   * many chunks it looked at: 0 when every ended run is packed.
   */
  step(maxChunks: number): number;
}

interface ChunkRow {
  rowid: number;
  seq_start: number;
  text: string;
}

/**
 * Packs the log text of ended runs (Brotli, log-text-packing.ts) a few chunks at a time: a
 * realistic log keeps ~30 % of its size. Packing at ingest reached the same but cost the ingesting
 * thread ~10 % CPU, which on 2 cores every running script pays (docs/PERFORMANCE.md, "Storage per
 * line"); an ended run is read rarely and written never, so the store packs it when idle instead
 * (SqliteStore's `packLogsWhenIdle`). A run is marked `logs_packed` once all its chunks were seen;
 * short chunks and text that does not shrink stay as they are.
 */
export function createLogPacker(db: Database.Database): LogPacker {
  const selectRun = db
    .prepare<[], string>(
      `SELECT id FROM executions WHERE logs_packed = 0 AND status NOT IN ('queued', 'running') LIMIT 1`,
    )
    .pluck();
  const selectChunks = db.prepare<[string, number, number], ChunkRow>(
    `SELECT rowid, seq_start, text FROM log_chunks
      WHERE execution_id = ? AND seq_start > ? AND text_z IS NULL ORDER BY seq_start LIMIT ?`,
  );
  const storePacked = db.prepare<[Buffer, number, number]>(
    `UPDATE log_chunks SET text = '', text_z = ?, text_bytes = ? WHERE rowid = ?`,
  );
  const markPacked = db.prepare<[string]>('UPDATE executions SET logs_packed = 1 WHERE id = ?');

  // Where the run being packed is up to (seq_start of its last chunk looked at).
  let cursor: { id: string; after: number } | undefined;

  const step = db.transaction((maxChunks: number): number => {
    const id = cursor?.id ?? selectRun.get();
    if (id === undefined) return 0;
    const rows = selectChunks.all(id, cursor?.id === id ? cursor.after : -1, maxChunks);
    for (const row of rows) {
      if (row.text.length < PACK_FROM_CHARS) continue;
      const packed = packText(row.text);
      if (packed !== null) storePacked.run(packed.packed, packed.textBytes, row.rowid);
    }
    if (rows.length < maxChunks) {
      markPacked.run(id);
      cursor = undefined;
    } else cursor = { id, after: (rows.at(-1) as ChunkRow).seq_start };
    // A run with no chunk to pack still counts as work done: the caller goes on to the next.
    return Math.max(rows.length, 1);
  });

  return {
    step: (maxChunks) => {
      try {
        return step.immediate(maxChunks);
      } catch (error) {
        // The cursor may point into a rolled-back step: start that run again next time.
        cursor = undefined;
        throw error;
      }
    },
  };
}
