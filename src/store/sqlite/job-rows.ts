import type {
  FireOutcome,
  FireRecord,
  Job,
  JobDefinition,
  PendingRetry,
  Trigger,
  TriggerSpec,
  WebhookDelivery,
  WebhookEvent,
} from '../../core/jobs/job.js';

/** Conversions between jobs (with their triggers, fires, deliveries) and their rows. */

export interface JobRow {
  id: string;
  name: string;
  enabled: number;
  definition: string;
  created_at: string;
  updated_at: string;
  late_by_p95: number;
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

/** Fields with a column of their own, kept out of the definition JSON. */
type ColumnFields = 'name' | 'enabled' | 'triggers' | 'lateByP95';

/** The definition column: everything but the fields with columns of their own and the triggers. */
export function definitionJson(definition: JobDefinition): string {
  const { name: _name, enabled: _enabled, triggers: _triggers, lateByP95: _lateByP95, ...rest } = definition;
  return JSON.stringify(rest);
}

export function jobFromRows(row: JobRow, triggers: TriggerRow[]): Job {
  const rest = JSON.parse(row.definition) as Omit<JobDefinition, ColumnFields>;
  return {
    id: row.id,
    name: row.name,
    enabled: row.enabled === 1,
    ...rest,
    // A column (default 0), so jobs saved before the option existed read as false.
    lateByP95: row.late_by_p95 === 1,
    triggers: triggers.map(triggerFromRow),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function triggerFromRow(row: TriggerRow): Trigger {
  return {
    ...(JSON.parse(row.spec) as TriggerSpec),
    id: row.id,
    anchorMs: row.anchor_ms,
    nextFireMs: row.next_fire_ms,
  };
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
