import type { Job, RunningLate, WebhookEvent } from '../core/jobs/job.js';
import type { ExecutionDetail } from '../core/model.js';
import type { PipelineRun } from '../core/pipelines/pipeline-run.js';

/** The JSON body of a webhook call (docs/JOBS.md). */
export interface WebhookPayload {
  event: WebhookEvent;
  deliveryId: string;
  job: { id: string; name: string };
  /** The run's last execution; null for a pipeline job (see `pipelineRun`). */
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
  } | null;
  /** A pipeline job's run: its last pipeline run and each node's status; null for a command job. */
  pipelineRun: WebhookPipelineRun | null;
  /** The first failed step, when one failed. */
  failedStep: { id: number; name: string; error: string | null } | null;
  /** The last lines of the log, as stored (secrets already masked by the interpreter). */
  logTail: string[];
  /** For `running-late`: which threshold passed (a fixed one, or a step's 95th percentile); else null. */
  late: RunningLate | null;
}

interface WebhookPipelineRun {
  id: string;
  name: string;
  status: string;
  /** The job's attempt: 1, or each retry (a re-run of the failed nodes) one more. */
  attempt: number | null;
  retryOfId: string | null;
  scheduledAt: string | null;
  startedAt: string | null;
  endedAt: string | null;
  url: string;
  nodes: { name: string; status: string; reason: string | null; executionId: string | null }[];
}

/** The body for a pipeline job's run: no execution, log tail or failed step (each node has its own). */
export function buildPipelineWebhookPayload(
  event: WebhookEvent,
  deliveryId: string,
  job: Pick<Job, 'id' | 'name'>,
  run: PipelineRun,
  status: string,
): WebhookPayload {
  return {
    event,
    deliveryId,
    job: { id: job.id, name: job.name },
    execution: null,
    pipelineRun: {
      id: run.id,
      name: run.name,
      // The job's verdict: `timed_out` when its timeout cancelled the run.
      status,
      attempt: run.job?.attempt ?? null,
      retryOfId: run.job?.retryOfId ?? null,
      scheduledAt: run.job?.scheduledAt ?? null,
      startedAt: run.startedAt,
      endedAt: run.endedAt,
      url: `/api/pipelines/runs/${run.id}`,
      nodes: run.nodes.map((node) => ({
        name: node.name,
        status: node.status,
        reason: node.reason ?? null,
        executionId: node.attempts.at(-1)?.executionId ?? null,
      })),
    },
    failedStep: null,
    logTail: [],
    late: null,
  };
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
    pipelineRun: null,
    failedStep: failed ? { id: failed.id, name: failed.name, error: failed.error } : null,
    logTail,
    late,
  };
}
