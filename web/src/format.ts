/** Display formatting shared by every page (durations, sizes, times). */

/** 850 ms → "850ms", 75 s → "1m 15s", 2 h 3 m → "2h 3m". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const totalSeconds = Math.floor(ms / 1000);
  if (totalSeconds < 60) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  return hours > 0 ? `${hours}h ${minutes}m` : `${minutes}m ${seconds}s`;
}

/**
 * An axis label of elapsed seconds, as short as it can be: 0 → "0s", 90 → "1m30s", 3600 → "1h",
 * 5400 → "1h30m".
 */
export function formatElapsed(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return s % 60 === 0 ? `${s / 60}m` : `${Math.floor(s / 60)}m${s % 60}s`;
  const minutes = Math.floor((s % 3600) / 60);
  return `${Math.floor(s / 3600)}h${minutes === 0 ? '' : `${minutes}m`}`;
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** 1536 → "1.5 KB" (powers of 1024). */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '–';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${UNITS[unit]}`;
}

/** Local date and time, to the second. */
export function formatDateTime(iso: string | number | null | undefined): string {
  if (iso === null || iso === undefined) return '–';
  return new Date(iso).toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

/** "5s ago", "3m ago", "2h ago", "4d ago"; a future time reads "in 5s", "in 3m"… */
export function formatAgo(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '–';
  const ms = Date.parse(iso) - now;
  const future = ms > 0;
  const seconds = future ? Math.ceil(ms / 1000) : Math.max(0, Math.round(-ms / 1000));
  const amount =
    seconds < 60
      ? `${seconds}s`
      : seconds < 3600
        ? `${Math.floor(seconds / 60)}m`
        : seconds < 86_400
          ? `${Math.floor(seconds / 3600)}h`
          : `${Math.floor(seconds / 86_400)}d`;
  return future ? `in ${amount}` : `${amount} ago`;
}
