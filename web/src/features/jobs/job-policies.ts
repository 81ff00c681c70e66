import type { FireOutcome, MissedFirePolicy, OverlapPolicy, WebhookEvent } from '../../api/types.js';
import type { TriggerKind } from './job-form-values.js';

/**
 * Names and one-line meanings of the job policies, for selects, hints and tables. Exhaustive
 * records: a policy the server adds fails the type check until it is described here.
 */

export const OVERLAP_TEXT: Record<OverlapPolicy, { label: string; hint: string }> = {
  skip: { label: 'Skip', hint: 'A fire while the job is at its limit is recorded as skipped.' },
  queue: { label: 'Queue', hint: 'A fire at the limit waits until a run ends (at most 100 waiting).' },
  parallel: { label: 'Parallel', hint: 'Runs start side by side (up to max concurrent runs, if set).' },
  'cancel-previous': {
    label: 'Cancel previous',
    hint: 'A fire at the limit cancels the oldest run and starts when it has ended.',
  },
};

export const MISSED_FIRE_TEXT: Record<MissedFirePolicy, { label: string; hint: string }> = {
  skip: { label: 'Skip', hint: 'Fire times passed while the server was down are recorded as missed.' },
  'run-once': { label: 'Run once', hint: 'After a restart, the latest missed fire time runs once.' },
};

export const WEBHOOK_EVENT_TEXT: Record<WebhookEvent, string> = {
  failure: 'Failure',
  recovery: 'Recovery',
  success: 'Success',
  'running-late': 'Running late',
};

export const TRIGGER_KIND_TEXT: Record<TriggerKind, string> = {
  cron: 'Cron',
  interval: 'Interval',
  once: 'One-off',
};

export const FIRE_OUTCOME_TEXT: Record<FireOutcome, string> = {
  started: 'started',
  queued: 'queued',
  skipped: 'skipped',
  missed: 'missed',
};

/** Keys of an exhaustive record, typed (for <option> lists in the record's order). */
export function keysOf<K extends string>(record: Record<K, unknown>): K[] {
  return Object.keys(record) as K[];
}
