import type { JobTrigger } from '../../api/types.js';
import { formatDateTime } from '../../format.js';

/** A trigger in words: "cron 0 3 * * * (Asia/Shanghai)", "every 30 s", "once at 1 Jan 2030, 03:00". */
export function triggerText(
  trigger: Pick<JobTrigger, 'kind' | 'cron' | 'timezone' | 'intervalSeconds' | 'at'>,
): string {
  switch (trigger.kind) {
    case 'cron':
      return `cron ${trigger.cron ?? ''} (${trigger.timezone ?? 'UTC'})`;
    case 'interval':
      return `every ${intervalText(trigger.intervalSeconds ?? 0)}`;
    case 'once':
      return `once at ${formatDateTime(trigger.at)}`;
  }
}

/** 1 → "second", 30 → "30 s", 90 → "90 s", 3600 → "1 h", 7200 → "2 h". */
function intervalText(seconds: number): string {
  if (seconds === 1) return 'second';
  if (seconds >= 86_400 && seconds % 86_400 === 0) return `${seconds / 86_400} d`;
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** Every trigger of a job in words, or "manual only" when it has none. */
export function triggersText(triggers: readonly JobTrigger[]): string {
  return triggers.length === 0 ? 'manual only' : triggers.map(triggerText).join(' · ');
}
