import type Database from 'better-sqlite3';
import { ERROR_CODES, isStepflowError, validationError } from '../../core/errors.js';
import type { Execution } from '../../core/model.js';
import { searchLines } from '../../core/search/log-text-search.js';
import { checkRunSearch, indexedChunkText } from '../../core/search/run-search.js';
import { isExecutionStatus, type LogStream } from '../../core/statuses.js';
import type { RunSearchHit, RunSearchLine, RunSearchPage, RunSearchQuery } from '../store.js';
import { EXECUTION_COLUMNS, executionFromRow, isoToMs, type ExecutionRow } from './execution-row.js';
import { decodeCursor, encodeCursor, prepareCached } from './list-executions.js';

/**
 * The bound on one page's cost, whatever the query matches: the logs of at most this many runs,
 * and no new run once this much text (UTF-16 code units) was read. A page always finishes the run
 * it started, so counts are exact; it may hold fewer items than asked (`truncated`).
 */
const MAX_SCANNED_RUNS = 200;
const MAX_SCANNED_CHARS = 32 * 1024 * 1024;

/**
 * Registers `stepflow_search_text(text, line_count)`: what the index holds for a chunk
 * (`indexedChunkText`), for the migration that indexes the chunks stored before the index existed.
 */
export function registerSearchFunctions(db: Database.Database): void {
  db.function('stepflow_search_text', { deterministic: true }, (text: unknown, lineCount: unknown) =>
    indexedChunkText(String(text), Number(lineCount)),
  );
}

/**
 * The FTS5 query for a needle: its trigrams, all required (`detail=none` keeps no positions, so
 * this is a superset of the chunks holding it; `searchLines` then counts exactly). Trigrams are
 * taken every third character, plus the last one, which covers the needle with few lookups.
 */
export function trigramQuery(needle: string): string {
  const chars = [...needle];
  const trigrams = new Set<string>();
  for (let start = 0; start + 3 <= chars.length; start += 3)
    trigrams.add(chars.slice(start, start + 3).join(''));
  trigrams.add(chars.slice(-3).join(''));
  // FTS5 strings end at a NUL; any other character is taken literally inside double quotes.
  const usable = [...trigrams].filter((t) => !t.includes('\0'));
  if (usable.length === 0) {
    throw validationError('q must hold three characters in a row other than NUL', { field: 'q' });
  }
  return usable.map((t) => `"${t.replaceAll('"', '""')}"`).join(' AND ');
}

/**
 * Returns the searcher across runs. One read transaction: (1) the index gives every chunk that may
 * hold the needle, grouped by run; (2) the runs among them passing the filters, newest first, are
 * read one by one, exactly (`searchLines` over their candidate chunks), until the page has `limit`
 * runs with a match or reaches its scan bound.
 */
export function createRunSearcher(db: Database.Database): (query: RunSearchQuery) => RunSearchPage {
  const selectCandidates = db
    .prepare<[string], [number, string]>(
      'SELECT rowid, execution_id FROM log_search WHERE log_search MATCH ?',
    )
    .raw();
  const selectChunk = db
    .prepare<[number], [number, number, LogStream, number | null, string]>(
      'SELECT seq_start, seq_end, stream, step_id, text FROM log_chunks WHERE rowid = ?',
    )
    .raw();
  const selectStepName = db
    .prepare<[string, number], string>('SELECT name FROM steps WHERE execution_id = ? AND id = ?')
    .pluck();

  const searchRun = (
    execution: Execution,
    rowids: number[],
    needle: string,
    linesPerRun: number,
  ): { hit: RunSearchHit; chars: number } => {
    const chunks = rowids.map((rowid) => selectChunk.get(rowid)).filter((c) => c !== undefined);
    chunks.sort((a, b) => a[0] - b[0]);
    const lines: RunSearchLine[] = [];
    let total = 0;
    let lineTotal = 0;
    let chars = 0;
    for (const [seqStart, seqEnd, stream, stepId, text] of chunks) {
      chars += text.length;
      let split: string[] | undefined;
      searchLines(text, seqEnd - seqStart + 1, needle, (index, count) => {
        total += count;
        lineTotal++;
        if (lines.length >= linesPerRun) return;
        split ??= seqEnd === seqStart ? [text] : text.split('\n');
        const stepName = stepId === null ? null : (selectStepName.get(execution.id, stepId) ?? null);
        lines.push({ seq: seqStart + index, stream, stepId, stepName, text: split[index] ?? '', count });
      });
    }
    return { hit: { execution, total, lineTotal, lines }, chars };
  };

  return db.transaction((query: RunSearchQuery): RunSearchPage => {
    const { needle, limit, linesPerRun } = checkRunSearch(query);
    const match = trigramQuery(needle);
    const { where, params } = filterSql(query);
    const byRun = new Map<string, number[]>();
    for (const [rowid, executionId] of selectCandidates.iterate(match)) {
      const rowids = byRun.get(executionId);
      if (rowids === undefined) byRun.set(executionId, [rowid]);
      else rowids.push(rowid);
    }
    if (byRun.size === 0) return { items: [], nextCursor: null, scannedRuns: 0, truncated: false };
    const sql = `SELECT ${EXECUTION_COLUMNS} FROM executions e
      WHERE e.id IN (SELECT value FROM json_each(?))${where.map((w) => ` AND ${w}`).join('')}
      ORDER BY e.id DESC LIMIT ?`;
    const rows = prepareCached(db, sql).all(
      JSON.stringify([...byRun.keys()]),
      ...params,
      MAX_SCANNED_RUNS + 1,
    ) as ExecutionRow[];

    const items: RunSearchHit[] = [];
    let scannedRuns = 0;
    let scannedChars = 0;
    let truncated = false;
    let index = 0;
    for (; index < rows.length; index++) {
      if (items.length === limit) break;
      if (scannedRuns === MAX_SCANNED_RUNS || scannedChars >= MAX_SCANNED_CHARS) {
        truncated = true;
        break;
      }
      const row = rows[index] as ExecutionRow;
      scannedRuns++;
      let execution: Execution;
      try {
        execution = executionFromRow(row);
      } catch (error) {
        // A damaged row is skipped here as in the listing (which names it; it can be deleted).
        if (isStepflowError(error) && error.code === ERROR_CODES.UNREADABLE) continue;
        throw error;
      }
      const { hit, chars } = searchRun(execution, byRun.get(row.id) ?? [], needle, linesPerRun);
      scannedChars += chars;
      if (hit.lineTotal > 0) items.push(hit);
    }
    const last = rows[index - 1];
    const nextCursor = index < rows.length && last !== undefined ? encodeCursor(last.id) : null;
    return { items, nextCursor, scannedRuns, truncated };
  });
}

/** The query's filters on `executions e`, with the listing's meaning (`list-executions.ts`). */
function filterSql(query: RunSearchQuery): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.cursor !== undefined) {
    where.push('e.id < ?');
    params.push(decodeCursor(query.cursor));
  }
  if (query.status !== undefined && query.status.length > 0) {
    for (const status of query.status) {
      if (!isExecutionStatus(status)) {
        throw validationError(`unknown status ${JSON.stringify(status)}`, { field: 'status' });
      }
    }
    where.push(`e.status IN (${query.status.map(() => '?').join(', ')})`);
    params.push(...query.status);
  }
  if (query.since !== undefined) {
    where.push('e.created_ms >= ?');
    params.push(isoToMs(query.since, 'since'));
  }
  if (query.jobId !== undefined) {
    where.push('e.job_id = ?');
    params.push(query.jobId);
  }
  for (const tag of query.tags ?? []) {
    const eq = tag.indexOf('=');
    const key = eq === -1 ? tag : tag.slice(0, eq);
    if (key === '')
      throw validationError(`tag filter ${JSON.stringify(tag)} has an empty key`, { field: 'tag' });
    where.push(
      `EXISTS (SELECT 1 FROM execution_tags t WHERE t.execution_id = e.id AND t.key = ?${eq === -1 ? '' : ' AND t.value = ?'})`,
    );
    params.push(key, ...(eq === -1 ? [] : [tag.slice(eq + 1)]));
  }
  return { where, params };
}
