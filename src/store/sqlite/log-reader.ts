import type Database from 'better-sqlite3';
import { validationError } from '../../core/errors.js';
import type { LogLine } from '../../core/model.js';
import { LOG_STREAMS } from '../../core/statuses.js';
import type { LogPage, LogQuery } from '../store.js';
import { decodeLogChunk } from './log-chunks.js';
import type { LogChunk } from './log-chunks.js';
import { chunkText } from './log-text-packing.js';
import { DEFAULT_PAGE_LINES, validatePageBounds } from './log-text-pages.js';

/** A `log_chunks` row as better-sqlite3 returns it. */
export interface ChunkRow {
  seq_start: number;
  seq_end: number;
  ts_start: number;
  stream: LogChunk['stream'];
  step_id: number | null;
  ts_deltas: string | null;
  flags: string | null;
  text: string;
  text_z: Buffer | null;
}

/**
 * Returns a reader for log pages. Stream and step are properties of a whole chunk, so those filters
 * run in SQL; text is prefiltered per chunk with instr() and then checked per line.
 */
export function createLogReader(db: Database.Database): (id: string, query?: LogQuery) => LogPage {
  // Start of the chunk holding the first wanted seq: the seek point for the scan.
  const selectStart = db
    .prepare(
      'SELECT seq_start FROM log_chunks WHERE execution_id = ? AND seq_start <= ? ORDER BY seq_start DESC LIMIT 1',
    )
    .pluck();
  const scans = new Map<string, Database.Statement>();
  const scanFor = (query: LogQuery): Database.Statement => {
    const key = `${query.stream !== undefined}${query.stepId !== undefined}${query.text !== undefined}`;
    let statement = scans.get(key);
    if (statement === undefined) {
      // A packed chunk's text is checked per line once unpacked.
      statement = db.prepare(`SELECT seq_start, seq_end, ts_start, stream, step_id, ts_deltas, flags, text,
        text_z FROM log_chunks WHERE execution_id = ? AND seq_start >= ? AND seq_end > ?
        ${query.stream !== undefined ? 'AND stream = ?' : ''}
        ${query.stepId !== undefined ? 'AND step_id = ?' : ''}
        ${query.text !== undefined ? 'AND (text_z IS NOT NULL OR instr(text, ?) > 0)' : ''}
        ORDER BY seq_start`);
      scans.set(key, statement);
    }
    return statement;
  };

  return (id, query = {}) => {
    const after = query.after ?? 0;
    const limit = query.limit ?? DEFAULT_PAGE_LINES;
    validate(query, after, limit);
    const start = (selectStart.get(id, after + 1) as number | undefined) ?? 0;
    const params: unknown[] = [id, start, after];
    if (query.stream !== undefined) params.push(query.stream);
    if (query.stepId !== undefined) params.push(query.stepId);
    if (query.text !== undefined) params.push(query.text);

    const lines: LogLine[] = [];
    let hasMore = false;
    // iterate() reads chunk by chunk, so a page near the start of a huge log reads little.
    scan: for (const row of scanFor(query).iterate(...params) as IterableIterator<ChunkRow>) {
      const chunk = chunkFromRow(row);
      // What instr() did in SQL for a plain chunk, done on the unpacked text: most chunks of a
      // rare text's search are never split into lines.
      if (row.text_z !== null && query.text !== undefined && !chunk.text.includes(query.text)) continue;
      for (const line of decodeLogChunk(chunk)) {
        if (line.seq <= after || (query.text !== undefined && !line.text.includes(query.text))) continue;
        if (lines.length === limit) {
          hasMore = true;
          break scan;
        }
        lines.push(line);
      }
    }
    return { lines, nextAfter: lines.at(-1)?.seq ?? after, hasMore };
  };
}

function validate(query: LogQuery, after: number, limit: number): void {
  validatePageBounds(after, limit);
  if (query.stream !== undefined && !(LOG_STREAMS as readonly string[]).includes(query.stream)) {
    throw validationError(`unknown stream ${JSON.stringify(query.stream)}`);
  }
  if (query.stepId !== undefined && !Number.isInteger(query.stepId)) {
    throw validationError(`stepId must be an integer, got ${String(query.stepId)}`);
  }
}

function chunkFromRow(row: ChunkRow): LogChunk {
  return {
    seqStart: row.seq_start,
    seqEnd: row.seq_end,
    tsStart: row.ts_start,
    stream: row.stream,
    stepId: row.step_id,
    tsDeltas: row.ts_deltas,
    flags: row.flags,
    text: chunkText(row.text, row.text_z),
  };
}
