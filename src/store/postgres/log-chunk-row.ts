import type { LogChunk } from '../sqlite/log-chunks.js';

/** A `log_chunks` row as node-postgres returns it: the text as the UTF-8 bytes stored. */
export interface ChunkRow {
  seq_start: number;
  seq_end: number;
  ts_start: number;
  stream: LogChunk['stream'];
  step_id: number | null;
  ts_deltas: string | null;
  flags: string | null;
  text: Buffer;
}

export const CHUNK_COLUMNS = 'seq_start, seq_end, ts_start, stream, step_id, ts_deltas, flags, text';

/** The chunk of a row, its text decoded once for all its lines. */
export function chunkFromRow(row: ChunkRow): LogChunk {
  return {
    seqStart: row.seq_start,
    seqEnd: row.seq_end,
    tsStart: row.ts_start,
    stream: row.stream,
    stepId: row.step_id,
    tsDeltas: row.ts_deltas,
    flags: row.flags,
    text: row.text.toString('utf8'),
  };
}
