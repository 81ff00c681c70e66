import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { AuditEntryJson, AuditPageJson } from '../../../../src/protocol/audit-schemas.js';
import { apiFetch } from '../../api/client.js';
import { LoadMoreButton } from '../../components/load-more-button.js';
import { PageHeader } from '../../components/page-header.js';
import { QueryState } from '../../components/query-state.js';
import { formatDateTime } from '../../format.js';
import '../history/history.css';

const PAGE_SIZE = 50;
/** The filters the page offers, as query parameters of both its URL and `GET /api/audit`. */
const FILTERS = ['actor', 'action', 'outcome', 'since'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

const OUTCOME_STATUS: Record<AuditEntryJson['outcome'], string> = {
  ok: 'succeeded',
  denied: 'cancelled',
  failed: 'failed',
};

/** The audit log (docs/AUDIT.md), newest first, for admins: filters from the URL, pages on demand. */
export function AuditPage() {
  const [params, setParams] = useSearchParams();
  const filters = Object.fromEntries(FILTERS.map((name) => [name, params.get(name) ?? ''])) as Filters;
  const query = Object.fromEntries(Object.entries(filters).filter(([, value]) => value !== ''));
  const list = useInfiniteQuery({
    queryKey: ['audit', query],
    queryFn: ({ pageParam, signal }) =>
      apiFetch<AuditPageJson>('/api/audit', {
        query: { ...query, limit: PAGE_SIZE, cursor: pageParam },
        signal,
      }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  });
  const entries = list.data?.pages.flatMap((page) => page.entries) ?? [];
  const filtered = Object.keys(query).length > 0;

  return (
    <div className="page audit">
      <PageHeader title="Audit log" />
      <AuditFilters
        key={params.toString()}
        filters={filters}
        onApply={(next) => setParams(Object.entries(next).filter(([, value]) => value.trim() !== ''))}
      />
      <QueryState
        error={list.error}
        items={list.data === undefined ? undefined : entries}
        empty={filtered ? 'No entries match these filters.' : 'Nothing recorded yet.'}
        emptyClassName="history-empty"
      >
        {(items) => (
          <div className="card history-results">
            <table className="table audit-table">
              <caption className="visually-hidden">Audit log</caption>
              <thead>
                <tr>
                  <th>Time</th>
                  <th>Actor</th>
                  <th>From</th>
                  <th>Action</th>
                  <th>Object</th>
                  <th>Outcome</th>
                </tr>
              </thead>
              <tbody>
                {items.map((entry) => (
                  <tr key={entry.id} data-outcome={entry.outcome}>
                    <td title={entry.at}>{formatDateTime(entry.at)}</td>
                    <td>
                      {entry.actor}
                      {entry.token !== null && <div className="muted">token {entry.token}</div>}
                    </td>
                    <td className="mono">{entry.ip ?? entry.via}</td>
                    <td className="mono">{entry.action}</td>
                    <td>
                      <AuditObject entry={entry} />
                    </td>
                    <td>
                      <span className="status" data-status={OUTCOME_STATUS[entry.outcome]}>
                        {entry.outcome}
                      </span>
                      {entry.errorCode !== null && <div className="muted">{entry.errorCode}</div>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <div className="history-footer">
              <span className="muted" role="status">
                {items.length} {items.length === 1 ? 'entry' : 'entries'}
                {list.hasNextPage ? ' shown' : ''}
              </span>
              <LoadMoreButton list={list} />
            </div>
          </div>
        )}
      </QueryState>
    </div>
  );
}

function AuditObject({ entry }: { entry: AuditEntryJson }) {
  if (entry.objectId === null) return <span className="muted">—</span>;
  if (entry.objectKind === 'run') return <Link to={`/executions/${entry.objectId}`}>{entry.objectId}</Link>;
  if (entry.objectKind === 'job') return <Link to={`/jobs/${entry.objectId}`}>{entry.objectId}</Link>;
  return <span>{entry.objectId}</span>;
}

/** Text filters applied on submit (Enter or Apply), the outcome at once. */
function AuditFilters({ filters, onApply }: { filters: Filters; onApply: (filters: Filters) => void }) {
  const [draft, setDraft] = useState(filters);
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    onApply(draft);
  };
  const field = (name: 'actor' | 'action' | 'since', label: string, placeholder: string) => (
    <label className="filter-field">
      <span>{label}</span>
      <input
        name={name}
        value={draft[name]}
        placeholder={placeholder}
        onChange={(event) => setDraft({ ...draft, [name]: event.target.value })}
      />
    </label>
  );
  return (
    <form
      className="history-filters card"
      onSubmit={onSubmit}
      role="search"
      aria-label="Filter the audit log"
    >
      <div className="filter-row">
        {field('actor', 'Actor', 'user name, api-key, local…')}
        {field('action', 'Action', 'run.cancel, or run.')}
        {field('since', 'Since', '24h, 7d, or an ISO time')}
        <label className="filter-field">
          <span>Outcome</span>
          <select
            name="outcome"
            value={draft.outcome}
            onChange={(event) => {
              const next = { ...draft, outcome: event.target.value };
              setDraft(next);
              onApply(next);
            }}
          >
            <option value="">any</option>
            <option value="ok">ok</option>
            <option value="denied">denied</option>
            <option value="failed">failed</option>
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
