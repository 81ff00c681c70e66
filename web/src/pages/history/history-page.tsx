import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { apiFetch } from '../../api/client.js';
import type { ExecutionPage } from '../../api/types.js';
import { LoadMoreButton } from '../../components/load-more-button.js';
import { PageHeader } from '../../components/page-header.js';
import { QueryState } from '../../components/query-state.js';
import { ExecutionsTable } from '../../features/executions-list/executions-table.js';
import { useExecutionsFeed } from '../../features/executions-list/use-executions-feed.js';
import { FiltersForm } from './filters-form.js';
import { apiQueryFromFilters, filtersFromParams, hasFilters, paramsFromFilters } from './history-filters.js';
import { RunSearchResults } from './run-search-results.js';
import { MIN_LOG_QUERY, useRunSearch } from './use-run-search.js';
import './history.css';

const PAGE_SIZE = 50;

/** Every execution, filtered and sorted from the URL (so a view can be shared), loaded by pages. */
export function HistoryPage() {
  const [params, setParams] = useSearchParams();
  const filters = filtersFromParams(params);
  const query = apiQueryFromFilters(filters);
  // Keeps the list current: new and finished executions refresh it (throttled).
  useExecutionsFeed();

  const list = useInfiniteQuery({
    queryKey: ['executions', 'history', query],
    queryFn: ({ pageParam, signal }) =>
      apiFetch<ExecutionPage>('/api/executions', {
        query: { ...query, limit: PAGE_SIZE, cursor: pageParam },
        signal,
      }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  });
  const executions = list.data?.pages.flatMap((page) => page.items) ?? [];
  // Search in every run's log: while it has text, its results take the list's place.
  const [logText, setLogText] = useState('');
  const logSearch = useRunSearch(logText, filters);
  const tooShort = logText.trim() !== '' && [...logText.trim()].length < MIN_LOG_QUERY;

  return (
    <div className="page history">
      <PageHeader title="History" />
      <FiltersForm
        key={params.toString()}
        filters={filters}
        onApply={(next) => setParams(paramsFromFilters(next))}
      />
      <div className="card run-search-box" role="search" aria-label="Search in logs">
        <label className="filter-field grow">
          <span>Search in logs</span>
          <input
            type="search"
            name="log"
            value={logText}
            placeholder="Text in any run's log (status, tag and From filters apply)"
            onChange={(event) => setLogText(event.target.value)}
          />
        </label>
        {tooShort && <p className="muted run-search-hint">Type at least {MIN_LOG_QUERY} characters.</p>}
      </div>
      {logSearch.enabled ? (
        <RunSearchResults search={logSearch} />
      ) : (
        <QueryState
          error={list.error}
          items={list.data === undefined ? undefined : executions}
          empty={hasFilters(filters) ? 'No executions match these filters.' : 'No executions yet.'}
          emptyClassName="history-empty"
        >
          {() => (
            <div className="card history-results">
              <ExecutionsTable executions={executions} caption="Executions" />
              <div className="history-footer">
                <span className="muted" role="status">
                  {executions.length} {executions.length === 1 ? 'execution' : 'executions'}
                  {list.hasNextPage ? ' shown' : ''}
                </span>
                <LoadMoreButton list={list} />
              </div>
            </div>
          )}
        </QueryState>
      )}
    </div>
  );
}
