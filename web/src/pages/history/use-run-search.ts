import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { apiFetch } from '../../api/client.js';
import type { RunSearchPage } from '../../api/types.js';
import { apiQueryFromFilters, type HistoryFilters } from './history-filters.js';

const DEBOUNCE_MS = 300;
/** The server's minimum: its trigram index cannot look up shorter text. */
export const MIN_LOG_QUERY = 3;
const PAGE_SIZE = 20;

/**
 * Search of every run's log, from the History page: the typed text (debounced, so typing sends one
 * request per pause, not per key) with the page's status, tag and since filters; pages of runs.
 * Idle (no request) while the text is shorter than the server accepts.
 */
export function useRunSearch(text: string, filters: HistoryFilters) {
  const [query, setQuery] = useState(text.trim());
  useEffect(() => {
    const timer = setTimeout(() => setQuery(text.trim()), DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text]);
  const { status, tag, since } = apiQueryFromFilters(filters);
  const enabled = [...query].length >= MIN_LOG_QUERY;
  const list = useInfiniteQuery({
    queryKey: ['run-search', query, status, tag, since],
    queryFn: ({ pageParam, signal }) =>
      apiFetch<RunSearchPage>('/api/search', {
        query: { q: query, status, tag, since, limit: PAGE_SIZE, cursor: pageParam },
        signal,
      }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
    enabled,
  });
  return { query, enabled, list };
}
