import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { PIPELINE_NODE_STATUSES, PIPELINE_RUN_STATUSES } from '../core/pipelines/pipeline-run.js';

/** The wire schemas of `/api/pipelines/runs` (docs/PIPELINES-RUNNING.md). */

const StringEnum = <const T extends readonly string[]>(values: T, options: { description?: string } = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });

/** A pipeline file is small; 1 MiB holds hundreds of nodes. */
const MAX_YAML_LENGTH = 1024 * 1024;

export const CreatePipelineRunBodySchema = Type.Object(
  {
    yaml: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: MAX_YAML_LENGTH,
        description: 'The pipeline file (docs/PIPELINES.md): the run runs this definition',
      }),
    ),
    pipeline: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description:
          'The name of a saved pipeline: the run runs its current definition. Exactly one of yaml and pipeline.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const RerunPipelineBodySchema = Type.Object(
  {
    only: Type.Optional(
      Type.Union([Type.Literal('failed'), Type.Literal('all')], {
        description:
          'all (default): every node again; failed: the nodes that did not succeed and those after them, the others keeping their outputs',
      }),
    ),
  },
  { additionalProperties: false },
);

export const PipelineRunParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });

export const ListPipelineRunsQuerySchema = Type.Object(
  {
    name: Type.Optional(
      Type.String({ minLength: 1, maxLength: 256, description: "Only this pipeline's runs" }),
    ),
    job: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 128,
        description: "Only the runs this job's fires (and their retries) started",
      }),
    ),
    status: Type.Optional(
      Type.Array(Type.String({ maxLength: 64 }), {
        maxItems: 10,
        description: `Comma-separated or repeated: ${PIPELINE_RUN_STATUSES.join(', ')}`,
      }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 64, description: '`nextCursor` of the previous page' })),
  },
  { additionalProperties: false },
);

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const AttemptSchema = Type.Object({
  executionId: Type.String(),
  status: Type.String(),
  startedAt: Nullable(Type.String()),
  endedAt: Nullable(Type.String()),
  durationMs: Nullable(Type.Number()),
});

const NodeSchema = Type.Object({
  name: Type.String(),
  status: StringEnum(PIPELINE_NODE_STATUSES),
  attempt: Type.Integer(),
  executionId: Nullable(Type.String()),
  attempts: Type.Array(AttemptSchema),
  outputs: Type.Record(Type.String(), Type.String()),
  startedAt: Nullable(Type.String()),
  endedAt: Nullable(Type.String()),
  durationMs: Nullable(Type.Number()),
  retryAt: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String()),
  needs: Type.Array(Type.String(), { description: "The nodes it needs (the graph's edges)" }),
  level: Type.Integer({ description: "Its dependency level: the graph's column (0: needs nothing)" }),
});

export const PipelineRunSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  status: StringEnum(PIPELINE_RUN_STATUSES),
  definition: Type.Object({}, { additionalProperties: true, description: 'The definition it ran as' }),
  createdAt: Type.String(),
  startedAt: Nullable(Type.String()),
  endedAt: Nullable(Type.String()),
  durationMs: Nullable(Type.Number()),
  createdBy: Type.Optional(Type.String()),
  rerunOf: Nullable(Type.String()),
  cancelRequested: Type.Boolean(),
  job: Type.Optional(
    Type.Object(
      {
        jobId: Type.String(),
        attempt: Type.Integer({ description: "1: the fire's run; each retry one more" }),
        retryOfId: Nullable(Type.String({ description: 'The failed pipeline run this retry re-runs' })),
        scheduledAt: Nullable(Type.String({ description: 'The fire time; null for "run now"' })),
      },
      {
        description: 'The job whose fire started it (docs/JOBS.md, "Pipeline jobs"); absent: started by hand',
      },
    ),
  ),
  progress: Type.Object({ done: Type.Integer(), total: Type.Integer() }),
  nodes: Type.Array(NodeSchema),
});

export const PipelineRunPageSchema = Type.Object({
  items: Type.Array(PipelineRunSchema),
  nextCursor: Nullable(Type.String()),
});

/** @public */
export type PipelineRunPageBody = Static<typeof PipelineRunPageSchema>;
