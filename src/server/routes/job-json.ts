import type { Job, PendingRetry } from '../../core/jobs/job.js';
import { nextFireTimes } from '../../core/jobs/triggers.js';
import type { JobBody } from '../../protocol/job-schemas.js';
import type { JobLastRun } from '../../store/job-store.js';

const UPCOMING = 5;
const iso = (ms: number) => new Date(ms).toISOString();

export interface JobJsonContext {
  nowMs: number;
  lastRun: JobLastRun | undefined;
  activeRuns: number;
  /** The job store's waiting retries of this job (any order). */
  pendingRetries: readonly PendingRetry[];
}

/**
 * A job as the API shows it: no env or secretEnv values, no webhook secrets, with its next fire
 * times and the retries waiting for their delay.
 */
export function toJobJson(job: Job, { nowMs, lastRun, activeRuns, pendingRetries }: JobJsonContext): JobBody {
  const perTrigger = job.triggers.map((trigger) =>
    job.enabled ? nextFireTimes(trigger, nowMs, UPCOMING) : [],
  );
  const upcoming = [...new Set(perTrigger.flat())]
    .sort((a, b) => a - b)
    .slice(0, UPCOMING)
    .map(iso);
  return {
    id: job.id,
    name: job.name,
    enabled: job.enabled,
    command: job.command,
    argv: job.argv,
    pipeline: job.pipeline ?? null,
    cwd: job.cwd,
    ...(job.project !== undefined ? { project: job.project } : {}),
    envNames: Object.keys(job.env),
    secretEnvNames: Object.keys(job.secretEnv ?? {}),
    tags: job.tags,
    timeoutSeconds: job.timeoutSeconds,
    limits: job.limits ?? null,
    triggers: job.triggers.map((trigger, i) => {
      const next = perTrigger[i]?.[0];
      const nextRunAt = next === undefined ? null : iso(next);
      switch (trigger.kind) {
        case 'cron':
          return {
            id: trigger.id,
            kind: trigger.kind,
            cron: trigger.cron,
            timezone: trigger.timezone,
            nextRunAt,
          };
        case 'interval':
          return { id: trigger.id, kind: trigger.kind, intervalSeconds: trigger.intervalSeconds, nextRunAt };
        case 'once':
          return { id: trigger.id, kind: trigger.kind, at: trigger.at, nextRunAt };
      }
    }),
    retry: job.retry,
    overlap: job.overlap,
    maxConcurrentRuns: job.maxConcurrentRuns,
    missedFire: job.missedFire,
    lateAfterSeconds: job.lateAfterSeconds,
    lateByP95: job.lateByP95,
    runsOn: job.runsOn,
    retryOnLost: job.retryOnLost,
    retention: job.retention ?? null,
    environment: job.environment ?? null,
    backup: job.backup ?? null,
    webhooks: job.webhooks.map(({ secret, ...hook }) => ({ ...hook, signed: secret !== null })),
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    nextRunAt: upcoming[0] ?? null,
    upcoming,
    lastRun: lastRun ?? null,
    activeRuns,
    pendingRetries: [...pendingRetries]
      .sort((a, b) => a.dueMs - b.dueMs)
      .map((retry) => ({ retryOfId: retry.failedExecutionId, attempt: retry.attempt, at: iso(retry.dueMs) })),
  };
}
