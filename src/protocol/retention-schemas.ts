import { Type, type Static } from '@sinclair/typebox';
import { MAX_RETENTION_DAYS, MAX_RETENTION_KEEP_LAST } from '../core/retention.js';

/* `/api/health/retention` (docs/RETENTION.md): the policy, the last sweep's report, a sweep now. */

const Count = Type.Integer({ minimum: 0 });
const Bytes = Type.Integer({ minimum: 0 });
const Days = Type.Number({
  exclusiveMinimum: 0,
  maximum: MAX_RETENTION_DAYS,
  description: 'days after the run ended',
});

const retentionLimits = {
  days: Type.Optional({ ...Days, description: 'delete a run this many days after it ended' }),
  keepLast: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: MAX_RETENTION_KEEP_LAST,
      description: 'keep only this many newest ended runs per job (per name)',
    }),
  ),
  logDays: Type.Optional({ ...Days, description: 'drop the log text this many days after the end' }),
  artifactDays: Type.Optional({
    ...Days,
    description: 'delete artifact files this many days after the end',
  }),
  failedDays: Type.Optional({ ...Days, description: 'a failed run is left whole at least this long' }),
};

export const RetentionPolicySchema = Type.Object(retentionLimits, {
  description: 'Each limit is a cap; none set: nothing expires',
});

/** A job's own policy as a client writes it, or null: an unknown limit is a 400, not silently kept. */
export const JobRetentionInputSchema = Type.Union(
  [Type.Object(retentionLimits, { additionalProperties: false }), Type.Null()],
  {
    description:
      "The job's own retention policy (docs/RETENTION.md), replacing the global one for its runs; `{}` keeps them forever, null goes back to the global policy (the default)",
  },
);

/** A policy as a client writes it: an unknown limit is a 400. */
export const RetentionPolicyInputSchema = Type.Object(retentionLimits, { additionalProperties: false });

/** A job's own policy in the job JSON; null: the global policy applies. */
export const JobRetentionSchema = Type.Union([RetentionPolicySchema, Type.Null()], {
  description: "The job's own retention policy (replaces the global one); null: the global one applies",
});

export const RetentionReportSchema = Type.Object({
  dryRun: Type.Boolean(),
  startedAt: Type.String(),
  durationMs: Type.Number({ minimum: 0 }),
  runsExamined: Count,
  runsDeleted: Count,
  logsDropped: Type.Integer({ minimum: 0, description: 'runs whose log text was dropped' }),
  artifactsDropped: Type.Integer({ minimum: 0, description: 'runs whose artifact files were deleted' }),
  freedBytes: Type.Object({ logs: Bytes, artifacts: Bytes, total: Bytes }),
  database: Type.Optional(
    Type.Object({
      dbBytesBefore: Bytes,
      dbBytesAfter: Bytes,
      incremental: Type.Boolean({
        description:
          'false: this SQLite file reuses freed pages but cannot shrink until `stepflow prune --vacuum`',
      }),
    }),
  ),
  batches: Count,
  summary: Type.String({ description: 'The report in one line: "freed 412 MB: 1,200 runs deleted, …"' }),
});

export const RetentionStatusSchema = Type.Object({
  policy: RetentionPolicySchema,
  sweepEveryMs: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], {
    description: 'null: this process does not sweep by itself',
  }),
  running: Type.Boolean(),
  lastSweep: Type.Union([RetentionReportSchema, Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
});

export const SweepQuerySchema = Type.Object(
  { dryRun: Type.Optional(Type.Boolean({ description: 'report what would go, change nothing' })) },
  { additionalProperties: false },
);

export type RetentionReportBody = Static<typeof RetentionReportSchema>;
export type RetentionStatusBody = Static<typeof RetentionStatusSchema>;
