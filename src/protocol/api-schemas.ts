import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { Annotation, Execution, ExecutionSummary, ResourceSample, Step } from '../core/model.js';
import { STEP_SOURCES } from '../core/model.js';
import {
  ANNOTATION_LEVELS,
  ARTIFACT_STATUSES,
  EXECUTION_STATUSES,
  LOG_STREAMS,
  STEP_STATUSES,
} from '../core/statuses.js';
import type { ExecutionStatus } from '../core/statuses.js';
import {
  MAX_ARG_LENGTH,
  MAX_ARGV_ITEMS,
  MAX_COMMAND_LENGTH,
  MAX_COUNT,
  MAX_ENV_NAME_LENGTH,
  MAX_ENV_VARIABLES,
  MAX_EXECUTION_NAME_LENGTH,
  MAX_INT32,
  MAX_PATH_LENGTH,
  MAX_QUERY_TEXT_LENGTH,
  MAX_SHORT_TEXT_LENGTH,
  MAX_TAG_KEY_LENGTH,
  MAX_TAG_VALUE_LENGTH,
  MAX_TAGS,
  MAX_TIMEOUT_SECONDS,
} from '../core/input-limits.js';
import type { ArtifactJson, ExecutionDetailJson } from './execution-json.js';
import { LimitHitSchema, RunLimitsSchema } from './limit-schemas.js';

/**
 * TypeBox schemas of the HTTP API's executions, logs and artifacts: the server validates and
 * serializes with them, `/docs` is generated from them, and the web UI imports their `Static`
 * types (types only). Each entity schema is checked against the domain model at compile time
 * below, so a field added to the model cannot silently vanish from responses.
 */

/** A string enum as plain JSON Schema (`enum`), which reads better in OpenAPI than a union of consts. */
const StringEnum = <const T extends readonly string[]>(values: T, options: { description?: string } = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const StringMap = Type.Record(Type.String(), Type.String());
const IsoTime = Type.String({ description: 'ISO 8601 timestamp' });

const ExecutionStatusSchema = StringEnum(EXECUTION_STATUSES);
const LogStreamSchema = StringEnum(LOG_STREAMS);

const ExecutionOwnerSchema = Type.Object({
  host: Type.String(),
  pid: Type.Integer(),
  startTime: Type.Number(),
});

const ResourcePeaksSchema = Type.Object({
  cpuPercentPeak: Type.Number(),
  memoryBytesPeak: Type.Number(),
  processCountPeak: Type.Integer(),
});

export const ExecutionSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  command: Type.String({ description: 'The shell string, or the argv joined with spaces' }),
  argv: Nullable(Type.Array(Type.String())),
  cwd: Type.String(),
  tags: StringMap,
  status: ExecutionStatusSchema,
  exitCode: Nullable(Type.Integer()),
  signal: Nullable(Type.String()),
  error: Nullable(Type.String()),
  createdAt: IsoTime,
  startedAt: Nullable(IsoTime),
  endedAt: Nullable(IsoTime),
  durationMs: Nullable(Type.Number()),
  timeoutSeconds: Nullable(Type.Number()),
  meta: StringMap,
  estimatedDurationSeconds: Nullable(
    Type.Number({
      description: 'From META:ESTIMATED_DURATION printed outside any step; drives the overall bar',
    }),
  ),
  lateAfterSeconds: Nullable(
    Type.Number({ description: 'Running late this many seconds after creation; null: never' }),
  ),
  owner: Nullable(ExecutionOwnerSchema),
  lineCount: Type.Integer(),
  resources: Nullable(ResourcePeaksSchema),
  jobId: Nullable(Type.String({ description: 'The job that started it; null for ad-hoc executions' })),
  attempt: Nullable(Type.Integer({ description: "1 for a job run's first try, 2… for retries" })),
  retryOfId: Nullable(Type.String({ description: 'The execution this attempt retries' })),
  scheduledAt: Nullable(IsoTime),
  rerunOf: Nullable(
    Type.String({
      description: 'The execution this one re-runs (its direct parent); null when not a re-run',
    }),
  ),
  resumeFrom: Nullable(
    Type.String({
      description: 'The step a re-run resumes from, given to its script as STEPFLOW_RESUME_FROM',
    }),
  ),
  hasSummary: Type.Boolean({
    description:
      'The script wrote to $STEPFLOW_STEP_SUMMARY (or $GITHUB_STEP_SUMMARY); the Markdown: GET /api/executions/{id}/summary',
  }),
  outputs: Type.Record(Type.String(), Type.String(), {
    description: 'Outputs set through $STEPFLOW_OUTPUT / $GITHUB_OUTPUT or ::set-output, masked',
  }),
  limits: Nullable(RunLimitsSchema),
  limitHits: Type.Array(LimitHitSchema, { description: 'The limits that triggered, in order' }),
  runsOn: Type.Optional(
    Type.Array(Type.String(), {
      description: 'Present when it is for workers: the labels a worker must all have (docs/WORKERS.md)',
    }),
  ),
  worker: Type.Optional(
    Type.Object(
      { name: Type.String(), attempt: Type.Integer({ minimum: 1 }) },
      { description: 'The worker that claimed it and the attempt of that claim' },
    ),
  ),
  waitingFor: Type.Optional(
    Type.String({
      description: 'Why a queued run for workers is not taken, e.g. "no live worker has label gpu"',
    }),
  ),
  pinned: Type.Optional(
    Type.Boolean({
      description: 'Present (true) when pinned: retention never expires it (docs/RETENTION.md)',
    }),
  ),
  logExpiredAt: Type.Optional(
    Type.String({
      description: 'When retention dropped its log text (ISO 8601); the record, steps and lineCount stay',
    }),
  ),
  createdBy: Type.Optional(
    Type.String({
      description:
        'Who started it: a user name, api-key, local, job:<name>, or the OS user of `stepflow run`; absent for older and remote runs',
    }),
  ),
  project: Type.Optional(
    Type.Object(
      { name: Type.String(), version: Type.Integer() },
      { description: 'The project and version it ran in (docs/WORKSPACE.md); absent outside a project' },
    ),
  ),
});

const StepSchema = Type.Object({
  id: Type.Integer(),
  parentId: Nullable(Type.Integer()),
  name: Type.String(),
  status: StringEnum(STEP_STATUSES),
  startedAt: IsoTime,
  endedAt: Nullable(IsoTime),
  durationMs: Nullable(Type.Number()),
  meta: StringMap,
  implicit: Type.Boolean(),
  source: StringEnum(STEP_SOURCES),
  error: Nullable(Type.String()),
  estimatedDurationSeconds: Nullable(Type.Number()),
  firstSeq: Type.Integer(),
  hasSummary: Type.Boolean({
    description: 'Something was appended to the step summary file while this step ran',
  }),
});

const ArtifactSchema = Type.Object({
  id: Type.Integer(),
  stepId: Nullable(Type.Integer()),
  path: Type.String(),
  description: Type.String(),
  status: StringEnum(ARTIFACT_STATUSES),
  error: Nullable(Type.String()),
  kind: Nullable(StringEnum(['file', 'directory'] as const)),
  size: Nullable(Type.Number()),
  sha256: Nullable(Type.String()),
  mediaType: Nullable(Type.String()),
  createdAt: IsoTime,
});

const AnnotationSchema = Type.Object({
  id: Type.Integer(),
  stepId: Nullable(Type.Integer()),
  seq: Type.Integer(),
  level: StringEnum(ANNOTATION_LEVELS),
  message: Type.String(),
  title: Nullable(Type.String()),
  file: Nullable(Type.String()),
  line: Nullable(Type.Integer()),
  col: Nullable(Type.Integer()),
  endLine: Nullable(Type.Integer()),
  endCol: Nullable(Type.Integer()),
});

/** `GET /api/executions/:id`: the same shape as `stepflow show --json`. */
export const ExecutionDetailSchema = Type.Composite([
  ExecutionSchema,
  Type.Object({
    steps: Type.Array(StepSchema),
    artifacts: Type.Array(ArtifactSchema),
    annotations: Type.Array(AnnotationSchema),
  }),
]);

/**
 * A stored record this version cannot read (saved by an older version with a value now out of
 * range, or damaged): left out of a list and named, so it can be deleted by id.
 */
export const UnreadableSchema = Type.Object({
  id: Type.String(),
  name: Nullable(Type.String()),
  error: Type.String({ description: 'What is wrong with it' }),
});

export const ExecutionPageSchema = Type.Object({
  items: Type.Array(ExecutionSchema),
  nextCursor: Nullable(Type.String({ description: 'Pass as `cursor` for the next (older) page' })),
  problems: Type.Optional(
    Type.Array(UnreadableSchema, {
      description:
        'Rows of this page that cannot be read (damaged), left out of `items` (absent when none): delete them with DELETE /api/executions/{id}',
    }),
  ),
});

const ResourceSampleSchema = Type.Object({
  ts: Type.Number({ description: 'Epoch milliseconds' }),
  cpuPercent: Type.Number(),
  memoryBytes: Type.Number(),
  processCount: Type.Integer(),
});

export const ResourceSeriesSchema = Type.Object({ samples: Type.Array(ResourceSampleSchema) });

const LogLineSchema = Type.Object({
  seq: Type.Integer({
    description: '1-based, in order; gapless but where a log limit dropped lines (docs/LIMITS.md)',
  }),
  ts: Type.Number({ description: 'Epoch milliseconds' }),
  stream: LogStreamSchema,
  stepId: Nullable(Type.Integer()),
  text: Type.String(),
  flags: Type.Optional(
    Type.Integer({ description: 'Bit flags: 1 marker line, 2 continued in the next seq; absent when 0' }),
  ),
});

export const LogPageSchema = Type.Object({
  lines: Type.Array(LogLineSchema),
  nextAfter: Type.Integer({ description: 'Pass as `after` for the next page' }),
  hasMore: Type.Boolean(),
  expiredAt: Type.Optional(
    Type.String({
      description:
        'Present when retention dropped this log (ISO 8601): no line will come, whatever lineCount says',
    }),
  ),
});

export const ErrorBodySchema = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.Unknown()),
  }),
});

// Requests. Bodies and query strings reject unknown fields, so a typo is a 400 naming it. Every
// number and string has a range (src/core/input-limits.ts), so it shows in the OpenAPI document.

/** A whole number that counts something (a seq, a page position): 0 … 2^53-1. */
const Count = (options: { minimum?: number; description?: string } = {}) =>
  Type.Integer({ minimum: 0, maximum: MAX_COUNT, ...options });
/** A step or artifact id. */
const ItemId = (description: string) => Type.Integer({ minimum: 1, maximum: MAX_INT32, description });

/** Tags as a map, or as the CLI's `--tag` list (`key=value`, or a bare `key` with an empty value). */
export const TagsInputSchema = Type.Union(
  [
    Type.Record(Type.String(), Type.String({ maxLength: MAX_TAG_VALUE_LENGTH }), { maxProperties: MAX_TAGS }),
    Type.Array(Type.String({ maxLength: MAX_TAG_KEY_LENGTH + 1 + MAX_TAG_VALUE_LENGTH }), {
      maxItems: MAX_TAGS,
    }),
  ],
  {
    description: `a map of strings, or a list of "key=value" or "key" strings; at most ${MAX_TAGS} tags, keys of 1-${MAX_TAG_KEY_LENGTH} and values of up to ${MAX_TAG_VALUE_LENGTH} characters, no NUL`,
  },
);
/** Variables as a map, or as a list of `NAME=value` (what a form's lines or `docker run -e` give). */
export const EnvInputSchema = Type.Union(
  [
    Type.Record(Type.String(), Type.String({ maxLength: MAX_ARG_LENGTH }), {
      maxProperties: MAX_ENV_VARIABLES,
    }),
    Type.Array(Type.String({ maxLength: MAX_ENV_NAME_LENGTH + 1 + MAX_ARG_LENGTH }), {
      maxItems: MAX_ENV_VARIABLES,
    }),
  ],
  {
    description: `a map of strings, or a list of "NAME=value" strings (the value is everything after the first =); at most ${MAX_ENV_VARIABLES} variables, names of 1-${MAX_ENV_NAME_LENGTH} characters without "=", values of up to ${MAX_ARG_LENGTH}, no NUL`,
  },
);

/** The run timeout of an execution or a job, as the API takes it. */
export const TimeoutInputSchema = Type.Number({
  exclusiveMinimum: 0,
  maximum: MAX_TIMEOUT_SECONDS,
  description: `Seconds (up to ${MAX_TIMEOUT_SECONDS}, 30 days); the whole process tree is stopped`,
});
export const CommandInputSchema = Type.String({
  minLength: 1,
  maxLength: MAX_COMMAND_LENGTH,
  description: `Run with /bin/sh -c; up to ${MAX_COMMAND_LENGTH} characters, no NUL`,
});
export const ArgvInputSchema = Type.Array(Type.String({ maxLength: MAX_ARG_LENGTH }), {
  minItems: 1,
  maxItems: MAX_ARGV_ITEMS,
  description: `Run without a shell; argv[0] is the program. Up to ${MAX_ARGV_ITEMS} items of up to ${MAX_ARG_LENGTH} characters, no NUL`,
});
export const CwdInputSchema = Type.String({
  minLength: 1,
  maxLength: MAX_PATH_LENGTH,
  description: "An existing directory; default: the server's working directory",
});

/** Like env; the values are masked in the log and never sent back. */
export const SecretEnvInputSchema = Type.Union(
  [
    Type.Record(Type.String(), Type.String({ maxLength: MAX_ARG_LENGTH }), {
      maxProperties: MAX_ENV_VARIABLES,
    }),
    Type.Array(Type.String({ maxLength: MAX_ENV_NAME_LENGTH + 1 + MAX_ARG_LENGTH }), {
      maxItems: MAX_ENV_VARIABLES,
    }),
  ],
  {
    description: `Variables set like env whose values are masked (***) in the log, step names, meta and annotations, and never returned by the API; a map, or a list of "NAME=value"; the same limits as env`,
  },
);

export const CreateExecutionBodySchema = Type.Object(
  {
    command: Type.Optional(CommandInputSchema),
    argv: Type.Optional(ArgvInputSchema),
    name: Type.Optional(
      Type.String({ minLength: 1, maxLength: MAX_EXECUTION_NAME_LENGTH, description: 'No NUL' }),
    ),
    tags: Type.Optional(TagsInputSchema),
    cwd: Type.Optional(CwdInputSchema),
    env: Type.Optional(EnvInputSchema),
    secretEnv: Type.Optional(SecretEnvInputSchema),
    timeout: Type.Optional(TimeoutInputSchema),
    lateAfterSeconds: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: MAX_TIMEOUT_SECONDS,
        description: `Call the run late (a badge on the dashboard; it never stops it) this many seconds after it was submitted (up to ${MAX_TIMEOUT_SECONDS}, 30 days)`,
      }),
    ),
    limits: Type.Optional(RunLimitsSchema),
    runsOn: Type.Optional(
      Type.Array(Type.String({ maxLength: 63 }), {
        maxItems: 32,
        description:
          'Labels a `stepflow worker` must all have to run it (docs/WORKERS.md); the server never runs it itself. `cwd` is then a path on the worker',
      }),
    ),
    environment: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description:
          'A saved Python environment (docs/WORKSPACE-ENVIRONMENTS.md): the run gets its VIRTUAL_ENV and bin first on PATH, the host building it first if it has no copy',
      }),
    ),
    project: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description:
          'Run in a copy of this project’s current version (docs/WORKSPACE.md); `cwd`, if given, is a relative path inside it. With runsOn (or on a server with --no-runner) the worker fetches that version and runs in a copy of its own',
      }),
    ),
  },
  { additionalProperties: false, description: 'Exactly one of `command` and `argv`' },
);

export const RerunBodySchema = Type.Object(
  {
    fromStep: Type.Optional(
      Type.String({
        minLength: 1,
        // A step name is one log line at most (64 KiB).
        maxLength: 65_536,
        description:
          'The name of a step of the execution: the re-run gets it as STEPFLOW_RESUME_FROM, so its script can skip the steps before it',
      }),
    ),
  },
  { additionalProperties: false, description: 'Optional: without a body the re-run runs everything' },
);

export const ListExecutionsQuerySchema = Type.Object(
  {
    status: Type.Optional(
      Type.Array(Type.String({ maxLength: MAX_SHORT_TEXT_LENGTH }), {
        maxItems: 20,
        description: `Comma-separated or repeated: ${EXECUTION_STATUSES.join(', ')}`,
      }),
    ),
    tag: Type.Optional(
      Type.Array(Type.String({ maxLength: MAX_TAG_KEY_LENGTH + 1 + MAX_TAG_VALUE_LENGTH }), {
        maxItems: 20,
        description: 'Repeated `key=value` or `key`; all must match',
      }),
    ),
    q: Type.Optional(
      Type.String({
        maxLength: MAX_QUERY_TEXT_LENGTH,
        description: 'Case-insensitive substring of name or command',
      }),
    ),
    since: Type.Optional(
      Type.String({
        maxLength: MAX_SHORT_TEXT_LENGTH,
        description: 'ISO 8601 date-time, on createdAt, inclusive',
      }),
    ),
    until: Type.Optional(
      Type.String({
        maxLength: MAX_SHORT_TEXT_LENGTH,
        description: 'ISO 8601 date-time, on createdAt, inclusive',
      }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(
      Type.String({ maxLength: MAX_SHORT_TEXT_LENGTH, description: '`nextCursor` of the previous page' }),
    ),
    jobId: Type.Optional(
      Type.String({ minLength: 1, maxLength: 128, description: "Only this job's runs (retries included)" }),
    ),
    rerunOf: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 128,
        description: 'Only the direct re-runs of this execution (not re-runs of those)',
      }),
    ),
    order: Type.Optional(
      StringEnum(['desc', 'asc'] as const, {
        description: 'desc (default): newest first; asc: oldest first. A cursor continues its own order',
      }),
    ),
  },
  { additionalProperties: false },
);

export const LogQuerySchema = Type.Object(
  {
    after: Type.Optional(Count({ description: 'Lines with seq > after' })),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 10_000, description: 'JSON only; default 1000' }),
    ),
    step: Type.Optional(ItemId('Step id')),
    stream: Type.Optional(LogStreamSchema),
    q: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: MAX_QUERY_TEXT_LENGTH,
        description: 'Case-sensitive substring',
      }),
    ),
    format: Type.Optional(StringEnum(['json', 'text'] as const, { description: 'text: the raw masked log' })),
    follow: Type.Optional(
      StringEnum(['1', 'true', '0', 'false'] as const, {
        description: 'With format=text: keep streaming until the execution ends',
      }),
    ),
  },
  { additionalProperties: false },
);

/** `GET /api/executions/:id/logs/outline`: the log's step ranges, for viewers that page lines. */
export const LogOutlineSchema = Type.Object({
  lastSeq: Type.Integer({ description: 'Highest stored seq; 0 for an empty log' }),
  segments: Type.Array(
    Type.Object({
      stepId: Nullable(Type.Integer({ description: 'Innermost step of the lines; null outside steps' })),
      firstSeq: Type.Integer(),
      lastSeq: Type.Integer(),
    }),
    { description: 'In seq order, gapless; consecutive lines of one step (any stream) are one segment' },
  ),
});

export const LogSearchQuerySchema = Type.Object(
  {
    q: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'Case-insensitive plain text, matched in the lines with ANSI escapes removed',
    }),
    after: Type.Optional(Count({ description: 'Matching lines with seq > after' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'Default 1000' })),
  },
  { additionalProperties: false },
);

/** `GET /api/executions/:id/logs/search`: exact totals for the whole log, matching lines by pages. */
export const LogSearchPageSchema = Type.Object({
  total: Type.Integer({ description: 'Occurrences in the whole log (non-overlapping within a line)' }),
  lineTotal: Type.Integer({ description: 'Lines of the whole log with at least one occurrence' }),
  matches: Type.Array(
    Type.Object({ seq: Type.Integer(), count: Type.Integer({ description: 'Occurrences in the line' }) }),
  ),
  nextAfter: Type.Integer({ description: 'Pass as `after` for the next page' }),
  hasMore: Type.Boolean(),
  expiredAt: Type.Optional(
    Type.String({
      description:
        'Present when retention dropped this log (ISO 8601): no line will come, whatever lineCount says',
    }),
  ),
});

export const StatsQuerySchema = Type.Object(
  {
    days: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 90, default: 14, description: 'How many days back from now' }),
    ),
  },
  { additionalProperties: false },
);

const StatsBucketSchema = Type.Object({
  start: IsoTime,
  total: Type.Integer(),
  succeeded: Type.Integer(),
  failed: Type.Integer({ description: 'failed + timed_out + interrupted' }),
  cancelled: Type.Integer(),
  medianDurationMs: Nullable(Type.Number()),
  p95DurationMs: Nullable(Type.Number()),
});

/** `GET /api/stats`: executions created in the range, by status and per hour (days <= 2) or UTC day. */
export const StatsSchema = Type.Object({
  // Every status is present (0 when none); a plain object of them reads best in OpenAPI.
  byStatus: Type.Unsafe<Record<ExecutionStatus, number>>(
    Type.Object(Object.fromEntries(EXECUTION_STATUSES.map((status) => [status, Type.Integer()]))),
  ),
  bucketMs: Type.Integer({ description: '3600000 (hourly) or 86400000 (daily)' }),
  buckets: Type.Array(StatsBucketSchema),
});

export const ListArtifactsQuerySchema = Type.Object(
  {
    q: Type.Optional(
      Type.String({
        maxLength: MAX_QUERY_TEXT_LENGTH,
        description: 'Case-insensitive substring of path, description or execution name',
      }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
    cursor: Type.Optional(
      Type.String({ maxLength: MAX_SHORT_TEXT_LENGTH, description: '`nextCursor` of the previous page' }),
    ),
  },
  { additionalProperties: false },
);

const ArtifactListItemSchema = Type.Composite([
  ArtifactSchema,
  Type.Object({
    executionId: Type.String(),
    executionName: Type.String(),
    executionStatus: ExecutionStatusSchema,
    executionCreatedAt: IsoTime,
    stepName: Nullable(Type.String({ description: 'Name of the step that recorded it' })),
  }),
]);

/** `GET /api/artifacts`: newest execution first, then its artifacts newest first. */
export const ArtifactPageSchema = Type.Object({
  items: Type.Array(ArtifactListItemSchema),
  nextCursor: Nullable(Type.String({ description: 'Pass as `cursor` for the next (older) page' })),
});

/** `GET /api/executions/:id/summary`. */
export const ExecutionSummarySchema = Type.Object({
  summary: Nullable(
    Type.String({
      description:
        'Markdown the script appended to $STEPFLOW_STEP_SUMMARY (or $GITHUB_STEP_SUMMARY), masked, at most 1 MiB (then cut, with a note); null when none. Render it without raw HTML',
    }),
  ),
  steps: Type.Array(
    Type.Object({
      stepId: Type.Integer(),
      summary: Type.String({ description: 'What was appended while this step was the innermost open one' }),
    }),
    { description: 'The steps that wrote some, by step id' },
  ),
});

export const ExecutionParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });

export const ArtifactParamsSchema = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 128 }),
  artifactId: ItemId('Artifact id'),
});

/** @public */
export type ExecutionBody = Static<typeof ExecutionSchema>;
/** @public */
export type ExecutionDetailBody = Static<typeof ExecutionDetailSchema>;
/** @public */
export type ExecutionPageBody = Static<typeof ExecutionPageSchema>;
/** @public */
export type LogPageBody = Static<typeof LogPageSchema>;
/** @public */
export type ResourceSeriesBody = Static<typeof ResourceSeriesSchema>;
export type CreateExecutionBody = Static<typeof CreateExecutionBodySchema>;
export type LogLineBody = Static<typeof LogLineSchema>;
export type LogOutlineBody = Static<typeof LogOutlineSchema>;
export type LogSearchPageBody = Static<typeof LogSearchPageSchema>;
/** @public */
export type ErrorBodyJson = Static<typeof ErrorBodySchema>;
export type StatsBody = Static<typeof StatsSchema>;
export type ArtifactPageBody = Static<typeof ArtifactPageSchema>;
/** @public */
export type ExecutionSummaryBody = Static<typeof ExecutionSummarySchema>;

// Compile-time proof that the wire schemas and the model agree, field by field.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _execution: Same<Static<typeof ExecutionSchema>, Execution> = true;
const _step: Same<Static<typeof StepSchema>, Step> = true;
const _artifact: Same<Static<typeof ArtifactSchema>, ArtifactJson> = true;
const _annotation: Same<Static<typeof AnnotationSchema>, Annotation> = true;
const _sample: Same<Static<typeof ResourceSampleSchema>, ResourceSample> = true;
const _detail: Same<Static<typeof ExecutionDetailSchema>, ExecutionDetailJson> = true;
const _summary: Same<Static<typeof ExecutionSummarySchema>, ExecutionSummary> = true;
