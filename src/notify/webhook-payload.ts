import type { Job, RunningLate, WebhookEvent } from '../core/jobs/job.js';
import type { ExecutionDetail } from '../core/model.js';

/** The JSON body of a webhook call (docs/JOBS.md). */
export interface WebhookPayload {
  event: WebhookEvent;
  deliveryId: string;
  job: { id: string; name: string };
  execution: {
    id: string;
    status: string;
    exitCode: number | null;
    signal: string | null;
    error: string | null;
    attempt: number | null;
    retryOfId: string | null;
    scheduledAt: string | null;
    startedAt: string | null;
    endedAt: string | null;
    durationMs: number | null;
    url: string;
  };
  /** The first failed step, when one failed. */
  failedStep: { id: number; name: string; error: string | null } | null;
  /** The last lines of the log, as stored (secrets already masked by the interpreter). */
  logTail: string[];
  /** For `running-late`: which threshold passed (a fixed one, or a step's 95th percentile); else null. */
  late: RunningLate | null;
}

export function buildWebhookPayload(
  event: WebhookEvent,
  deliveryId: string,
  job: Pick<Job, 'id' | 'name'>,
  execution: ExecutionDetail,
  logTail: string[],
  late: RunningLate | null = null,
): WebhookPayload {
  const failed = execution.steps.find((step) => step.status === 'failed');
  return {
    event,
    deliveryId,
    job: { id: job.id, name: job.name },
    execution: {
      id: execution.id,
      status: execution.status,
      exitCode: execution.exitCode,
      signal: execution.signal,
      error: execution.error,
      attempt: execution.attempt,
      retryOfId: execution.retryOfId,
      scheduledAt: execution.scheduledAt,
      startedAt: execution.startedAt,
      endedAt: execution.endedAt,
      durationMs: execution.durationMs,
      url: `/api/executions/${execution.id}`,
    },
    failedStep: failed ? { id: failed.id, name: failed.name, error: failed.error } : null,
    logTail,
    late,
  };
}
