import { Type } from '@sinclair/typebox';
import { INTEGRITY_PROBLEM_CODES } from '../core/integrity-problems.js';

/** One problem `stepflow verify` / `GET /api/health/integrity` found (core/integrity-problems.ts). */
const IntegrityProblemSchema = Type.Object({
  code: Type.Union(
    INTEGRITY_PROBLEM_CODES.map((code) => Type.Literal(code)),
    { description: 'stable: match on it' },
  ),
  message: Type.String(),
  executionId: Type.Optional(Type.String()),
  path: Type.Optional(Type.String({ description: 'relative to the data dir' })),
  repair: Type.Union([Type.String(), Type.Null()], {
    description: 'what `stepflow verify --repair` does about it; null: not safe to fix automatically',
  }),
  repaired: Type.Optional(Type.Boolean({ description: 'after a repair: whether it was done' })),
});

/** `GET /api/health/integrity`, and `stepflow verify --json`. */
export const VerifyReportSchema = Type.Object({
  ok: Type.Boolean({ description: 'true when no problem is left' }),
  checkedAt: Type.String({ format: 'date-time' }),
  durationMs: Type.Integer({ minimum: 0 }),
  checked: Type.Object({
    artifacts: Type.Integer({ minimum: 0 }),
    artifactBytes: Type.Integer({ minimum: 0 }),
    openRuns: Type.Integer({ minimum: 0 }),
  }),
  problems: Type.Array(IntegrityProblemSchema),
  repair: Type.Boolean({ description: 'whether repairs were applied (never through the API)' }),
});
