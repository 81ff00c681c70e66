import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { fetchSearch } from './log-api.js';

/**
 * Search state of one log: the query (debounced), the exact totals from the server, and the
 * current occurrence, moved by next/previous. Matching lines are paged from the server with
 * `after` only as far as navigation needs; going back from the first match loads the rest.
 */

interface SearchPosition {
  seq: number;
  /** Occurrence within the line, 0-based. */
  occurrence: number;
  /** 1-based position among all occurrences ("3 of 12"). */
  ordinal: number;
}

export interface LogSearch {
  query: string;
  setQuery(query: string): void;
  clear(): void;
  /** Lower-cased query the results are for ('' when none): what visible lines highlight. */
  needle: string;
  status: 'idle' | 'loading' | 'ready' | 'error';
  error: string | null;
  total: number;
  lineTotal: number;
  current: SearchPosition | null;
  next(): void;
  previous(): void;
}

const DEBOUNCE_MS = 250;
const PAGE = 1000;
const REST_PAGE = 10_000;

interface Results {
  query: string;
  seqs: number[];
  counts: number[];
  /** Occurrences before each loaded line. */
  before: number[];
  nextAfter: number;
  hasMore: boolean;
  total: number;
  lineTotal: number;
}

/** `onMove(seq)` is called whenever the current match changes to a line (to bring it into view). */
export function useLogSearch(executionId: string, onMove: (seq: number) => void): LogSearch {
  // The latest callback, called from async work (a ref: those calls are not renders).
  const onMoveRef = useRef(onMove);
  useLayoutEffect(() => {
    onMoveRef.current = onMove;
  });
  const moved = useCallback((seq: number) => onMoveRef.current(seq), []);
  const [query, setQueryState] = useState('');
  const [results, setResults] = useState<Results | null>(null);
  const [status, setStatus] = useState<LogSearch['status']>('idle');
  const [error, setError] = useState<string | null>(null);
  const [position, setPosition] = useState<{ line: number; occurrence: number } | null>(null);
  const resultsRef = useRef<Results | null>(null);
  const controllerRef = useRef<AbortController | null>(null);

  const loadMore = useCallback(
    async (current: Results, limit: number): Promise<Results> => {
      const controller = controllerRef.current;
      const page = await fetchSearch(
        executionId,
        { q: current.query, after: current.nextAfter, limit },
        controller?.signal,
      );
      const next: Results = {
        ...current,
        seqs: current.seqs.slice(),
        counts: current.counts.slice(),
        before: current.before.slice(),
      };
      let running =
        next.before.length > 0 ? (next.before.at(-1) as number) + (next.counts.at(-1) as number) : 0;
      for (const match of page.matches) {
        next.seqs.push(match.seq);
        next.counts.push(match.count);
        next.before.push(running);
        running += match.count;
      }
      next.nextAfter = page.nextAfter;
      next.hasMore = page.hasMore;
      next.total = page.total;
      next.lineTotal = page.lineTotal;
      return next;
    },
    [executionId],
  );

  const run = useCallback(
    async (text: string) => {
      controllerRef.current?.abort();
      if (text === '') {
        controllerRef.current = null;
        resultsRef.current = null;
        setResults(null);
        setPosition(null);
        setStatus('idle');
        setError(null);
        return;
      }
      const controller = new AbortController();
      controllerRef.current = controller;
      setStatus('loading');
      try {
        const empty: Results = {
          query: text,
          seqs: [],
          counts: [],
          before: [],
          nextAfter: 0,
          hasMore: false,
          total: 0,
          lineTotal: 0,
        };
        const loaded = await loadMore(empty, PAGE);
        if (controller.signal.aborted) return;
        resultsRef.current = loaded;
        setResults(loaded);
        setPosition(loaded.seqs.length > 0 ? { line: 0, occurrence: 0 } : null);
        if (loaded.seqs[0] !== undefined) moved(loaded.seqs[0]);
        setStatus('ready');
        setError(null);
      } catch (caught) {
        if (controller.signal.aborted) return;
        setStatus('error');
        setError(caught instanceof Error ? caught.message : String(caught));
      }
    },
    [loadMore, moved],
  );

  // Debounced: one request per pause in typing, not per key.
  useEffect(() => {
    const timer = setTimeout(() => void run(query), query === '' ? 0 : DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [query, run]);
  useEffect(() => () => controllerRef.current?.abort(), []);

  const move = useCallback(
    async (direction: 1 | -1) => {
      let current = resultsRef.current;
      if (current === null || current.seqs.length === 0) return;
      const at = position ?? { line: 0, occurrence: direction === 1 ? -1 : 0 };
      let line = at.line;
      let occurrence = at.occurrence + direction;
      if (occurrence >= (current.counts[line] as number)) {
        line++;
        occurrence = 0;
        if (line >= current.seqs.length) {
          if (current.hasMore) current = await loadMore(current, PAGE);
          else line = 0; // wrap to the first
        }
      } else if (occurrence < 0) {
        line--;
        if (line < 0) {
          // Wrap to the last: load what is left (in big pages; rare).
          while (current.hasMore) current = await loadMore(current, REST_PAGE);
          line = current.seqs.length - 1;
        }
        occurrence = (current.counts[line] as number) - 1;
      }
      if (current !== resultsRef.current) {
        if (current.query !== resultsRef.current?.query) return; // the query changed meanwhile
        resultsRef.current = current;
        setResults(current);
      }
      setPosition({ line, occurrence });
      moved(current.seqs[line] as number);
    },
    [loadMore, moved, position],
  );

  const current: SearchPosition | null =
    results !== null && position !== null && position.line < results.seqs.length
      ? {
          seq: results.seqs[position.line] as number,
          occurrence: position.occurrence,
          ordinal: (results.before[position.line] as number) + position.occurrence + 1,
        }
      : null;

  return {
    query,
    setQuery: setQueryState,
    clear: () => setQueryState(''),
    needle: results?.query.toLowerCase() ?? '',
    status,
    error,
    total: results?.total ?? 0,
    lineTotal: results?.lineTotal ?? 0,
    current,
    next: () => void move(1).catch((caught: unknown) => setError(String(caught))),
    previous: () => void move(-1).catch((caught: unknown) => setError(String(caught))),
  };
}
