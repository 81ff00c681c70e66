/** The timestamp column: off, the wall clock, or the time since the execution started. */
export type TimestampMode = 'off' | 'absolute' | 'relative';

export const TIMESTAMP_MODES: readonly TimestampMode[] = ['off', 'absolute', 'relative'];

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** "14:03:07.250" (local time) or "+1:02:03.250" / "+02:03.250" relative to `startMs`. */
export function formatLineTime(ts: number, mode: TimestampMode, startMs: number | null): string {
  if (mode === 'absolute' || startMs === null) {
    const date = new Date(ts);
    return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
  }
  const elapsed = Math.max(0, ts - startMs);
  const ms = elapsed % 1000;
  const seconds = Math.floor(elapsed / 1000) % 60;
  const minutes = Math.floor(elapsed / 60_000) % 60;
  const hours = Math.floor(elapsed / 3_600_000);
  return hours > 0
    ? `+${hours}:${pad(minutes)}:${pad(seconds)}.${pad(ms, 3)}`
    : `+${pad(minutes)}:${pad(seconds)}.${pad(ms, 3)}`;
}
