import { validationError } from '../../core/errors.js';
import type { LogLine } from '../../core/model.js';
import { LOG_STREAMS } from '../../core/statuses.js';
import type { LogPage, LogQuery, LogTextPage, LogTextQuery } from '../store.js';
import { decodeLogChunk } from '../sqlite/log-chunks.js';
import { DEFAULT_PAGE_LINES, TextPageBuilder, validatePageBounds } from '../sqlite/log-text-pages.js';
import { CHUNK_COLUMNS, chunkFromRow, type ChunkRow } from './log-chunk-row.js';
import type { Queryable } from './sql-values.js';

/** Chunks fetched per round trip: a page near the start of a huge log reads little. */
const CHUNKS_PER_FETCH = 16;

/**
 * A page of a log. Stream and step are properties of a whole chunk, so those filters run in SQL;
 * text is prefiltered per chunk on its UTF-8 bytes (a substring of the text is a substring of its
 * bytes and only then) and then checked per line.
 */
export async function readLog(db: Queryable, id: string, query: LogQuery = {}): Promise<LogPage> {
  const after = query.after ?? 0;
  const limit = query.limit ?? DEFAULT_PAGE_LINES;
  validate(query, after, limit);
  const where = ['execution_id = $1', 'seq_end > $2', 'seq_start > $3'];
  const params: unknown[] = [id, after, 0];
  if (query.stream !== undefined) where.push(`stream = $${params.push(query.stream)}`);
  if (query.stepId !== undefined) where.push(`step_id = $${params.push(query.stepId)}`);
  if (query.text !== undefined)
    where.push(`position($${params.push(Buffer.from(query.text, 'utf8'))}::bytea in text) > 0`);
  const sql = `SELECT ${CHUNK_COLUMNS} FROM log_chunks WHERE ${where.join(' AND ')}
    ORDER BY seq_start LIMIT ${CHUNKS_PER_FETCH}`;

  const lines: LogLine[] = [];
  // The chunk holding seq after+1 may start at or before `after`: seq_end > after finds it.
  for (let from = -1; ;) {
    params[2] = from;
    const { rows } = await db.query<ChunkRow>(sql, params);
    for (const row of rows) {
      for (const line of decodeLogChunk(chunkFromRow(row))) {
        if (line.seq <= after || (query.text !== undefined && !line.text.includes(query.text))) continue;
        if (lines.length === limit) return { lines, nextAfter: lines.at(-1)?.seq ?? after, hasMore: true };
        lines.push(line);
      }
    }
    if (rows.length < CHUNKS_PER_FETCH) break;
    from = (rows.at(-1) as ChunkRow).seq_start;
  }
  return { lines, nextAfter: lines.at(-1)?.seq ?? after, hasMore: false };
}

/**
 * A page of the unfiltered log as text (see ExecutionStore.readLogText): node-postgres hands the
 * text over as the stored bytes, which go out as they are.
 */
export async function readLogText(db: Queryable, id: string, query: LogTextQuery = {}): Promise<LogTextPage> {
  const after = query.after ?? 0;
  const limit = query.limit ?? DEFAULT_PAGE_LINES;
  validatePageBounds(after, limit);
  const sql = `SELECT ${CHUNK_COLUMNS} FROM log_chunks WHERE execution_id = $1 AND seq_end > $2 AND seq_start > $3
    ORDER BY seq_start LIMIT ${CHUNKS_PER_FETCH}`;
  const builder = new TextPageBuilder(after);
  for (let from = -1; ;) {
    const { rows } = await db.query<ChunkRow>(sql, [id, after, from]);
    for (const row of rows) {
      if (builder.full(limit)) return builder.page(true);
      builder.add({ ...chunkFromRow({ ...row, text: Buffer.alloc(0) }), bytes: row.text });
    }
    if (rows.length < CHUNKS_PER_FETCH) return builder.page(false);
    from = (rows.at(-1) as ChunkRow).seq_start;
  }
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
