import { randomUUID } from 'node:crypto';
import type { StepflowEvent } from '../core/events.js';
import type { Job, RunningLate, Webhook, WebhookEvent } from '../core/jobs/job.js';
import type { JobStore } from '../store/job-store.js';
import type { PipelineRunStore } from '../store/pipeline-run-store.js';
import type { ExecutionStore } from '../store/store.js';
import { buildPipelineWebhookPayload, buildWebhookPayload } from './webhook-payload.js';
import { SIGNATURE_HEADER, signWebhookBody } from './webhook-signature.js';

export interface Notifier {
  /**
   * A subscriber of the event stream: a job run that ended (`success`, `recovery`, `failure`) or
   * is running late calls the job's webhooks that listen to it, in the background: never waits,
   * never throws.
   */
  handle(event: StepflowEvent): void;
  /** Stops retrying, aborts requests in flight and waits for their records. */
  close(): Promise<void>;
}

interface NotifyDetails {
  late?: RunningLate;
  /** A pipeline job's run: the id is a pipeline run's, and this the job's verdict on it. */
  pipelineRun?: { status: string };
}

export interface NotifierOptions {
  jobs: JobStore;
  store: ExecutionStore;
  /** Where a pipeline job's runs are read from (docs/JOBS.md, "Pipeline jobs"). */
  pipelineRuns?: Pick<PipelineRunStore, 'getPipelineRun'>;
  /** Commits pending log lines before the tail is read (the store lags the event bus ~100 ms). */
  flush?: () => Promise<void>;
  onError?: (error: unknown) => void;
  /** The HMAC key of a webhook secret as stored (sealed: docs/SECRETS.md); as given when absent. */
  openSecret?: (secret: string) => string;
  requestTimeoutMs?: number;
  tailLines?: number;
}

const MAX_BACKOFF_MS = 60_000;

/** Webhook deliveries: JSON POSTs, signed when the hook has a secret, retried with backoff, logged. */
export function createNotifier({
  jobs,
  store,
  pipelineRuns,
  flush = async () => {},
  onError = (error) => console.error('stepflow: webhook delivery failed to record:', error),
  openSecret = (secret) => secret,
  requestTimeoutMs = 10_000,
  tailLines = 20,
}: NotifierOptions): Notifier {
  const stop = new AbortController();
  const inFlight = new Set<Promise<void>>();

  const track = (work: Promise<void>): void => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };

  const wait = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (stop.signal.aborted) return resolve();
      const timer = setTimeout(resolve, ms);
      stop.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });

  const deliver = async (
    job: Job,
    hook: Webhook,
    event: WebhookEvent,
    executionId: string,
    details: NotifyDetails,
  ): Promise<void> => {
    const deliveryId = randomUUID();
    const payload = details.pipelineRun
      ? await pipelinePayload(event, deliveryId, job, executionId, details.pipelineRun.status)
      : await executionPayload(event, deliveryId, job, executionId, details);
    if (payload === undefined) return;
    const body = JSON.stringify(payload);
    // Opened once per delivery, and only here: the key never leaves this function.
    const signingKey = hook.secret ? openSecret(hook.secret) : null;
    for (let attempt = 1; attempt <= hook.maxAttempts && !stop.signal.aborted; attempt++) {
      const started = Date.now();
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': 'StepFlow-Webhook',
        'x-stepflow-event': event,
        'x-stepflow-delivery': deliveryId,
      };
      if (signingKey) headers[SIGNATURE_HEADER] = signWebhookBody(signingKey, body);
      let statusCode: number | null = null;
      let error: string | null = null;
      try {
        const response = await fetch(hook.url, {
          method: 'POST',
          headers,
          body,
          redirect: 'manual',
          signal: AbortSignal.any([stop.signal, AbortSignal.timeout(requestTimeoutMs)]),
        });
        statusCode = response.status;
        // Drain the body so the connection can be reused; its content is not ours to keep.
        await response.arrayBuffer().catch(() => undefined);
        if (!response.ok) error = `HTTP ${response.status}`;
      } catch (failure) {
        error = describe(failure);
      }
      const ok = error === null;
      await jobs
        .recordDelivery({
          jobId: job.id,
          deliveryId,
          url: hook.url,
          event,
          executionId,
          attempt,
          statusCode,
          ok,
          error,
          sentAt: new Date(started).toISOString(),
          durationMs: Date.now() - started,
        })
        // The job may have been deleted meanwhile (its deliveries go with it): nothing to record.
        .catch(onError);
      if (ok) return;
      if (attempt < hook.maxAttempts) {
        await wait(Math.min(hook.backoffSeconds * 1000 * 2 ** (attempt - 1), MAX_BACKOFF_MS));
      }
    }
  };

  const executionPayload = async (
    event: WebhookEvent,
    deliveryId: string,
    job: Job,
    executionId: string,
    details: NotifyDetails,
  ) => {
    await flush();
    const execution = await store.getExecution(executionId);
    if (execution === undefined) return undefined;
    const tail = await store.readLog(executionId, {
      after: Math.max(0, execution.lineCount - tailLines),
      limit: tailLines,
    });
    return buildWebhookPayload(
      event,
      deliveryId,
      job,
      execution,
      tail.lines.map((line) => line.text),
      details.late ?? null,
    );
  };

  const pipelinePayload = async (
    event: WebhookEvent,
    deliveryId: string,
    job: Job,
    runId: string,
    status: string,
  ) => {
    const run = await pipelineRuns?.getPipelineRun(runId);
    return run === undefined ? undefined : buildPipelineWebhookPayload(event, deliveryId, job, run, status);
  };

  /** Calls the hooks of the job (as it is now: paused or deleted jobs still get the run's end). */
  const notify = async (
    jobId: string,
    events: WebhookEvent[],
    executionId: string,
    details: NotifyDetails = {},
  ): Promise<void> => {
    const job = await jobs.getJob(jobId);
    if (job === undefined || stop.signal.aborted) return;
    for (const event of events) {
      for (const hook of job.webhooks) {
        if (!hook.events.includes(event)) continue;
        // A webhook is a side channel: whatever happens to it, the run is already recorded.
        track(deliver(job, hook, event, executionId, details).catch(onError));
      }
    }
  };

  return {
    handle(event) {
      if (stop.signal.aborted) return;
      if (event.type === 'late.warning') {
        track(notify(event.jobId, ['running-late'], event.executionId, { late: event.late }).catch(onError));
      } else if (event.type === 'job.run_finished') {
        const hooks = webhookEventsOf(event.status, event.recovered);
        const details = event.pipelineRun ? { pipelineRun: { status: event.status } } : {};
        if (hooks.length > 0) track(notify(event.jobId, hooks, event.executionId, details).catch(onError));
      }
    },
    async close() {
      stop.abort();
      await Promise.all([...inFlight]);
    },
  };
}

/** Which webhooks a run's end calls: cancelled or interrupted runs were stopped, not the script's outcome. */
function webhookEventsOf(status: string, recovered: boolean): WebhookEvent[] {
  if (status === 'succeeded') return recovered ? ['success', 'recovery'] : ['success'];
  if (status === 'failed' || status === 'timed_out') return ['failure'];
  return [];
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return 'no answer in time';
    if (error.name === 'AbortError') return 'stopped: StepFlow is shutting down';
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? error.message;
  }
  return String(error);
}
