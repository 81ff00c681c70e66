import { useId, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { StatusBadge } from '../../components/status-badge.js';
import { parseTags } from '../../features/executions-list/parse-tags.js';
import { hasFilters, type HistoryFilters } from './history-filters.js';
import { EXECUTION_STATUS_ORDER } from '../../components/status-badge.js';

/**
 * The filter bar. Checkboxes, dates and the sort apply at once; the text fields when submitted
 * (Enter or Apply), so typing does not fire a query per key. Mount it with a key that changes with
 * the URL: its drafts start from the URL (Back and shared links included).
 */
export function FiltersForm({
  filters,
  onApply,
}: {
  filters: HistoryFilters;
  onApply: (filters: HistoryFilters) => void;
}) {
  const [text, setText] = useState(filters.text);
  const [tags, setTags] = useState(filters.tags.join(', '));
  // The controls show the choice at once; the URL (and so the list) follows a moment later.
  const [picked, setPicked] = useState(filters);
  const sortId = useId();
  // Every change applies the typed drafts too, so ticking a box never discards what was typed.
  const apply = (change: Partial<HistoryFilters>) => {
    const next = { ...picked, text, tags: parseTags(tags), ...change };
    setPicked(next);
    onApply(next);
  };
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    apply({});
  };
  const toggle = (status: HistoryFilters['status'][number], on: boolean) =>
    apply({ status: on ? [...picked.status, status] : picked.status.filter((s) => s !== status) });

  return (
    <form className="history-filters card" onSubmit={onSubmit} role="search" aria-label="Filter executions">
      <div className="filter-row">
        <label className="filter-field grow">
          <span>Search</span>
          <input
            type="search"
            name="q"
            value={text}
            placeholder="Name or command"
            onChange={(event) => setText(event.target.value)}
          />
        </label>
        <label className="filter-field">
          <span>Tag</span>
          <input
            type="text"
            name="tag"
            value={tags}
            placeholder="env=prod, nightly"
            onChange={(event) => setTags(event.target.value)}
          />
        </label>
        <label className="filter-field">
          <span>From</span>
          <input
            type="date"
            name="since"
            value={picked.since}
            onChange={(event) => apply({ since: event.target.value })}
          />
        </label>
        <label className="filter-field">
          <span>To</span>
          <input
            type="date"
            name="until"
            value={picked.until}
            onChange={(event) => apply({ until: event.target.value })}
          />
        </label>
        <div className="filter-field">
          {/* Not wrapping the select: its accessible name would then include the selected option. */}
          <label htmlFor={sortId}>Sort</label>
          <select
            id={sortId}
            name="order"
            value={picked.order}
            onChange={(event) => apply({ order: event.target.value === 'asc' ? 'asc' : 'desc' })}
          >
            <option value="desc">Newest first</option>
            <option value="asc">Oldest first</option>
          </select>
        </div>
        <div className="filter-actions">
          <button type="submit" className="button primary">
            Apply
          </button>
          {hasFilters(filters) ? (
            <Link to="/history" className="button ghost">
              Clear
            </Link>
          ) : null}
        </div>
      </div>
      <fieldset className="status-filter">
        <legend>Status</legend>
        {EXECUTION_STATUS_ORDER.map((status) => (
          <label key={status} className="status-option">
            <input
              type="checkbox"
              name="status"
              value={status}
              checked={picked.status.includes(status)}
              onChange={(event) => toggle(status, event.target.checked)}
            />
            <StatusBadge status={status} />
          </label>
        ))}
      </fieldset>
    </form>
  );
}
