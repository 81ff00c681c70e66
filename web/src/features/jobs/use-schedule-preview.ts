import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { apiFetch } from '../../api/client.js';
import type { SchedulePreview } from '../../api/types.js';
import { useDebouncedValue } from './use-debounced-value.js';

const DEBOUNCE_MS = 300;

/**
 * Checks a trigger as the user types it (`GET /api/schedules/preview`, once typing pauses) and
 * lists its next five fire times. `trigger` null: nothing to check yet (an empty field).
 * `error`: the server's message, whether it came as `valid: false` or as a 400 (a query that is
 * not even a number).
 */
export function useSchedulePreview(trigger: Record<string, string | number> | null): {
  preview: SchedulePreview | undefined;
  error: string | undefined;
  pending: boolean;
} {
  const settled = useDebouncedValue(trigger, DEBOUNCE_MS);
  const query = useQuery({
    queryKey: ['schedule-preview', settled],
    queryFn: ({ signal }) =>
      apiFetch<SchedulePreview>('/api/schedules/preview', { query: { ...settled, count: 5 }, signal }),
    enabled: settled !== null,
    // Fire times are relative to now: ask again rather than show a list that went by.
    staleTime: 0,
    placeholderData: keepPreviousData,
  });
  if (trigger === null) return { preview: undefined, error: undefined, pending: false };
  const typing = JSON.stringify(trigger) !== JSON.stringify(settled);
  return {
    preview: query.data,
    error: query.error?.message ?? query.data?.error?.message,
    pending: typing || query.isFetching,
  };
}
