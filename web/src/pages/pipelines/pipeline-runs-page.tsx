import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { apiFetch } from '../../api/client.js';
import { LoadMoreButton } from '../../components/load-more-button.js';
import { PageHeader } from '../../components/page-header.js';
import { QueryState } from '../../components/query-state.js';
import { formatDateTime, formatDuration } from '../../format.js';
import type { PipelineRunPageBody } from '../../../../src/protocol/pipeline-schemas.js';
import '../history/history.css';
import './pipelines.css';

const PAGE_SIZE = 50;
const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;

/** Pipeline runs, newest first, filtered by pipeline name and status (both kept in the URL). */
export function PipelineRunsPage() {
  const [params, setParams] = useSearchParams();
  const name = params.get('name') ?? '';
  const status = params.get('status') ?? '';
  const list = useInfiniteQuery({
    queryKey: ['pipeline-runs', name, status],
    queryFn: ({ pageParam, signal }) =>
      apiFetch<PipelineRunPageBody>('/api/pipelines/runs', {
        query: { name, status, limit: PAGE_SIZE, cursor: pageParam },
        signal,
      }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
    refetchInterval: 3000,
  });
  const runs = list.data?.pages.flatMap((page) => page.items) ?? [];
  const filtered = name !== '' || status !== '';
  return (
    <div className="page pipeline-runs">
      <PageHeader title="Pipeline runs" />
      <RunFilters
        key={params.toString()}
        name={name}
        status={status}
        onApply={(next) => setParams(Object.entries(next).filter(([, value]) => value.trim() !== ''))}
      />
      <QueryState
        error={list.error}
        items={list.data === undefined ? undefined : runs}
        empty={
          filtered
            ? 'No pipeline runs match these filters.'
            : 'No pipeline runs yet. Start one with: stepflow pipeline run pipeline.yml'
        }
        emptyClassName="history-empty"
      >
        {(items) => (
          <div className="card history-results">
            <table className="table pipeline-runs-table">
              <caption className="visually-hidden">Pipeline runs</caption>
              <thead>
                <tr>
                  <th>Pipeline</th>
                  <th>Status</th>
                  <th>Nodes</th>
                  <th>Started</th>
                  <th>Duration</th>
                </tr>
              </thead>
              <tbody>
                {items.map((run) => {
                  const failed = run.nodes.filter((node) => node.status === 'failed').length;
                  return (
                    <tr key={run.id} data-run={run.id}>
                      <td>
                        <Link to={`/pipelines/runs/${run.id}`}>{run.name}</Link>
                        <div className="muted mono">{run.id}</div>
                      </td>
                      <td>
                        <span className="status" data-status={run.status}>
                          {run.status}
                        </span>
                      </td>
                      <td>
                        {run.nodes.length}
                        {failed > 0 ? <span className="error-text"> · {failed} failed</span> : null}
                      </td>
                      <td title={run.startedAt ?? run.createdAt}>
                        {formatDateTime(run.startedAt ?? run.createdAt)}
                      </td>
                      <td>
                        {run.startedAt && run.endedAt
                          ? formatDuration(Date.parse(run.endedAt) - Date.parse(run.startedAt))
                          : '—'}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            <LoadMoreButton list={list} />
          </div>
        )}
      </QueryState>
    </div>
  );
}

function RunFilters({
  name,
  status,
  onApply,
}: {
  name: string;
  status: string;
  onApply: (filters: { name: string; status: string }) => void;
}) {
  const [draft, setDraft] = useState({ name, status });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onApply(draft);
  };
  return (
    <form className="history-filters card" onSubmit={submit} role="search" aria-label="Filter pipeline runs">
      <div className="filter-row">
        <label className="filter-field">
          <span>Pipeline</span>
          <input
            name="name"
            value={draft.name}
            placeholder="name"
            onChange={(event) => setDraft({ ...draft, name: event.target.value })}
          />
        </label>
        <label className="filter-field">
          <span>Status</span>
          <select
            name="status"
            value={draft.status}
            onChange={(event) => {
              const next = { ...draft, status: event.target.value };
              setDraft(next);
              onApply(next);
            }}
          >
            <option value="">any</option>
            {STATUSES.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </label>
        <div className="filter-actions">
          <button type="submit" className="button">
            Apply
          </button>
        </div>
      </div>
    </form>
  );
}
