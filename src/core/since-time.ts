import { validationError } from './errors.js';

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;
const RELATIVE = /^(\d{1,6})(m|h|d|w)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/**
 * A `since` given as strict ISO 8601 (a date alone: its midnight UTC) or as an age before `now`:
 * `30m`, `24h`, `7d`, `2w` (minutes, hours, days, weeks). Returns the ISO time; anything else is a
 * `validation_failed` error naming `field`.
 */
export function parseSince(value: string, now: Date, field = 'since'): string {
  const relative = RELATIVE.exec(value);
  if (relative) {
    const [, amount, unit] = relative as unknown as [string, string, keyof typeof UNIT_MS];
    return new Date(now.getTime() - Number(amount) * UNIT_MS[unit]).toISOString();
  }
  const ms = ISO_DATE_TIME.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw validationError(
      `${field} must be an ISO 8601 date-time such as 2024-05-01T12:00:00Z or an age such as 30m, 24h, 7d, 2w; got ${JSON.stringify(value)}`,
      { field },
    );
  }
  return new Date(ms).toISOString();
}
