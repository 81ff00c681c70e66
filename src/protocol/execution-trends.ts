import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { EXECUTION_STATUSES, STEP_STATUSES } from '../core/statuses.js';
import type { StepTrends } from '../core/step-trends.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const StringEnum = <const T extends readonly string[]>(values: T) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });

/** Most runs a trend may span (`limit`); 20 by default. */
const MAX_TREND_RUNS = 100;

export const ExecutionTrendsQuerySchema = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({
        minimum: 2,
        maximum: MAX_TREND_RUNS,
        default: 20,
        description: 'How many runs, this one included',
      }),
    ),
  },
  { additionalProperties: false },
);

/**
 * `GET /api/executions/:id/trends`: for each step name of this execution (its first 50), that
 * step's duration and status in the newest runs of the same job (of the same name for a run of no
 * job), this one included, with the median. The run page draws a sparkline per step from it.
 */
export const ExecutionTrendsSchema = Type.Object({
  basis: StringEnum(['job', 'name'] as const),
  runs: Type.Array(
    Type.Object({
      id: Type.String(),
      status: StringEnum(EXECUTION_STATUSES),
      createdAt: Type.String(),
      durationMs: Nullable(Type.Number()),
    }),
    { description: 'Oldest first; the execution asked about is the last one' },
  ),
  steps: Type.Array(
    Type.Object({
      name: Type.String(),
      points: Type.Array(
        Nullable(Type.Object({ durationMs: Nullable(Type.Number()), status: StringEnum(STEP_STATUSES) })),
        { description: 'One per run (same order as runs); null where that run has no such step' },
      ),
      medianMs: Nullable(Type.Number({ description: 'Median duration where the step ended, ms' })),
    }),
  ),
});

export type ExecutionTrendsBody = Static<typeof ExecutionTrendsSchema>;

// The wire shape and the core's result must agree, field by field.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _trends: Same<ExecutionTrendsBody, StepTrends> = true;
