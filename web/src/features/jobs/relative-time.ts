import { formatAgo } from '../../format.js';

/** "in 5s", "in 3m", "in 2h", "in 4d" for a future time; the past reads "5s ago". */
export function formatRelative(iso: string | null | undefined, now: number): string {
  if (!iso) return '–';
  const ms = Date.parse(iso) - now;
  if (ms <= 0) return formatAgo(iso, now);
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 60) return `in ${seconds}s`;
  if (seconds < 3600) return `in ${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `in ${Math.floor(seconds / 3600)}h`;
  return `in ${Math.floor(seconds / 86_400)}d`;
}

/** The browser's IANA zone (what `datetime-local` inputs and local times are read in). */
export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** A date and time to the second in `timeZone` (or the browser's), with the zone's short name. */
export function formatInZone(iso: string, timeZone?: string): string {
  return new Date(iso).toLocaleString(undefined, {
    timeZone,
    weekday: 'short',
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'short',
  });
}
