import { Cron } from 'croner';
import { validationError } from '../errors.js';
import { MAX_INTERVAL_SECONDS, MIN_INTERVAL_SECONDS } from '../input-limits.js';
import type { TriggerSpec } from './job.js';

/**
 * Trigger arithmetic: when does a trigger fire next? Pure functions of the trigger and a time, so
 * they are tested with fixed instants. Cron arithmetic (fields, time zones, DST) is croner's; croner
 * is used as a calculator only, its own timers never run (`paused`).
 */

/** A trigger with what interval arithmetic counts from. */
export type TimedTrigger = TriggerSpec & { anchorMs: number };

/** Throws a validation error naming `field` unless `timezone` is an IANA zone this runtime knows. */
export function checkTimeZone(timezone: string, field: string): void {
  try {
    // Intl knows the same zone database croner converts with; it throws RangeError on unknown zones.
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw validationError(
      `${field}: unknown time zone ${JSON.stringify(timezone)} (use an IANA name such as Europe/Berlin)`,
      { field },
    );
  }
}

/** Parses a 5-field (minutes) or 6-field (seconds first) cron expression; errors name `field`. */
export function parseCron(expression: string, timezone: string, field: string): Cron {
  try {
    return new Cron(expression, { timezone, paused: true, mode: '5-or-6-parts' });
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^CronPattern: /, '') : String(error);
    throw validationError(`${field}: invalid cron expression ${JSON.stringify(expression)}: ${reason}`, {
      field,
    });
  }
}

/** Throws a validation error naming `field` unless `seconds` is a usable interval (1 s … 366 days). */
export function checkInterval(seconds: number, field: string): void {
  if (!Number.isFinite(seconds) || seconds < MIN_INTERVAL_SECONDS || seconds > MAX_INTERVAL_SECONDS) {
    throw validationError(
      `${field} must be from ${MIN_INTERVAL_SECONDS} to ${MAX_INTERVAL_SECONDS} seconds (366 days), got ${seconds}`,
      { field },
    );
  }
}

/** Epoch ms of a strict ISO 8601 date-time with a zone (`Z` or an offset); errors name `field`. */
export function parseInstant(value: string, field: string): number {
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i;
  const ms = iso.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw validationError(
      `${field} must be an ISO 8601 date-time with a zone, such as 2030-05-01T03:00:00Z, got ${JSON.stringify(value)}`,
      { field },
    );
  }
  return ms;
}

/** The next `count` fire times strictly after `afterMs`, in order (fewer when the trigger ends). */
export function nextFireTimes(trigger: TimedTrigger, afterMs: number, count: number): number[] {
  if (count <= 0) return [];
  switch (trigger.kind) {
    case 'cron':
      return parseCron(trigger.cron, trigger.timezone, 'cron')
        .nextRuns(count, new Date(afterMs))
        .map((date) => date.getTime());
    case 'interval': {
      const step = trigger.intervalSeconds * 1000;
      // Fires sit on a grid from the anchor, so a restart or a late timer never shifts them.
      const k = Math.max(1, Math.floor((afterMs - trigger.anchorMs) / step) + 1);
      return Array.from({ length: count }, (_, i) => trigger.anchorMs + (k + i) * step);
    }
    case 'once': {
      const at = Date.parse(trigger.at);
      return at > afterMs ? [at] : [];
    }
  }
}

/** The next fire time strictly after `afterMs`, or null when the trigger will not fire again. */
export function nextFireTime(trigger: TimedTrigger, afterMs: number): number | null {
  return nextFireTimes(trigger, afterMs, 1)[0] ?? null;
}

/**
 * Fire times in `[fromMs, untilMs]`, in order, at most `limit` of them (an every-second trigger
 * down for a month has millions; the caller records them as one summary anyway).
 */
export function fireTimesBetween(
  trigger: TimedTrigger,
  fromMs: number,
  untilMs: number,
  { limit = 1000 }: { limit?: number } = {},
): number[] {
  const times: number[] = [];
  let after = fromMs - 1;
  while (times.length < limit) {
    const batch = nextFireTimes(trigger, after, Math.min(100, limit - times.length));
    for (const time of batch) {
      if (time > untilMs) return times;
      times.push(time);
    }
    const last = batch.at(-1);
    if (last === undefined) return times;
    after = last;
  }
  return times;
}
