import { validationError } from '../../core/errors.js';
import { searchLines, searchNeedle } from '../../core/search/log-text-search.js';
import type { LogSearchPage, LogSearchQuery } from '../store.js';
import type { Queryable } from './sql-values.js';

const DEFAULT_LIMIT = 1000;
const MAX_LIMIT = 10_000;
const MAX_QUERY_LENGTH = 200;
/** Chunks fetched per round trip; totals cover the whole log, so every chunk is read. */
const CHUNKS_PER_FETCH = 64;

/**
 * Searches one log (see `core/search/log-text-search.ts` for what a match is), with totals over the
 * whole log. Every chunk goes to the exact matcher: PostgreSQL's case folding is not JavaScript's,
 * so it cannot prefilter without missing a match.
 */
export async function searchLog(db: Queryable, id: string, query: LogSearchQuery): Promise<LogSearchPage> {
  const after = query.after ?? 0;
  const limit = query.limit ?? DEFAULT_LIMIT;
  validate(query.text, after, limit);
  const needle = searchNeedle(query.text);
  const matches: { seq: number; count: number }[] = [];
  let total = 0;
  let lineTotal = 0;
  let hasMore = false;
  for (let from = -1; ;) {
    const { rows } = await db.query<{ seq_start: number; seq_end: number; text: Buffer }>(
      `SELECT seq_start, seq_end, text FROM log_chunks WHERE execution_id = $1 AND seq_start > $2
        ORDER BY seq_start LIMIT ${CHUNKS_PER_FETCH}`,
      [id, from],
    );
    for (const { seq_start: seqStart, seq_end: seqEnd, text } of rows) {
      searchLines(text.toString('utf8'), seqEnd - seqStart + 1, needle, (index, count) => {
        const seq = seqStart + index;
        total += count;
        lineTotal++;
        if (seq <= after) return;
        if (matches.length < limit) matches.push({ seq, count });
        else hasMore = true;
      });
    }
    if (rows.length < CHUNKS_PER_FETCH) break;
    from = (rows.at(-1) as { seq_start: number }).seq_start;
  }
  return { total, lineTotal, matches, nextAfter: matches.at(-1)?.seq ?? after, hasMore };
}

function validate(text: string, after: number, limit: number): void {
  if (typeof text !== 'string' || text.length < 1 || text.length > MAX_QUERY_LENGTH) {
    throw validationError(`q must be 1 to ${MAX_QUERY_LENGTH} characters`, { field: 'q' });
  }
  if (!Number.isInteger(after) || after < 0) {
    throw validationError(`after must be a non-negative integer, got ${String(after)}`, { field: 'after' });
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw validationError(`limit must be an integer from 1 to ${MAX_LIMIT}, got ${String(limit)}`, {
      field: 'limit',
    });
  }
}
