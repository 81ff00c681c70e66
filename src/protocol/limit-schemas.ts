import { Type } from '@sinclair/typebox';
import { MAX_COUNT, MAX_SHORT_TEXT_LENGTH } from '../core/input-limits.js';
import {
  LIMIT_ACTIONS,
  LIMIT_ENFORCEMENTS,
  LIMIT_KINDS,
  LIMIT_RANGES,
  LOG_LIMIT_POLICIES,
} from '../core/run-limits.js';

/** Wire shapes of a run's resource limits and of the limits that triggered (docs/LIMITS.md). */

const StringEnum = <const T extends readonly string[]>(values: T, options: { description?: string } = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });

const range = (key: keyof typeof LIMIT_RANGES) => ({
  minimum: LIMIT_RANGES[key].min,
  maximum: LIMIT_RANGES[key].max,
});

/** `limits` of a run or a job: unknown fields are refused, so a typo is a 400 naming it. */
export const RunLimitsSchema = Type.Object(
  {
    memoryLimitMb: Type.Optional(
      Type.Integer({
        ...range('memoryLimitMb'),
        description: 'MiB of resident memory of the whole process tree; past it the tree is killed',
      }),
    ),
    cpuLimitPercent: Type.Optional(
      Type.Number({
        ...range('cpuLimitPercent'),
        description: 'Percent of one core (200 = two cores); best-effort: see docs/LIMITS.md',
      }),
    ),
    maxLogBytes: Type.Optional(
      Type.Integer({ ...range('maxLogBytes'), description: 'Bytes of log stored (UTF-8, newlines counted)' }),
    ),
    maxLines: Type.Optional(Type.Integer({ ...range('maxLines'), description: 'Log lines stored' })),
    // Literals, not an enum: the strict body validator (TypeBox's compiler) knows no Unsafe types.
    logLimitPolicy: Type.Optional(
      Type.Union(
        LOG_LIMIT_POLICIES.map((policy) => Type.Literal(policy)),
        {
          description: `one of ${LOG_LIMIT_POLICIES.join(', ')}: past maxLogBytes or maxLines, \`truncate\` (default) keeps the first and the last half with a marked gap, \`fail\` stops the run`,
        },
      ),
    ),
  },
  { additionalProperties: false },
);

// Ranges too: a remote run reports its hits (docs/REMOTE.md), so they are input there.
const amount = (description: string) => Type.Number({ minimum: 0, maximum: MAX_COUNT, description });
const count = Type.Integer({ minimum: 0, maximum: MAX_COUNT });

export const LimitHitSchema = Type.Object({
  kind: StringEnum(LIMIT_KINDS),
  limit: amount('Bytes (memory, logBytes), percent (cpu) or lines'),
  observed: amount('In the unit of limit: the sample over it, or all the log printed'),
  enforcement: StringEnum(LIMIT_ENFORCEMENTS, {
    description: '`sampled`: best-effort, /proc read every sampling interval; `counted`: exact',
  }),
  action: StringEnum(LIMIT_ACTIONS),
  at: Type.String({ maxLength: MAX_SHORT_TEXT_LENGTH, description: 'ISO 8601 timestamp' }),
  dropped: Type.Union([Type.Object({ lines: count, bytes: count }), Type.Null()]),
  message: Type.String({ maxLength: 4096 }),
});
