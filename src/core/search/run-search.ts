import type { Execution } from '../model.js';
import type { LogStream } from '../statuses.js';
import { validationError } from '../errors.js';
import { stripAnsi } from '../markers/ansi.js';
import { searchNeedle } from './log-text-search.js';

/**
 * The rules of a search across every run's log, shared by every store backend so they agree on
 * what is accepted. A match is what `log-text-search.ts` says (case-insensitive, ANSI escapes
 * removed), so a run's own log search finds the same lines.
 */

/**
 * Shortest query in characters (code points): a trigram index can only look up text of three
 * characters or more, and a shorter query would read every stored log, so it is refused.
 */
export const RUN_SEARCH_MIN_LENGTH = 3;
export const RUN_SEARCH_MAX_LENGTH = 200;
const RUN_SEARCH_DEFAULT_LIMIT = 20;
export const RUN_SEARCH_MAX_LIMIT = 100;
const RUN_SEARCH_DEFAULT_LINES = 3;
export const RUN_SEARCH_MAX_LINES = 20;

/** The checked parts of a query: the folded needle and the page sizes with their defaults. */
export interface CheckedRunSearch {
  needle: string;
  limit: number;
  linesPerRun: number;
}

/** Validates a query's text and sizes (`validation_failed` naming the field); filters are the store's. */
export function checkRunSearch(query: {
  text: string;
  limit?: number;
  linesPerRun?: number;
}): CheckedRunSearch {
  const { text, limit = RUN_SEARCH_DEFAULT_LIMIT, linesPerRun = RUN_SEARCH_DEFAULT_LINES } = query;
  if (typeof text !== 'string' || text.length > RUN_SEARCH_MAX_LENGTH) {
    throw validationError(`q must be at most ${RUN_SEARCH_MAX_LENGTH} characters`, { field: 'q' });
  }
  if ([...text].length < RUN_SEARCH_MIN_LENGTH) {
    throw validationError(
      `q must be at least ${RUN_SEARCH_MIN_LENGTH} characters to search every run (the index looks up ` +
        `trigrams); search one run's log for shorter text`,
      { field: 'q' },
    );
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > RUN_SEARCH_MAX_LIMIT) {
    throw validationError(
      `limit must be an integer from 1 to ${RUN_SEARCH_MAX_LIMIT}, got ${String(limit)}`,
      {
        field: 'limit',
      },
    );
  }
  if (!Number.isInteger(linesPerRun) || linesPerRun < 0 || linesPerRun > RUN_SEARCH_MAX_LINES) {
    throw validationError(
      `lines must be an integer from 0 to ${RUN_SEARCH_MAX_LINES}, got ${String(linesPerRun)}`,
      { field: 'lines' },
    );
  }
  return { needle: searchNeedle(text), limit, linesPerRun };
}

/**
 * The text an index of a log chunk (`lineCount` lines joined by `\n`) holds: exactly what
 * `searchLines` compares the needle with — the chunk folded whole, or, when it holds escapes, each
 * line stripped and folded — so every line the exact matcher finds is a substring of it and an
 * index lookup can never miss a chunk. One call per chunk, never per line, on plain chunks.
 */
export function indexedChunkText(text: string, lineCount: number): string {
  if (!text.includes('\x1b')) return text.toLowerCase();
  if (lineCount === 1) return stripAnsi(text).toLowerCase();
  return text
    .split('\n')
    .map((line) => stripAnsi(line).toLowerCase())
    .join('\n');
}

/** One matching line of a run's log, as stored (escapes and all). */
export interface RunSearchLine {
  seq: number;
  stream: LogStream;
  stepId: number | null;
  /** The step's name; null outside any step. */
  stepName: string | null;
  text: string;
  /** Occurrences in the line. */
  count: number;
}

export interface RunSearchHit {
  execution: Execution;
  /** Occurrences in the run's whole log: exact. */
  total: number;
  /** Lines of the run's whole log holding the text: exact. */
  lineTotal: number;
  /** Its first matching lines, in seq order. */
  lines: RunSearchLine[];
}

export interface RunSearchPage {
  /** Newest run first. */
  items: RunSearchHit[];
  /**
   * Continues after the last run this page looked at; null when the search reached the end. A
   * backend that cannot tell whether an older run matches may return one that leads to an empty page.
   */
  nextCursor: string | null;
  /** Runs whose logs this page read (those with a candidate match in the index). */
  scannedRuns: number;
  /**
   * True when the page stopped at its scan bound (runs or text read) before filling `limit`:
   * fewer items than asked, and older matches may follow `nextCursor`. Counts are exact either way.
   */
  truncated: boolean;
}
