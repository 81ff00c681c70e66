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
