import { ERROR_CODES, StepflowError } from '../../core/errors.js';
import type {
  FireOutcome,
  FireRecord,
  Job,
  JobDefinition,
  PendingRetry,
  TriggerSpec,
  WebhookDelivery,
  WebhookEvent,
} from '../../core/jobs/job.js';
import { jobFromStored } from '../../core/jobs/stored-job.js';

/** Conversions between jobs (with their triggers, fires, deliveries) and their rows. */

export interface JobRow {
  id: string;
  name: string;
  enabled: number;
  definition: string;
  created_at: string;
  updated_at: string;
  late_by_p95: number;
  /** A JSON array of labels ('[]': none). */
  runs_on: string;
  retry_on_lost: number;
}

export interface TriggerRow {
  id: string;
  job_id: string;
  position: number;
  spec: string;
  anchor_ms: number;
  next_fire_ms: number | null;
}

export interface FireRow {
  id: number;
  job_id: string;
  trigger_id: string | null;
  fire_ms: number;
  fire_time: string;
  outcome: FireOutcome;
  reason: string | null;
  execution_id: string | null;
  count: number;
  created_at: string;
}

export interface DeliveryRow {
  id: number;
  job_id: string;
  delivery_id: string;
  url: string;
  event: WebhookEvent;
  execution_id: string | null;
  attempt: number;
  status_code: number | null;
  ok: number;
  error: string | null;
  sent_at: string;
  duration_ms: number;
}

export interface PendingRetryRow {
  failed_execution_id: string;
  job_id: string;
  failed_status: PendingRetry['failedStatus'];
  attempt: number;
  due_ms: number;
  scheduled_at: string | null;
  created_at: string;
}

/** The definition column: everything but the fields with columns of their own and the triggers. */
export function definitionJson(definition: JobDefinition): string {
  const {
    name: _name,
    enabled: _enabled,
    triggers: _triggers,
    lateByP95: _lateByP95,
    runsOn: _runsOn,
    retryOnLost: _retryOnLost,
    ...rest
  } = definition;
  return JSON.stringify(rest);
}

/**
 * The job of a row and its trigger rows, held to the rules of a new job (`jobFromStored`). Throws
 * an `unreadable` error naming the job and the reason when it cannot be read: damaged JSON, or a
 * value an older version let through (an interval of 250,000 years). `checked`: contents that
 * passed the rules already (kept by the caller), which are not checked again.
 */
export function jobFromRows(row: JobRow, triggers: TriggerRow[], checked: Set<string>): Job {
  // What the rules look at (not the fire plan, which moves all the time): seen before, passed before.
  const content = JSON.stringify([
    row.name,
    row.enabled,
    row.late_by_p95,
    row.runs_on,
    row.retry_on_lost,
    row.definition,
    triggers.map((t) => t.spec),
  ]);
  try {
    const job = jobFromStored(
      {
        id: row.id,
        name: row.name,
        enabled: row.enabled === 1,
        // A column (default 0), so jobs saved before the option existed read as false.
        lateByP95: row.late_by_p95 === 1,
        runsOn: parseJson(row.runs_on, 'runsOn'),
        retryOnLost: row.retry_on_lost === 1,
        definition: parseJson(row.definition, 'definition'),
        triggers: triggers.map((trigger, i) => ({
          id: trigger.id,
          spec: parseJson(trigger.spec, `triggers.${i}`),
          anchorMs: trigger.anchor_ms,
          nextFireMs: trigger.next_fire_ms,
        })),
        createdAt: row.created_at,
        updatedAt: row.updated_at,
      },
      { rulesChecked: checked.has(content) },
    );
    // Bounded: a long-lived server sees each version of each job once; edits make new versions.
    if (checked.size >= 10_000) checked.clear();
    checked.add(content);
    return job;
  } catch (error) {
    // Messages of the job validator name fields as the API does (`body.retry…`): not here.
    const reason = (error instanceof Error ? error.message : String(error)).replace(/^body\./, '');
    throw new StepflowError(
      ERROR_CODES.UNREADABLE,
      `job ${row.id} (${JSON.stringify(row.name)}) cannot be read: ${reason}; delete it and create it again`,
      { cause: error, details: { id: row.id, name: row.name, reason } },
    );
  }
}

function parseJson(text: string, field: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`${field} is not valid JSON`);
  }
}

export function fireFromRow(row: FireRow): FireRecord {
  return {
    id: row.id,
    jobId: row.job_id,
    triggerId: row.trigger_id,
    fireTime: row.fire_time,
    outcome: row.outcome,
    reason: row.reason,
    executionId: row.execution_id,
    count: row.count,
    createdAt: row.created_at,
  };
}

export function pendingRetryFromRow(row: PendingRetryRow): PendingRetry {
  return {
    jobId: row.job_id,
    failedExecutionId: row.failed_execution_id,
    failedStatus: row.failed_status,
    attempt: row.attempt,
    dueMs: row.due_ms,
    scheduledAt: row.scheduled_at,
  };
}

export function deliveryFromRow(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    jobId: row.job_id,
    deliveryId: row.delivery_id,
    url: row.url,
    event: row.event,
    executionId: row.execution_id,
    attempt: row.attempt,
    statusCode: row.status_code,
    ok: row.ok === 1,
    error: row.error,
    sentAt: row.sent_at,
    durationMs: row.duration_ms,
  };
}

/** A trigger's identity for matching on update: its spec alone, keys in a fixed order. */
export function triggerKey(spec: TriggerSpec): string {
  switch (spec.kind) {
    case 'cron':
      return JSON.stringify({ kind: spec.kind, cron: spec.cron, timezone: spec.timezone });
    case 'interval':
      return JSON.stringify({ kind: spec.kind, intervalSeconds: spec.intervalSeconds });
    case 'once':
      return JSON.stringify({ kind: spec.kind, at: spec.at });
  }
}
