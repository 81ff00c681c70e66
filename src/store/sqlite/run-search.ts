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
 * @public (the search benchmark times the bare lookup with it)
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
 * Up to this many candidate chunks, each one's run is read from the index (a lookup per chunk);
 * beyond, the runs are walked newest first and their chunks intersected with the candidates,
 * which costs a small index read per run instead (measured: 105k lookups took 350 ms on 10 M lines).
 */
const GROUP_BY_LOOKUP_UP_TO = 5_000;
/** Runs walked without a candidate chunk per page, before the page stops (`truncated`). */
const MAX_VISITED_RUNS = 5_000;
const WALK_BATCH = 256;

/** One run to read: its row and the chunks the index says may hold the needle (none: skip it). */
interface RunCandidates {
  row: ExecutionRow;
  rowids: number[];
}

/**
 * Returns the searcher across runs. One read transaction: (1) the index gives every chunk that may
 * hold the needle; (2) the runs holding them that pass the filters, newest first, are read one by
 * one, exactly (`searchLines` over their candidate chunks), until the page has `limit` runs with a
 * match or reaches its scan bound. `groupByLookupUpTo` is for tests (both ways give the same page).
 */
export function createRunSearcher(
  db: Database.Database,
  { groupByLookupUpTo = GROUP_BY_LOOKUP_UP_TO } = {},
): (query: RunSearchQuery) => RunSearchPage {
  const selectCandidates = db
    .prepare<[string], number>('SELECT rowid FROM log_search WHERE log_search MATCH ?')
    .pluck();
  const selectCandidateRuns = db
    .prepare<[string], [number, string]>(
      'SELECT rowid, execution_id FROM log_search WHERE log_search MATCH ?',
    )
    .raw();
  // Index-only (log_chunks_seq holds the rowid): no text is read.
  const selectRunChunks = db
    .prepare<[string], number>('SELECT rowid FROM log_chunks WHERE execution_id = ?')
    .pluck();
  const selectChunk = db
    .prepare<[number], [number, number, LogStream, number | null, string]>(
      'SELECT seq_start, seq_end, stream, step_id, text FROM log_chunks WHERE rowid = ?',
    )
    .raw();
  const selectStepName = db
    .prepare<[string, number], string>('SELECT name FROM steps WHERE execution_id = ? AND id = ?')
    .pluck();

  /** Few candidates: each one's run from the index, then those runs' rows in order. */
  function* byLookup(match: string, filters: FilterSql): Generator<RunCandidates> {
    const byRun = new Map<string, number[]>();
    for (const [rowid, executionId] of selectCandidateRuns.iterate(match)) {
      const rowids = byRun.get(executionId);
      if (rowids === undefined) byRun.set(executionId, [rowid]);
      else rowids.push(rowid);
    }
    const sql = `SELECT ${EXECUTION_COLUMNS} FROM executions e
      WHERE e.id IN (SELECT value FROM json_each(?))${filters.where.map((w) => ` AND ${w}`).join('')}
      ORDER BY e.id DESC LIMIT ?`;
    const rows = prepareCached(db, sql).all(
      JSON.stringify([...byRun.keys()]),
      ...filters.params,
      MAX_SCANNED_RUNS + 1,
    ) as ExecutionRow[];
    for (const row of rows) yield { row, rowids: byRun.get(row.id) ?? [] };
  }

  /** Many candidates: the filtered runs newest first, each with its chunks that are candidates. */
  function* byWalk(candidates: Set<number>, filters: FilterSql): Generator<RunCandidates> {
    const sql = `SELECT ${EXECUTION_COLUMNS} FROM executions e
      WHERE e.id < ?${filters.where.map((w) => ` AND ${w}`).join('')}
      ORDER BY e.id DESC LIMIT ?`;
    // In batches: a statement being iterated would keep the connection from reading the chunks.
    let before = '\u{10ffff}'; // above every id
    for (;;) {
      const rows = prepareCached(db, sql).all(before, ...filters.params, WALK_BATCH) as ExecutionRow[];
      for (const row of rows) {
        yield { row, rowids: selectRunChunks.all(row.id).filter((rowid) => candidates.has(rowid)) };
      }
      if (rows.length < WALK_BATCH) return;
      before = (rows.at(-1) as ExecutionRow).id;
    }
  }

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
    const filters = filterSql(query);
    const candidates = selectCandidates.all(match);
    if (candidates.length === 0) return { items: [], nextCursor: null, scannedRuns: 0, truncated: false };
    const runs =
      candidates.length <= groupByLookupUpTo
        ? byLookup(match, filters)
        : byWalk(new Set(candidates), filters);

    const items: RunSearchHit[] = [];
    let scannedRuns = 0;
    let scannedChars = 0;
    let visited = 0;
    let truncated = false;
    let more = false;
    let lastId: string | undefined;
    for (const { row, rowids } of runs) {
      if (items.length === limit) {
        more = true;
        break;
      }
      if (
        scannedRuns === MAX_SCANNED_RUNS ||
        scannedChars >= MAX_SCANNED_CHARS ||
        visited === MAX_VISITED_RUNS
      ) {
        truncated = more = true;
        break;
      }
      lastId = row.id;
      if (rowids.length === 0) {
        visited++;
        continue;
      }
      scannedRuns++;
      let execution: Execution;
      try {
        execution = executionFromRow(row);
      } catch (error) {
        // A damaged row is skipped here as in the listing (which names it; it can be deleted).
        if (isStepflowError(error) && error.code === ERROR_CODES.UNREADABLE) continue;
        throw error;
      }
      const { hit, chars } = searchRun(execution, rowids, needle, linesPerRun);
      scannedChars += chars;
      if (hit.lineTotal > 0) items.push(hit);
    }
    const nextCursor = more && lastId !== undefined ? encodeCursor(lastId) : null;
    return { items, nextCursor, scannedRuns, truncated };
  });
}

interface FilterSql {
  where: string[];
  params: unknown[];
}

/** The query's filters on `executions e`, with the listing's meaning (`list-executions.ts`). */
function filterSql(query: RunSearchQuery): FilterSql {
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
