import { ERROR_CODES, isStepflowError } from '../../core/errors.js';
import { searchLines } from '../../core/search/log-text-search.js';
import { checkRunSearch } from '../../core/search/run-search.js';
import type { LogStream } from '../../core/statuses.js';
import type { RunSearchHit, RunSearchLine, RunSearchPage, RunSearchQuery } from '../store.js';
import { executionFromRow, isoToMs, type ExecutionRow } from '../sqlite/execution-row.js';
import { decodeCursor, encodeCursor } from '../sqlite/list-executions.js';
import { executionColumns } from './execution-row.js';
import { addStatusFilter, addTagFilter, type FilterSql } from './list-executions.js';
import type { Queryable } from './sql-values.js';

/** A page reads the logs of at most this many runs, and starts no new run past this much text. */
const MAX_SCANNED_RUNS = 200;
const MAX_SCANNED_CHARS = 32 * 1024 * 1024;
/** Runs whose logs are read per round trip. */
const RUNS_PER_FETCH = 16;

interface ChunkRow {
  execution_id: string;
  seq_start: number;
  seq_end: number;
  stream: LogStream;
  step_id: number | null;
  text: Buffer;
}

/**
 * Searches every run's log, newest run first, by reading the logs of the runs that pass the
 * filters and matching exactly (`searchLines`, as a run's own log search does). There is no index
 * on PostgreSQL yet (docs/POSTGRES.md): a page reads at most {@link MAX_SCANNED_RUNS} runs' logs
 * and stops early (`truncated`) past {@link MAX_SCANNED_CHARS}; counts are exact either way.
 * `scannedRuns` counts the runs it read that hold a match (what an index would have named).
 * The caller runs it in one snapshot.
 */
export async function searchRuns(db: Queryable, query: RunSearchQuery): Promise<RunSearchPage> {
  const { needle, limit, linesPerRun } = checkRunSearch(query);
  const filters = filterSql(query);
  const items: RunSearchHit[] = [];
  let scannedRuns = 0;
  let readRuns = 0;
  let scannedChars = 0;
  let truncated = false;
  let more = false;
  let lastId: string | undefined;
  let before: string | null = null;
  walk: for (;;) {
    const params = [...filters.params];
    const where = [...filters.where];
    if (before !== null) where.push(`e.id < $${params.push(before)}`);
    const { rows } = await db.query<ExecutionRow>(
      `SELECT ${executionColumns('e')} FROM executions e
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY e.id DESC LIMIT ${RUNS_PER_FETCH}`,
      params,
    );
    if (rows.length === 0) break;
    const chunks = await db.query<ChunkRow>(
      `SELECT execution_id, seq_start, seq_end, stream, step_id, text FROM log_chunks
        WHERE execution_id = ANY($1::text[]) ORDER BY execution_id, seq_start`,
      [rows.map((row) => row.id)],
    );
    const byRun = new Map<string, ChunkRow[]>();
    for (const chunk of chunks.rows) {
      let list = byRun.get(chunk.execution_id);
      if (list === undefined) byRun.set(chunk.execution_id, (list = []));
      list.push(chunk);
    }
    for (const row of rows) {
      if (items.length === limit) {
        more = true;
        break walk;
      }
      if (readRuns === MAX_SCANNED_RUNS || scannedChars >= MAX_SCANNED_CHARS) {
        truncated = more = true;
        break walk;
      }
      lastId = row.id;
      const runChunks = byRun.get(row.id) ?? [];
      if (runChunks.length === 0) continue;
      readRuns++;
      let execution;
      try {
        execution = executionFromRow(row);
      } catch (error) {
        // A damaged row is skipped here as in the listing (which names it; it can be deleted).
        if (isStepflowError(error) && error.code === ERROR_CODES.UNREADABLE) continue;
        throw error;
      }
      const { hit, chars } = await searchRun(db, execution, runChunks, needle, linesPerRun);
      scannedChars += chars;
      if (hit.lineTotal > 0) {
        scannedRuns++;
        items.push(hit);
      }
    }
    if (rows.length < RUNS_PER_FETCH) break;
    before = (rows.at(-1) as ExecutionRow).id;
  }
  const nextCursor = more && lastId !== undefined ? encodeCursor(lastId) : null;
  return { items, nextCursor, scannedRuns, truncated };
}

async function searchRun(
  db: Queryable,
  execution: RunSearchHit['execution'],
  chunks: ChunkRow[],
  needle: string,
  linesPerRun: number,
): Promise<{ hit: RunSearchHit; chars: number }> {
  const lines: RunSearchLine[] = [];
  let total = 0;
  let lineTotal = 0;
  let chars = 0;
  for (const chunk of chunks) {
    const text = chunk.text.toString('utf8');
    chars += text.length;
    let split: string[] | undefined;
    searchLines(text, chunk.seq_end - chunk.seq_start + 1, needle, (index, count) => {
      total += count;
      lineTotal++;
      if (lines.length >= linesPerRun) return;
      split ??= chunk.seq_end === chunk.seq_start ? [text] : text.split('\n');
      lines.push({
        seq: chunk.seq_start + index,
        stream: chunk.stream,
        stepId: chunk.step_id,
        stepName: null,
        text: split[index] ?? '',
        count,
      });
    });
  }
  const stepIds = [...new Set(lines.flatMap((l) => (l.stepId === null ? [] : [l.stepId])))];
  if (stepIds.length > 0) {
    const { rows } = await db.query<{ id: number; name: string }>(
      'SELECT id, name FROM steps WHERE execution_id = $1 AND id = ANY($2::integer[])',
      [execution.id, stepIds],
    );
    const names = new Map(rows.map((row) => [row.id, row.name]));
    for (const line of lines) if (line.stepId !== null) line.stepName = names.get(line.stepId) ?? null;
  }
  return { hit: { execution, total, lineTotal, lines }, chars };
}

/** The query's filters on `executions e`, with the listing's meaning (`list-executions.ts`). */
function filterSql(query: RunSearchQuery): FilterSql {
  const filters: FilterSql = { where: [], params: [] };
  if (query.cursor !== undefined) {
    filters.where.push(`e.id < $${filters.params.push(decodeCursor(query.cursor))}`);
  }
  addStatusFilter(filters, query.status);
  if (query.since !== undefined) {
    filters.where.push(`e.created_ms >= $${filters.params.push(isoToMs(query.since, 'since'))}`);
  }
  if (query.jobId !== undefined) filters.where.push(`e.job_id = $${filters.params.push(query.jobId)}`);
  for (const tag of query.tags ?? []) addTagFilter(filters, tag);
  return filters;
}
