import type {
  FireOutcome,
  FireRecord,
  Job,
  JobDefinition,
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

/** The definition column: everything but the columns of its own (name, enabled) and the triggers. */
export function definitionJson(definition: JobDefinition): string {
  const { name: _name, enabled: _enabled, triggers: _triggers, ...rest } = definition;
  return JSON.stringify(rest);
}

export function jobFromRows(row: JobRow, triggers: TriggerRow[]): Job {
  const rest = JSON.parse(row.definition) as Omit<JobDefinition, 'name' | 'enabled' | 'triggers'>;
  return {
    id: row.id,
    name: row.name,
    enabled: row.enabled === 1,
    ...rest,
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
