import type { ExecutionStatus } from '../../core/statuses.js';
import type { JobBody } from '../../protocol/job-schemas.js';
import { EXECUTION_ICONS, paintStatus, type Colors } from '../format.js';

/** A time in `timeZone`, named: `2026-12-03 03:00:00 Asia/Shanghai` (a bare clock time misleads). */
export function formatZonedTime(iso: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(iso));
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const local = `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}:${part('second')}`;
  return `${local} ${timeZone}`;
}

/** A fire time as the job's author thinks of it (its cron's zone), with UTC beside it. */
export function formatFireTime(iso: string, timeZone: string): string {
  return `${formatZonedTime(iso, timeZone)}  (${iso.replace(/\.000Z$/, 'Z')})`;
}

/** The zone to show a job's times in: its first cron's, else this machine's. */
export function displayZone(job: JobBody): string {
  const cron = job.triggers.find((t) => t.kind === 'cron');
  return cron?.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
}

export function describeTrigger(trigger: JobBody['triggers'][number]): string {
  switch (trigger.kind) {
    case 'cron':
      return `cron "${trigger.cron}" (${trigger.timezone})`;
    case 'interval':
      return `every ${trigger.intervalSeconds}s`;
    case 'once':
      return `once at ${trigger.at}`;
  }
}

export function commandOf(job: JobBody): string {
  return job.argv !== null ? job.argv.join(' ') : (job.command ?? '');
}

export function lastStatus(c: Colors, job: JobBody): string {
  if (job.lastRun === null) return c.dim('never run');
  const status: ExecutionStatus = job.lastRun.status;
  return paintStatus(c, status, `${EXECUTION_ICONS[status]} ${status}`);
}
