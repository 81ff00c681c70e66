import type { ExecutionStatus } from '../../api/types.js';
import { EXECUTION_STATUS_ORDER } from '../../components/status-badge.js';

/** The history's filters as they live in the URL (`?status=failed&tag=env=prod&since=2026-01-02`). */
export interface HistoryFilters {
  status: ExecutionStatus[];
  tags: string[];
  text: string;
  /** Local calendar days, `YYYY-MM-DD`, both inclusive. */
  since: string;
  until: string;
  order: 'desc' | 'asc';
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function filtersFromParams(params: URLSearchParams): HistoryFilters {
  const day = (key: string) => {
    const value = params.get(key) ?? '';
    return DAY.test(value) ? value : '';
  };
  return {
    status: params
      .getAll('status')
      .filter((s): s is ExecutionStatus => (EXECUTION_STATUS_ORDER as readonly string[]).includes(s)),
    tags: params.getAll('tag').filter((t) => t.trim() !== ''),
    text: params.get('q') ?? '',
    since: day('since'),
    until: day('until'),
    order: params.get('order') === 'asc' ? 'asc' : 'desc',
  };
}

/** The URL form: defaults are left out, so a plain /history stays plain. */
export function paramsFromFilters(filters: HistoryFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const status of filters.status) params.append('status', status);
  for (const tag of filters.tags) params.append('tag', tag);
  if (filters.text.trim()) params.set('q', filters.text.trim());
  if (filters.since) params.set('since', filters.since);
  if (filters.until) params.set('until', filters.until);
  if (filters.order === 'asc') params.set('order', 'asc');
  return params;
}

/**
 * The API query: days become instants in the browser's time zone (since: its midnight, until: the
 * last millisecond of the day), because a person picking "May 3" means their May 3.
 */
export function apiQueryFromFilters(filters: HistoryFilters) {
  return {
    status: filters.status,
    tag: filters.tags,
    q: filters.text.trim(),
    since: filters.since ? new Date(`${filters.since}T00:00:00`).toISOString() : undefined,
    until: filters.until ? new Date(`${filters.until}T23:59:59.999`).toISOString() : undefined,
    order: filters.order === 'asc' ? 'asc' : undefined,
  };
}

export function hasFilters(filters: HistoryFilters): boolean {
  return paramsFromFilters({ ...filters, order: 'desc' }).size > 0;
}
