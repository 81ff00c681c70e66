import { RunLimitsSchema } from './limit-schemas.js';
import { JobRetentionInputSchema, JobRetentionSchema } from './retention-schemas.js';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { FIRE_OUTCOMES, MISSED_FIRE_POLICIES, OVERLAP_POLICIES, WEBHOOK_EVENTS } from '../core/jobs/job.js';
import { EXECUTION_STATUSES } from '../core/statuses.js';
import {
  MAX_CONCURRENT_RUNS,
  MAX_EXIT_CODE,
  MAX_INTERVAL_SECONDS,
  MAX_JOB_NAME_LENGTH,
  MAX_RETRY_ATTEMPTS,
  MAX_RETRY_BACKOFF_FACTOR,
  MAX_RETRY_DELAY_SECONDS,
  MAX_SECRET_LENGTH,
  MAX_SHORT_TEXT_LENGTH,
  MAX_TIMEOUT_SECONDS,
  MAX_TRIGGERS,
  MAX_URL_LENGTH,
  MAX_WEBHOOK_ATTEMPTS,
  MAX_WEBHOOK_BACKOFF_SECONDS,
  MAX_WEBHOOKS,
  MIN_INTERVAL_SECONDS,
  MIN_WEBHOOK_BACKOFF_SECONDS,
} from '../core/input-limits.js';
import {
  ArgvInputSchema,
  CommandInputSchema,
  CwdInputSchema,
  EnvInputSchema,
  SecretEnvInputSchema,
  TagsInputSchema,
  TimeoutInputSchema,
  UnreadableSchema,
} from './api-schemas.js';

/**
 * TypeBox schemas of the jobs API (`/api/jobs…`, `/api/schedules/preview`). Request bodies use
 * plain strings for the policy names: the job validator (src/core/jobs/validate-job.ts) checks them
 * and names the field, with the list of allowed values, in one place.
 */

const StringEnum = <const T extends readonly string[]>(values: T, options: { description?: string } = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const StringMap = Type.Record(Type.String(), Type.String());
const IsoTime = Type.String({ description: 'ISO 8601 timestamp' });

const CronSchema = Type.String({
  maxLength: MAX_SHORT_TEXT_LENGTH,
  description: '5 fields (minute first) or 6 (second first)',
});
const TimeZoneSchema = Type.String({
  maxLength: MAX_SHORT_TEXT_LENGTH,
  description: 'IANA time zone of `cron`; default UTC',
});
const IntervalSchema = Type.Number({
  minimum: MIN_INTERVAL_SECONDS,
  maximum: MAX_INTERVAL_SECONDS,
  description: `Seconds, from ${MIN_INTERVAL_SECONDS} to ${MAX_INTERVAL_SECONDS} (366 days)`,
});
const AtSchema = Type.String({
  maxLength: MAX_SHORT_TEXT_LENGTH,
  description: 'One-off: ISO 8601 date-time with a zone, in the future',
});

const TriggerInputSchema = Type.Object(
  {
    cron: Type.Optional(CronSchema),
    timezone: Type.Optional(TimeZoneSchema),
    intervalSeconds: Type.Optional(IntervalSchema),
    at: Type.Optional(AtSchema),
  },
  {
    additionalProperties: false,
    description: 'Exactly one of `cron` (+ `timezone`), `intervalSeconds`, `at`',
  },
);

const RetryInputSchema = Type.Object(
  {
    maxAttempts: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_RETRY_ATTEMPTS,
        description: 'Attempts in all, the first included; default 1 (no retry)',
      }),
    ),
    delaySeconds: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: MAX_RETRY_DELAY_SECONDS,
        description: 'Before the first retry, seconds; default 10',
      }),
    ),
    backoffFactor: Type.Optional(
      Type.Number({
        minimum: 1,
        maximum: MAX_RETRY_BACKOFF_FACTOR,
        description: 'Each retry waits this many times longer; default 2',
      }),
    ),
    maxDelaySeconds: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: MAX_RETRY_DELAY_SECONDS,
        description: 'Cap of the delay, seconds (at least delaySeconds); default 600',
      }),
    ),
    onExitCodes: Type.Optional(
      Nullable(
        Type.Array(Type.Integer({ minimum: 0, maximum: MAX_EXIT_CODE }), {
          maxItems: MAX_EXIT_CODE + 1,
          description: 'Retry only these exit codes',
        }),
      ),
    ),
  },
  { additionalProperties: false },
);

const WebhookInputSchema = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: MAX_URL_LENGTH, description: 'An http(s) URL' }),
    events: Type.Optional(
      Type.Array(Type.String({ maxLength: MAX_SHORT_TEXT_LENGTH }), {
        maxItems: 10,
        description: `Any of ${WEBHOOK_EVENTS.join(', ')}; default failure, recovery`,
      }),
    ),
    secret: Type.Optional(
      Nullable(
        Type.String({
          maxLength: MAX_SECRET_LENGTH,
          description: 'Key of the X-StepFlow-Signature HMAC-SHA256',
        }),
      ),
    ),
    maxAttempts: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_WEBHOOK_ATTEMPTS,
        description: 'Delivery attempts in all; default 5',
      }),
    ),
    backoffSeconds: Type.Optional(
      Type.Number({
        minimum: MIN_WEBHOOK_BACKOFF_SECONDS,
        maximum: MAX_WEBHOOK_BACKOFF_SECONDS,
        description: 'Before the 2nd attempt, seconds, doubling; default 2',
      }),
    ),
  },
  { additionalProperties: false },
);

const jobFields = {
  project: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 64,
      description:
        'Runs start in a copy of this project’s current version at each fire (docs/WORKSPACE.md); `cwd` is then a relative folder inside it. With runsOn, the worker fetches that version. Not with backup',
    }),
  ),
  command: Type.Optional(CommandInputSchema),
  argv: Type.Optional(ArgvInputSchema),
  pipeline: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 256,
      description:
        'A pipeline job: each fire starts a run of the saved pipeline of this name, read as it is then (docs/JOBS.md, "Pipeline jobs"). Instead of `command`/`argv`; not with secretEnv, tags, limits, environment, project, runsOn, backup, retryOnLost, lateAfterSeconds, lateByP95, retention or retry.onExitCodes. A job keeps its kind',
    }),
  ),
  cwd: Type.Optional(CwdInputSchema),
  env: Type.Optional(EnvInputSchema),
  secretEnv: Type.Optional(SecretEnvInputSchema),
  tags: Type.Optional(TagsInputSchema),
  timeout: Type.Optional(TimeoutInputSchema),
  limits: Type.Optional(RunLimitsSchema),
  enabled: Type.Optional(Type.Boolean()),
  retry: Type.Optional(RetryInputSchema),
  overlap: Type.Optional(
    Type.String({
      maxLength: MAX_SHORT_TEXT_LENGTH,
      description: `${OVERLAP_POLICIES.join(', ')}; default skip`,
    }),
  ),
  maxConcurrentRuns: Type.Optional(
    Nullable(
      Type.Integer({
        minimum: 1,
        maximum: MAX_CONCURRENT_RUNS,
        description: 'Active runs before the overlap policy applies; default 1 (parallel: none)',
      }),
    ),
  ),
  missedFire: Type.Optional(
    Type.String({
      maxLength: MAX_SHORT_TEXT_LENGTH,
      description: `${MISSED_FIRE_POLICIES.join(', ')}; default skip`,
    }),
  ),
  lateAfterSeconds: Type.Optional(
    Nullable(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: MAX_TIMEOUT_SECONDS,
        description: `Warn (never kill) after this many seconds (up to ${MAX_TIMEOUT_SECONDS}, 30 days)`,
      }),
    ),
  ),
  lateByP95: Type.Optional(
    Type.Boolean({
      description:
        "Also warn when a running step passes the 95th percentile of its durations over the job's recent successful runs; default false",
    }),
  ),
  webhooks: Type.Optional(Type.Array(WebhookInputSchema, { maxItems: MAX_WEBHOOKS })),
  runsOn: Type.Optional(
    Type.Array(Type.String({ maxLength: 63 }), {
      maxItems: 32,
      description:
        'Labels a `stepflow worker` must all have to run its runs (docs/WORKERS.md); the server never runs them itself, and `cwd` (absolute) is a path on the worker. Empty: the server runs them (`--no-runner`: any worker); default empty',
    }),
  ),
  retryOnLost: Type.Optional(
    Type.Boolean({
      description:
        'A run that ends `lost` (its worker went silent) starts again once, at once, not counted in `retry.maxAttempts`; a second `lost` is final. Default false',
    }),
  ),
  retention: Type.Optional(JobRetentionInputSchema),
  environment: Type.Optional(
    Nullable(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description:
          'A saved Python environment its runs get (docs/WORKSPACE-ENVIRONMENTS.md); null: none (an update clears it)',
      }),
    ),
  ),
  backup: Type.Optional(
    Type.Object(
      {
        dir: Type.String({
          maxLength: 4096,
          description: "An absolute folder on the server's host where the backups go",
        }),
        keep: Type.Integer({
          minimum: 1,
          maximum: 1000,
          description: 'How many of its backups the folder keeps',
        }),
      },
      {
        additionalProperties: false,
        description:
          "A backup job (docs/OPERATIONS.md): each run is `stepflow backup --to DIR --keep N` on the server's data dir; give no `command`/`argv` (an update that gives one makes it a command job again). SQLite only",
      },
    ),
  ),
};

const JobNameSchema = Type.String({
  minLength: 1,
  maxLength: MAX_JOB_NAME_LENGTH,
  description: 'Letters, digits, spaces and ._:@/-, starting with a letter or digit; unique',
});
const TriggersSchema = (description?: string) =>
  Type.Array(TriggerInputSchema, { maxItems: MAX_TRIGGERS, ...(description ? { description } : {}) });

export const CreateJobBodySchema = Type.Object(
  {
    name: JobNameSchema,
    triggers: TriggersSchema('Empty: the job runs only when asked'),
    ...jobFields,
  },
  { additionalProperties: false, description: 'Exactly one of `command`, `argv` and `pipeline`' },
);

/** Fields given replace the job's; absent ones stay. `command` replaces `argv` and back. */
export const UpdateJobBodySchema = Type.Object(
  {
    name: Type.Optional(JobNameSchema),
    triggers: Type.Optional(TriggersSchema()),
    ...jobFields,
  },
  { additionalProperties: false },
);

const TriggerSchema = Type.Object({
  id: Type.String(),
  kind: StringEnum(['cron', 'interval', 'once'] as const),
  cron: Type.Optional(Type.String()),
  timezone: Type.Optional(Type.String()),
  intervalSeconds: Type.Optional(Type.Number()),
  at: Type.Optional(IsoTime),
  nextRunAt: Nullable(IsoTime),
});

const LastRunSchema = Type.Object({
  executionId: Type.String(),
  status: StringEnum(EXECUTION_STATUSES),
  createdAt: IsoTime,
});

const PendingRetrySchema = Type.Object({
  retryOfId: Type.String({ description: 'The failed attempt it retries' }),
  attempt: Type.Integer({ description: 'The attempt number the retry gets' }),
  at: Type.String({
    description: 'When it starts (ISO 8601; a restarted server runs an overdue one at once)',
  }),
});

export const JobSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  enabled: Type.Boolean({ description: 'false while paused' }),
  command: Nullable(Type.String()),
  argv: Nullable(Type.Array(Type.String())),
  pipeline: Nullable(
    Type.String({ description: 'A pipeline job: the saved pipeline its fires run; null: a command job' }),
  ),
  cwd: Type.String(),
  project: Type.Optional(
    Type.String({
      description: 'The project its runs start in; cwd is then a folder inside it ("": its root)',
    }),
  ),
  envNames: Type.Array(Type.String(), { description: 'Names of the env variables set (values stay inside)' }),
  secretEnvNames: Type.Array(Type.String(), {
    description: 'Names of the secretEnv variables set (values are never returned)',
  }),
  tags: StringMap,
  timeoutSeconds: Nullable(Type.Number()),
  limits: Nullable(RunLimitsSchema),
  triggers: Type.Array(TriggerSchema),
  retry: Type.Object({
    maxAttempts: Type.Integer(),
    delaySeconds: Type.Number(),
    backoffFactor: Type.Number(),
    maxDelaySeconds: Type.Number(),
    onExitCodes: Nullable(Type.Array(Type.Integer())),
  }),
  overlap: StringEnum(OVERLAP_POLICIES),
  maxConcurrentRuns: Nullable(Type.Integer()),
  missedFire: StringEnum(MISSED_FIRE_POLICIES),
  lateAfterSeconds: Nullable(Type.Number()),
  lateByP95: Type.Boolean({ description: 'Warn when a step passes its recent 95th percentile' }),
  runsOn: Type.Array(Type.String(), {
    description: 'Labels a worker must all have to run its runs (docs/WORKERS.md); empty: none',
  }),
  retryOnLost: Type.Boolean({ description: 'A lost run starts again once (docs/JOBS.md)' }),
  retention: JobRetentionSchema,
  environment: Nullable(Type.String({ description: 'The Python environment its runs get; null: none' })),
  backup: Nullable(
    Type.Object(
      { dir: Type.String(), keep: Type.Integer() },
      { description: 'A backup job: its folder and how many backups it keeps (docs/OPERATIONS.md)' },
    ),
  ),
  webhooks: Type.Array(
    Type.Object({
      url: Type.String(),
      events: Type.Array(StringEnum(WEBHOOK_EVENTS)),
      signed: Type.Boolean({ description: 'Has a secret (never sent back)' }),
      maxAttempts: Type.Integer(),
      backoffSeconds: Type.Number(),
    }),
  ),
  createdAt: IsoTime,
  updatedAt: IsoTime,
  nextRunAt: Nullable(IsoTime),
  upcoming: Type.Array(IsoTime, {
    description: 'The next five fire times over all triggers (none while paused)',
  }),
  lastRun: Nullable(LastRunSchema),
  activeRuns: Type.Integer({ description: 'Runs in progress in this server (retries waiting included)' }),
  pendingRetries: Type.Array(PendingRetrySchema, {
    description:
      'Retries waiting for their delay, the earliest first (the `retry.planned` live change adds one, `retry.started` removes it; pausing drops them)',
  }),
});

const RunSummarySchema = Type.Object({
  executionId: Type.String(),
  status: StringEnum(EXECUTION_STATUSES),
  createdAt: IsoTime,
  startedAt: Nullable(IsoTime),
  durationMs: Nullable(Type.Number({ description: 'null until the run ends' })),
});

export const JobListSchema = Type.Object({
  items: Type.Array(
    Type.Composite([
      JobSchema,
      Type.Object({
        recentRuns: Type.Optional(
          Type.Array(RunSummarySchema, {
            description: 'With ?recentRuns=N: the newest N runs, newest first',
          }),
        ),
      }),
    ]),
  ),
  problems: Type.Optional(
    Type.Array(UnreadableSchema, {
      description:
        'Stored jobs that cannot be read, left out of `items` (absent when none): delete them with DELETE /api/jobs/{id}',
    }),
  ),
});

export const JobListQuerySchema = Type.Object(
  {
    recentRuns: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 100,
        description: "Also return each job's newest N runs (any attempt), for run-history sparklines",
      }),
    ),
  },
  { additionalProperties: false },
);

export const JobParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });

export const HistoryQuerySchema = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) },
  { additionalProperties: false },
);

const FireRecordSchema = Type.Object({
  id: Type.Integer(),
  jobId: Type.String(),
  triggerId: Nullable(Type.String({ description: 'null: a manual run' })),
  fireTime: IsoTime,
  outcome: StringEnum(FIRE_OUTCOMES),
  reason: Nullable(Type.String()),
  executionId: Nullable(Type.String({ description: 'The first attempt' })),
  pipelineRunId: Nullable(
    Type.String({ description: "A pipeline job's fire: the pipeline run it started (its first attempt)" }),
  ),
  count: Type.Integer({ description: 'Fire times this record stands for (missed ones are summarised)' }),
  createdAt: IsoTime,
});

export const FireListSchema = Type.Object({ items: Type.Array(FireRecordSchema) });

const DeliverySchema = Type.Object({
  id: Type.Integer(),
  jobId: Type.String(),
  deliveryId: Type.String(),
  url: Type.String(),
  event: StringEnum(WEBHOOK_EVENTS),
  executionId: Nullable(Type.String()),
  pipelineRunId: Nullable(
    Type.String({ description: "A pipeline job's delivery: the pipeline run it is about" }),
  ),
  attempt: Type.Integer(),
  statusCode: Nullable(Type.Integer()),
  ok: Type.Boolean(),
  error: Nullable(Type.String()),
  sentAt: IsoTime,
  durationMs: Type.Integer(),
});

export const DeliveryListSchema = Type.Object({ items: Type.Array(DeliverySchema) });

export const SchedulePreviewQuerySchema = Type.Object(
  {
    cron: Type.Optional(CronSchema),
    timezone: Type.Optional(TimeZoneSchema),
    intervalSeconds: Type.Optional(IntervalSchema),
    at: Type.Optional(AtSchema),
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 5 })),
  },
  { additionalProperties: false },
);

export const SchedulePreviewSchema = Type.Object({
  valid: Type.Boolean(),
  error: Nullable(
    Type.Object({ code: Type.String(), message: Type.String(), field: Nullable(Type.String()) }),
  ),
  nextRuns: Type.Array(IsoTime),
});

export type CreateJobBody = Static<typeof CreateJobBodySchema>;
export type UpdateJobBody = Static<typeof UpdateJobBodySchema>;
export type JobBody = Static<typeof JobSchema>;
/** @public */
export type JobListBody = Static<typeof JobListSchema>;
/** @public */
export type FireListBody = Static<typeof FireListSchema>;
/** @public */
export type DeliveryListBody = Static<typeof DeliveryListSchema>;
export type SchedulePreviewBody = Static<typeof SchedulePreviewSchema>;
