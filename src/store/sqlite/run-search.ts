import type Database from 'better-sqlite3';
import { ERROR_CODES, isStepflowError, validationError } from '../../core/errors.js';
import type { Execution } from '../../core/model.js';
import { searchLines } from '../../core/search/log-text-search.js';
import { checkRunSearch } from '../../core/search/run-search.js';
import { isExecutionStatus, type LogStream } from '../../core/statuses.js';
import type { RunSearchHit, RunSearchLine, RunSearchPage, RunSearchQuery } from '../store.js';
import { EXECUTION_COLUMNS, executionFromRow, isoToMs, type ExecutionRow } from './execution-row.js';
import { decodeCursor, encodeCursor, prepareCached } from './list-executions.js';
import { createIndexReader, type IndexCandidates } from './search-index-reader.js';
import { chunkText } from './log-text-packing.js';

/**
 * The bound on one page's cost, whatever the query matches: the logs of at most this many runs,
 * and no new run once this much text (UTF-16 code units) was read. A page always finishes the run
 * it started, so counts are exact; it may hold fewer items than asked (`truncated`).
 */
const MAX_SCANNED_RUNS = 200;
const MAX_SCANNED_CHARS = 32 * 1024 * 1024;

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

/** The candidate chunks of a search: the index's, and the matching ones past its mark. */
interface Candidates extends IndexCandidates {
  tail: Map<number, string>;
}

/** One run to read: its row and the chunks the index says may hold the needle (none: skip it). */
interface RunCandidates {
  row: ExecutionRow;
  rowids: number[];
}

/** Searches every run's log; `close` closes its connection to the index file. */
export type RunSearcher = ((query: RunSearchQuery) => RunSearchPage) & { close(): void };

/**
 * Returns the searcher across runs. In one read snapshot of the main database: (1) the candidate
 * chunks: those the index file says may hold the needle, up to its mark, and those past the mark
 * (not indexed yet: a run printing now, or no indexer running) that the exact matcher finds, read
 * directly; (2) the runs holding them that pass the filters, newest first, are read one by one,
 * exactly (`searchLines` over their candidate chunks), until the page has `limit` runs with a match
 * or reaches its scan bound. `groupByLookupUpTo` is for tests (both ways give the same page).
 */
export function createRunSearcher(
  db: Database.Database,
  {
    indexFile,
    groupByLookupUpTo = GROUP_BY_LOOKUP_UP_TO,
  }: {
    /** The index file (`search-index.sqlite`); missing: every chunk is read directly. */
    indexFile: string;
    groupByLookupUpTo?: number;
  },
): RunSearcher {
  // Not indexed yet: each chunk past the mark, read once and matched exactly.
  const selectTail = db
    .prepare<[number], [number, string, number, number, string, Buffer | null]>(
      'SELECT rowid, execution_id, seq_start, seq_end, text, text_z FROM log_chunks WHERE rowid > ?',
    )
    .raw();
  // Index-only (log_chunks_seq holds the rowid): no text is read.
  const selectRunChunks = db
    .prepare<[string], number>('SELECT rowid FROM log_chunks WHERE execution_id = ?')
    .pluck();
  const selectChunk = db
    .prepare<[number], [string, number, number, LogStream, number | null, string, Buffer | null]>(
      'SELECT execution_id, seq_start, seq_end, stream, step_id, text, text_z FROM log_chunks WHERE rowid = ?',
    )
    .raw();
  const selectStepName = db
    .prepare<[string, number], string>('SELECT name FROM steps WHERE execution_id = ? AND id = ?')
    .pluck();

  const index = createIndexReader(db, indexFile);

  /** The candidate chunks: the index's up to its mark, then the ones past it that match. */
  const candidatesOf = (needle: string, match: string): Candidates => {
    const found = index.lookUp(match, groupByLookupUpTo);
    const tail = new Map<number, string>();
    for (const [rowid, executionId, seqStart, seqEnd, stored, packed] of selectTail.iterate(found.mark)) {
      let matched = false;
      searchLines(chunkText(stored, packed), seqEnd - seqStart + 1, needle, () => {
        matched = true;
      });
      if (matched) tail.set(rowid, executionId);
    }
    return { ...found, tail };
  };

  /** Few candidates: each one's run is known, then those runs' rows in order. */
  function* byLookup(byChunk: Map<number, string>, filters: FilterSql): Generator<RunCandidates> {
    const byRun = new Map<string, number[]>();
    for (const [rowid, executionId] of byChunk) {
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
    // A chunk gone since the index was written (its run deleted) is skipped.
    const chunks = rowids
      .map((rowid) => selectChunk.get(rowid))
      .filter((c) => c !== undefined && c[0] === execution.id)
      .map((c): [number, number, LogStream, number | null, string] => {
        const [, seqStart, seqEnd, stream, stepId, stored, packed] = c as NonNullable<typeof c>;
        return [seqStart, seqEnd, stream, stepId, chunkText(stored, packed)];
      });
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

  const search = db.transaction((query: RunSearchQuery): RunSearchPage => {
    const { needle, limit, linesPerRun } = checkRunSearch(query);
    const match = trigramQuery(needle);
    const filters = filterSql(query);
    const found = candidatesOf(needle, match);
    const count = (found.byChunk?.size ?? found.rowids?.length ?? 0) + found.tail.size;
    if (count === 0) return { items: [], nextCursor: null, scannedRuns: 0, truncated: false };
    let runs: Generator<RunCandidates>;
    if (found.byChunk !== undefined && count <= groupByLookupUpTo) {
      runs = byLookup(new Map([...found.byChunk, ...found.tail]), filters);
    } else {
      const all = new Set(found.rowids ?? found.byChunk?.keys());
      for (const rowid of found.tail.keys()) all.add(rowid);
      runs = byWalk(all, filters);
    }

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
  return Object.assign(search, { close: () => index.close() });
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
